//===--- Suppressions.h - NOLINT comments, as clang-tidy reads them -------===//
//
// In-source suppressions with clang-tidy's meaning: `NOLINT` silences the
// findings of its line, `NOLINTNEXTLINE` those of the next line, and
// `NOLINTBEGIN` ... `NOLINTEND` those of the lines in between; each may carry a
// list of check globs in parentheses (`NOLINT(spawn-*,-spawn-detached-*)`),
// without one it silences every check. They are applied once, after the
// findings of the run are collected: a finding is silenced by a comment on the
// line of its primary location (for a finding in a macro expansion, the line
// where the macro is used, where tether reports it), like clang-tidy.
// An unmatched NOLINTBEGIN or NOLINTEND is itself reported, as an error of
// the pseudo-check `tether-nolint` (clang-tidy's `clang-tidy-nolint`).
//
//===----------------------------------------------------------------------===//
#ifndef TETHER_TOOL_SUPPRESSIONS_H
#define TETHER_TOOL_SUPPRESSIONS_H

#include "core/Diagnostic.h"

#include <string>
#include <vector>

namespace tether {

/// The name under which unmatched NOLINTBEGIN/NOLINTEND comments are reported.
inline constexpr const char *NolintCheckName = "tether-nolint";

/// The NOLINT comments of one file.
class FileSuppressions {
public:
  explicit FileSuppressions(const std::string &Text);

  /// Is a finding of `Check` on 1-based `Line` silenced?
  bool suppresses(unsigned Line, const std::string &Check) const;

  /// An unmatched NOLINTBEGIN or NOLINTEND.
  struct Unmatched {
    unsigned Line = 0, Column = 0;
    bool IsBegin = false;
    std::string SourceLine;
  };
  const std::vector<Unmatched> &unmatched() const { return Bad; }

private:
  struct Range {
    unsigned First, Last;
    std::string Globs; ///< empty: every check
    bool All;
  };
  std::vector<Range> Ranges;
  std::vector<Unmatched> Bad;
};

/// Moves the findings silenced by NOLINT comments from `R.Diagnostics` to
/// `R.Hidden` (marked `SuppressedInSource`), and reports unmatched
/// NOLINTBEGIN/NOLINTEND comments of the files that have findings as
/// `tether-nolint` errors. Reads the files of the findings from disk.
void applySuppressions(RunResult &R);

} // namespace tether

#endif
