//===--- SharedAnalyses.h - Whole-TU analyses shared by all checks --------===//
//
// Checks get the thread-context analysis (and with it the spawn sites)
// through these accessors, never by constructing their own: the analysis is
// built once per translation unit, on first use, and shared by every check
// of that translation unit through its CheckContext.
//
//===----------------------------------------------------------------------===//
#ifndef TETHER_CHECKS_ANALYSIS_SHAREDANALYSES_H
#define TETHER_CHECKS_ANALYSIS_SHAREDANALYSES_H

#include "ThreadContext.h"

#include "core/CheckContext.h"

#include <memory>

namespace tether {

/// The thread-context analysis of the current translation unit. Call it from
/// check() or onEndOfTranslationUnit(), once the AST is ready.
inline ThreadContext &threadContext(CheckContext &C) {
  return C.sharedAnalysis<ThreadContext>([&C] {
    return std::make_unique<ThreadContext>(*C.astContext(), C.rules());
  });
}

/// The spawn sites of the current translation unit (from the same analysis).
inline const std::vector<SpawnSite> &spawnSites(CheckContext &C) {
  return threadContext(C).sites();
}

} // namespace tether

#endif
