//===--- Session.h - One run: configurations, driver, suppressions --------===//
//
// Between the command line and the driver: finds each input file's
// configuration (tool/Config.h), leaves out excluded files, runs the driver
// once per group of files that share an analysis configuration (checks,
// check options, rule packs, header filter), then filters the merged
// findings by the configuration of the file each one is in (its `checks`,
// `exclude`), applies NOLINT comments (tool/Suppressions.h) and
// `warnings_as_errors`. Baselines are applied by the caller.
//
//===----------------------------------------------------------------------===//
#ifndef TETHER_TOOL_SESSION_H
#define TETHER_TOOL_SESSION_H

#include "Config.h"
#include "Driver.h"

#include <functional>
#include <string>
#include <variant>
#include <vector>

namespace tether {

struct SessionOptions {
  /// Inputs and scheduling (Files, BuildPath, FixedFlags, extra args, Jobs);
  /// Checks, Rules, Options and HeaderFilter are set per configuration.
  DriverOptions Driver;
  bool NoDefaultRules = false;
  const CheckRegistry *Registry = nullptr;
  ConfigResolver *Configs = nullptr;
  /// After each translation unit, over the whole run (see Driver.h).
  std::function<void(const std::string &, size_t, size_t)> OnFileDone;
  /// Return every translation unit's facts in SessionResult::Facts.
  bool KeepFacts = false;
  /// Receives the inferred rules of the project step.
  ProjectOutput *Project = nullptr;
};

struct SessionResult {
  RunResult Run;
  /// Every check that ran for some file, in registry order.
  std::vector<const CheckDescriptor *> Checks;
  unsigned FilesExcluded = 0;
  /// Every file's configuration disables every check (a usage error).
  bool NoChecksEnabled = false;
  /// With SessionOptions::KeepFacts: the facts of every translation unit.
  std::vector<TUFacts> Facts;
};

std::variant<SessionResult, DriverSetupError>
runSession(const SessionOptions &S);

} // namespace tether

#endif
