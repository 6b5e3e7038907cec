//===--- NotifyOneMultipleConditionsCheck.h - send-notify-one-multiple-conditions ===//
#ifndef TETHER_CHECKS_SEND_NOTIFYONEMULTIPLECONDITIONSCHECK_H
#define TETHER_CHECKS_SEND_NOTIFYONEMULTIPLECONDITIONSCHECK_H

#include "core/Check.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/SmallVector.h"

namespace clang {
class ValueDecl;
} // namespace clang

namespace tether {

/// Finds notify_one calls on a condition variable whose waiters wait for
/// different conditions, so that the one woken may not be the one the
/// change was for and the wake-up is lost.
///
/// For each condition variable of the translation unit (a global or a
/// member, of a condition-variable type of the rule packs, C's included),
/// collects the condition each waiter waits for: the predicate of a
/// predicate overload, or the negated condition of the loop around a wait
/// without one. Conditions are compared structurally (the same expression
/// on the same variables). When two differ, each call of a waking-one
/// method or function of that condition variable (notify_one,
/// pthread_cond_signal, cnd_signal) is reported (CERT CON55-CPP, CON38-C).
class NotifyOneMultipleConditionsCheck : public Check {
public:
  using Check::Check;
  void registerMatchers(clang::ast_matchers::MatchFinder *Finder) override;
  void check(const clang::ast_matchers::MatchFinder::MatchResult &R) override;
  void onEndOfTranslationUnit() override;

private:
  struct Wait {
    clang::SourceLocation Loc;
    unsigned Condition; ///< structural hash of the awaited condition
  };
  struct Signals {
    llvm::SmallVector<Wait, 4> Waits;
    llvm::SmallVector<clang::SourceLocation, 2> NotifyOnes;
  };
  void addWait(const clang::ValueDecl *CV, const clang::Expr *Call,
               const clang::Expr *Predicate, clang::ASTContext &Ctx);

  llvm::DenseMap<const clang::ValueDecl *, Signals> ByVariable;
  llvm::SmallVector<const clang::ValueDecl *, 4> Order;
  /// Template instantiations share the call's location: one record per
  /// condition variable and location (the pattern's member and each
  /// instantiation's are different declarations), one report per location.
  llvm::DenseSet<std::pair<const clang::ValueDecl *, clang::SourceLocation>>
      Seen;
  llvm::DenseSet<clang::SourceLocation> Reported;
};

} // namespace tether

#endif
