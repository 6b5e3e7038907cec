//===--- DiffMode.h - Lint only what a change touched ---------------------===//
//
// `--diff <rev>` (or a unified diff on stdin with `--diff -`): the lines a
// change adds or modifies, per file, as `git diff --unified=0` reports them;
// which translation units they touch (the main file changed, or a file the
// unit read the last time it was analyzed, as recorded in the cache
// directory); and which findings stand on them.
//
//===----------------------------------------------------------------------===//
#ifndef TETHER_TOOL_DIFFMODE_H
#define TETHER_TOOL_DIFFMODE_H

#include "core/Diagnostic.h"

#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace tether {

/// Changed line ranges (first, last; 1-based, inclusive) per absolute file.
using ChangedLines = std::map<std::string, std::vector<std::pair<unsigned, unsigned>>>;

/// Parses a unified diff (`+++ b/<path>` and `@@ -a,b +c,d @@` lines);
/// paths are taken relative to `Root`. A deleted file is not listed.
ChangedLines parseUnifiedDiff(const std::string &Diff, const std::string &Root);

/// Runs `git diff --no-color --unified=0 <Rev>` in the working directory
/// and parses it. On failure sets `Error` and returns false.
bool gitChangedLines(const std::string &Rev, ChangedLines &Out,
                     std::string &Error);

/// The files each translation unit read when it was last analyzed, kept in
/// `<CacheDir>/deps/`: written after a run, read to choose the units a
/// change touches.
void recordDependencies(const std::string &CacheDir, const std::string &Main,
                        const std::vector<std::string> &Files);
std::vector<std::string> lastDependencies(const std::string &CacheDir,
                                          const std::string &Main);

/// Does `D` stand on a changed line (or, with `WholeFiles`, in a changed
/// file)?
bool onChangedLines(const Diagnostic &D, const ChangedLines &C,
                    bool WholeFiles);

} // namespace tether

#endif
