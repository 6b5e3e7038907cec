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
/// translation unit, not caught by a handler of its type on the way, and
/// not behind a `noexcept` or `nothrow_functions` callee. The warning is at
/// the spawn site; a note points at the throw with the call chain. Tasks of
/// std::async and executors are not flagged: their exception is stored or
/// handled by the executor.
class EscapingExceptionCheck : public Check {
public:
  using Check::Check;
  void registerMatchers(clang::ast_matchers::MatchFinder *Finder) override;
  void check(const clang::ast_matchers::MatchFinder::MatchResult &R) override;
};

} // namespace tether

#endif
