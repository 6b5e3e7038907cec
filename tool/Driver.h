//===--- Driver.h - Runs the enabled checks over translation units --------===//
//
// The driver turns a compilation database (or flags given after `--`) into
// clang invocations, runs them on -j worker threads, collects each
// translation unit's diagnostics and compiler errors, and merges them into
// one RunResult in a deterministic order. Nothing here prints: the CLI
// (main.cpp) and the output writers do.
//
//===----------------------------------------------------------------------===//
#ifndef TETHER_TOOL_DRIVER_H
#define TETHER_TOOL_DRIVER_H

#include "core/CheckContext.h"
#include "core/CheckRegistry.h"
#include "core/Diagnostic.h"
#include "core/Rules.h"

#include <functional>
#include <optional>
#include <variant>
#include <string>
#include <vector>

namespace tether {

struct DriverOptions {
  /// Files as given on the command line; empty with BuildPath means every
  /// translation unit of the database.
  std::vector<std::string> Files;
  /// -p: a build directory holding compile_commands.json.
  std::string BuildPath;
  /// Flags after `--`: used for every file, without a database.
  std::optional<std::vector<std::string>> FixedFlags;
  std::vector<std::string> ExtraArgs;       ///< --extra-arg
  std::vector<std::string> ExtraArgsBefore; ///< --extra-arg-before
  unsigned Jobs = 1;
  std::string HeaderFilter;                 ///< empty: no header findings
  RuleSet Rules;
  CheckOptions Options;
  /// The checks to run, already filtered by --checks.
  std::vector<const CheckDescriptor *> Checks;
  /// Optional: called after each translation unit (analyzed or not) with its
  /// displayed path, the number finished so far and the total. The driver
  /// serializes the calls.
  std::function<void(const std::string &File, size_t Done, size_t Total)>
      OnFileDone;
};

/// A configuration error found before any analysis (bad database, bad
/// regex): the run must stop with exit code 2.
struct DriverSetupError {
  std::string Message;
};

/// Runs the analysis. Returns the merged, sorted, de-duplicated result, or a
/// setup error.
std::variant<RunResult, DriverSetupError> runAnalysis(const DriverOptions &O);

/// The -resource-dir of the clang this tool was built against.
const char *clangResourceDir();

} // namespace tether

#endif
