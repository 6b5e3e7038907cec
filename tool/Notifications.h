//===--- Notifications.h - What a run could not do, and why ---------------===//
//
// The structured side of a tool error or a skipped check: what kind of stop
// (crash, limit), which check was running, the stack. The driver records
// them (Driver.h: takeToolNotifications), the JSON and SARIF writers list
// them (docs/output.md). Clang-free, like the writers.
//
//===----------------------------------------------------------------------===//
#ifndef TETHER_TOOL_NOTIFICATIONS_H
#define TETHER_TOOL_NOTIFICATIONS_H

#include <string>

namespace tether {

struct ToolNotification {
  /// "error": the translation unit was not analysed (it is also in
  /// RunResult::Errors); "warning": one check was skipped on it.
  std::string Level;
  /// "crash", "exception", "timeout", "memory-limit" (errors),
  /// "check-timeout" (warnings).
  std::string Kind;
  std::string File;    ///< the translation unit, as displayed
  std::string Check;   ///< the check or phase running ("parsing")
  std::string Message; ///< one line
  std::string Stack;   ///< one frame a line, innermost first; may be empty
};

} // namespace tether

#endif
