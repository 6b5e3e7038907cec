//===--- UnguardedWorkerLoopCheck.h - supervision-unguarded-worker-loop ---===//
#ifndef TETHER_CHECKS_SUPERVISION_UNGUARDEDWORKERLOOPCHECK_H
#define TETHER_CHECKS_SUPERVISION_UNGUARDEDWORKERLOOPCHECK_H

#include "core/Check.h"

namespace tether {

/// Finds worker loops of thread entries with no error path at all, so that
/// a failure in them kills the process or ends the thread silently and
/// nothing restarts the worker.
///
/// A worker loop is a `while`, `do` or `for` loop directly in the body of a
/// thread entry whose condition is absent, constant or a flag (not a loop
/// over a counter or a range). It has no error path when neither the entry
/// nor anything its loop calls in the translation unit contains a `try`,
/// while the loop body calls code that can fail: a function declared
/// outside system headers that is not `noexcept` (nor in
/// `nothrow_functions`), a rule-pack throwing function, or a `throw`.
class UnguardedWorkerLoopCheck : public Check {
public:
  using Check::Check;
  void registerMatchers(clang::ast_matchers::MatchFinder *Finder) override;
  void check(const clang::ast_matchers::MatchFinder::MatchResult &R) override;
};

} // namespace tether

#endif
