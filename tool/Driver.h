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
#include "project/Facts.h"

#include "Notifications.h"
#include "Recovery.h"

#include <atomic>
#include <functional>
#include <optional>
#include <variant>
#include <string>
#include <vector>

namespace clang {
class ASTContext;
} // namespace clang

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
  /// Join the facts of all translation units and run the project step
  /// (inferred wrappers, cross-file checks); off with --no-project.
  bool Project = true;
  /// With Project: run the project step in this call. A session that runs
  /// the driver once per configuration turns it off and runs the step once
  /// over the facts of every group (projectFindings).
  bool ProjectStep = true;
  /// Parse every translation unit and run nothing on it (--parse-only): the
  /// floor the benchmarks compare against.
  bool ParseOnly = false;
  /// The result cache (Cache.h): its directory, empty for none, and the key
  /// of everything in this run that decides a result.
  std::string CacheDir;
  std::string CacheKey;
  /// Optional: called after each translation unit (analyzed or not) with its
  /// displayed path, the number finished so far and the total. The driver
  /// serializes the calls.
  std::function<void(const std::string &File, size_t Done, size_t Total)>
      OnFileDone;
  /// --shard K/N: analyze only the translation units whose index in the
  /// sorted list is K-1 modulo N (1-based K; N = 0: no sharding).
  unsigned ShardIndex = 0, ShardCount = 0;
  /// Time and memory limits per translation unit and per check
  /// (docs/robustness.md).
  tether::Limits Limits;
  /// Test-only (--debug-inject): "kind:glob" injects a fault into the
  /// translation units whose path matches; kinds: crash, abort,
  /// stack-overflow, bad-alloc, memory, hang, slow-check.
  std::vector<std::string> DebugInject;
};

/// What the project step adds to a run.
struct ProjectOutput {
  /// The inferred wrappers as a schema-1 rule pack (--dump-inferred-rules).
  std::string InferredPack;
  unsigned InferredEntries = 0;
};

/// A configuration error found before any analysis (bad database, bad
/// regex): the run must stop with exit code 2.
struct DriverSetupError {
  std::string Message;
};

/// Runs the analysis: every translation unit is parsed once, its checks run
/// and its facts are extracted in the same pass; then the report is made
/// from the facts (reportFromFacts). Returns the merged, sorted,
/// de-duplicated result, or a setup error. `Facts`, when given, receives
/// the facts of every translation unit (for --facts-out).
std::variant<RunResult, DriverSetupError>
runAnalysis(const DriverOptions &O, std::vector<TUFacts> *Facts = nullptr,
            ProjectOutput *Project = nullptr);

/// The report of a run from the facts of its translation units, in any
/// order: their per-TU findings and errors, and (with O.Project) the
/// project step's findings. A single run and a merge of the facts of its
/// shards give the same report, byte for byte.
RunResult reportFromFacts(std::vector<TUFacts> Facts, const DriverOptions &O,
                          ProjectOutput *Project = nullptr);

/// The project step alone: what it reports over `Facts` for O.Checks, with
/// O.Rules as the known rules, filtered like per-TU findings (main files,
/// and headers through O.HeaderFilter).
std::vector<Diagnostic> projectFindings(std::vector<TUFacts> Facts,
                                        const DriverOptions &O,
                                        ProjectOutput *Project = nullptr);

/// The crashes, limits hit and skipped checks recorded since the last call
/// (by every runAnalysis of the process), sorted by file.
std::vector<ToolNotification> takeToolNotifications();

/// Runs O.Checks over the complete AST of a translation unit that parsed
/// without errors, inside runGuardedUnit (Recovery.h): each check under its
/// budget, a skipped one appended to `Skipped` and its findings dropped.
/// Appends the findings to `Out.Diagnostics`, records the files the unit
/// read in `Out.Files`, and with O.Project replaces `Out` by the unit's
/// facts. `Inject` is the fault of --debug-inject for this unit, or "".
/// When `Cancelled` becomes true, returns between two checks with the
/// findings incomplete (the caller discards them). The CLI's driver and the
/// LSP server (tool/lsp/) share it.
void runChecksOnAST(clang::ASTContext &AST, const DriverOptions &O,
                    const std::string &MainDisplay, std::string Inject,
                    TUFacts &Out, std::vector<Stopped> &Skipped,
                    const std::atomic<bool> *Cancelled = nullptr);

/// The fault --debug-inject asks for in the file `Abs` (absolute; or as
/// displayed, or by its name), or "".
std::string debugInjectFault(const DriverOptions &O, const std::string &Abs,
                             const std::string &Display);

/// Checks a --debug-inject value; returns an error message, or "".
std::string checkDebugInject(const std::string &Spec);

/// The -resource-dir of the clang this tool was built against.
const char *clangResourceDir();

} // namespace tether

#endif
