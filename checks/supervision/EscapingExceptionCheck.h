//===--- EscapingExceptionCheck.h - supervision-escaping-exception --------===//
#ifndef TETHER_CHECKS_SUPERVISION_ESCAPINGEXCEPTIONCHECK_H
#define TETHER_CHECKS_SUPERVISION_ESCAPINGEXCEPTIONCHECK_H

#include "core/Check.h"

namespace tether {

/// Finds thread entry points that an exception can escape, which calls
/// std::terminate and takes the whole process down.
///
/// For every thread started with a callable (a thread type of the rule
/// packs, std::jthread included, and thread functions such as
/// pthread_create) it asks the throw analysis (ThrowAnalysis.h) whether an
/// exception can leave the entry: a `throw` or a call of a rule-pack
/// throwing function, reached through calls to functions defined in the
/// translation unit (and through callable variables whose targets it shows),
/// not caught by a handler of its type on the way, and not behind a
/// `noexcept` or `nothrow_functions` callee. The warning is at the spawn
/// site; a note points at the throw with the call chain. A handler that
/// rethrows (`catch (...) { log(); throw; }`) around a call whose targets
/// are not visible (a std::function or function pointer parameter or
/// member, a virtual call) may rethrow: reported with a "may throw" note.
/// Calling a std::packaged_task does not throw (its callable's exception
/// goes into the future), nor does a function with C linkage.
///
/// The same question is asked of tasks handed to an executor (a rule-pack
/// executor or one found by the name heuristic): the exception leaves the
/// executor's worker loop. A std::async task is reported only when its
/// future is discarded or kept in a local that is never waited on and never
/// handed on: the exception is stored where nobody reads it. A future that
/// is get() or wait()ed hands the exception to the waiter and is not
/// reported.
class EscapingExceptionCheck : public Check {
public:
  using Check::Check;
  void registerMatchers(clang::ast_matchers::MatchFinder *Finder) override;
  void check(const clang::ast_matchers::MatchFinder::MatchResult &R) override;
};

} // namespace tether

#endif
