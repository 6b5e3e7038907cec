//===--- WaitWithoutPredicateCheck.h - send-wait-without-predicate --------===//
#ifndef TETHER_CHECKS_SEND_WAITWITHOUTPREDICATECHECK_H
#define TETHER_CHECKS_SEND_WAITWITHOUTPREDICATECHECK_H

#include "core/Check.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/DenseSet.h"

#include <string>

namespace tether {

/// Finds condition-variable waits without a predicate outside a loop, which
/// return on a spurious wake-up and block for good after a notify they
/// missed.
///
/// Flags a call of a waiting method of a condition variable type from the
/// rule packs (std::condition_variable::wait, wait_for, wait_until, their
/// boost and _any variants) with no more arguments than its overload without
/// a predicate, when no loop of the same function encloses it: a loop
/// re-checks the condition after every wake-up, as the predicate overload
/// does. A function that returns a wait's result forwards it and is judged
/// at its callers in the translation unit.
class WaitWithoutPredicateCheck : public Check {
public:
  using Check::Check;
  void registerMatchers(clang::ast_matchers::MatchFinder *Finder) override;
  void check(const clang::ast_matchers::MatchFinder::MatchResult &R) override;
  void onEndOfTranslationUnit() override;

private:
  /// Functions that return a wait's result (a condition-variable wrapper's
  /// TimedWait): judged at their callers. Value: the wait and its name.
  struct Forward {
    const clang::CallExpr *Wait;
    std::string Method;
  };
  llvm::DenseMap<const clang::FunctionDecl *, Forward> Forwarders;
  clang::ASTContext *Ctx = nullptr;
  /// Template instantiations share the call's location: report it once.
  llvm::DenseSet<clang::SourceLocation> Reported;
};

} // namespace tether

#endif
