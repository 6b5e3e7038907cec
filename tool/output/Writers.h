//===--- Writers.h - Text, JSON, SARIF and Code Climate output ------------===//
//
// Every writer reads the same model (core/Diagnostic.h) and nothing else, so
// the formats cannot disagree. None of them depends on Clang.
//
//===----------------------------------------------------------------------===//
#ifndef TETHER_TOOL_OUTPUT_WRITERS_H
#define TETHER_TOOL_OUTPUT_WRITERS_H

#include "core/CheckRegistry.h"
#include "core/Diagnostic.h"

#include "Notifications.h"

#include <ostream>
#include <string>
#include <vector>

namespace tether {

struct OutputInfo {
  std::string ToolVersion;
  std::string LLVMVersion;
  std::string DocsBaseUri;   ///< helpUri = DocsBaseUri + name + ".md"
  std::string WorkingDir;    ///< absolute, for relative SARIF URIs
  std::vector<const CheckDescriptor *> Checks; ///< the enabled checks
  /// Crashes, limits hit and skipped checks (JSON `errors` details and
  /// `skipped`, SARIF toolExecutionNotifications).
  std::vector<ToolNotification> Notifications;
};

/// clang's style: "file:line:col: warning: message [check]", the source line
/// with a caret, then one "note:" block per note. Colour when `Color`.
void writeText(const RunResult &R, std::ostream &OS, bool Color);

/// The compiler errors of files that could not be analyzed, clang's style.
void writeErrorsText(const RunResult &R, std::ostream &OS, bool Color);

/// tether's JSON schema, version 1 (docs/output.md).
void writeJson(const RunResult &R, const OutputInfo &Info, std::ostream &OS);

/// How many of a run's hidden findings are suppressed in the source, and
/// how many are unchanged against the baseline (the summary line and the
/// JSON summary say both).
struct HiddenCounts {
  size_t Suppressed = 0;
  size_t Baselined = 0;
};
HiddenCounts countHidden(const RunResult &R);

/// SARIF 2.1.0, one run.
void writeSarif(const RunResult &R, const OutputInfo &Info, std::ostream &OS);

/// GitLab's code-quality report (a Code Climate subset): a JSON array of
/// issues with description, check_name, fingerprint, severity and location.
void writeCodeClimate(const RunResult &R, const OutputInfo &Info,
                      std::ostream &OS);

/// "file:///a/b%20c.cpp" for "/a/b c.cpp"; relative paths stay relative.
std::string pathToUri(const std::string &Path);

} // namespace tether

#endif
