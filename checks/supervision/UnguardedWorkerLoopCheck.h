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
/// thread entry (or in a block or `do { } while (0)` there) whose condition
/// is absent, a flag or a constant other than false (not a loop over a
/// counter or a range, not a macro's `do { } while (0)`). It has no error
/// path when an exception can leave it uncaught, as the throw analysis
/// (ThrowAnalysis.h) sees it in the MayThrow mode: a `throw`, a rule-pack
/// throwing function or a callee in the translation unit that throws
/// (certain), or a call through a std::function, a function pointer or a
/// virtual function whose targets are not visible (possible: the note says
/// "may throw"). Functions declared elsewhere, `noexcept` and C functions
/// do not throw.
class UnguardedWorkerLoopCheck : public Check {
public:
  using Check::Check;
  void registerMatchers(clang::ast_matchers::MatchFinder *Finder) override;
  void check(const clang::ast_matchers::MatchFinder::MatchResult &R) override;
};

} // namespace tether

#endif
