//===--- Baseline.h - Accepting the findings a project already has --------===//
//
// A baseline file records the fingerprints of a run's findings
// (`--write-baseline`); a later run given it (`--baseline`) reports only the
// findings whose fingerprint is not in it. Fingerprints leave out line and
// column (core/Diagnostic.h), so edits that move a finding keep it
// baselined. The format is JSON, schema "tether-baseline", version 1; check,
// file, line and message are there for the humans who read a diff of it.
//
//===----------------------------------------------------------------------===//
#ifndef TETHER_TOOL_BASELINE_H
#define TETHER_TOOL_BASELINE_H

#include "core/Diagnostic.h"

#include <ostream>
#include <string>
#include <vector>

namespace tether {

struct BaselineEntry {
  std::string Fingerprint;
  std::string Check;
  std::string File; ///< the displayed path
  unsigned Line = 0;
  std::string Message;
};

/// Writes the baseline of `Findings` (one entry per finding, sorted).
void writeBaseline(const std::vector<Diagnostic> &Findings, std::ostream &OS);

/// Reads a baseline file. On failure returns false and sets `Error` to
/// "<file>[:<line>:<col>]: <problem>".
bool readBaseline(const std::string &Path, std::vector<BaselineEntry> &Out,
                  std::string &Error);

/// Marks every finding of `R.Diagnostics` `New` or `Unchanged`, moves the
/// unchanged ones to `R.Hidden`, and adds one `Absent` entry to `R.Hidden` per
/// baseline entry that was not found again. `WorkingDir` makes the absent
/// entries' paths absolute.
void applyBaseline(RunResult &R, const std::vector<BaselineEntry> &Baseline,
                   const std::string &WorkingDir);

} // namespace tether

#endif
