//===--- BrokenPromiseCheck.h - supervision-broken-promise ----------------===//
#ifndef TETHER_CHECKS_SUPERVISION_BROKENPROMISECHECK_H
#define TETHER_CHECKS_SUPERVISION_BROKENPROMISECHECK_H

#include "core/Check.h"

#include "llvm/ADT/MapVector.h"
#include "llvm/ADT/SmallVector.h"

namespace tether {

/// Finds promises (std::promise, std::packaged_task) whose future is taken
/// but that can go out of scope unsatisfied on some path, so that the
/// waiter gets a broken_promise error instead of the value or the failure.
///
/// Local promise variables whose future is taken in the function are
/// followed along every path of the function's control-flow graph: a path
/// that reaches the destructor without a satisfying call (set_value,
/// set_exception, the task's operator()), an explicit `throw` that leaves
/// the scope, and a call that can throw (ThrowAnalysis.h: a `throw` in a
/// function of the translation unit, a rule-pack throwing function) between
/// taking the future and the satisfying call are reported. Before its
/// future is taken nobody waits on a promise, so nothing breaks then. A promise that is moved
/// away, passed by reference or captured by reference is no longer
/// followed: its new owner is responsible.
class BrokenPromiseCheck : public Check {
public:
  using Check::Check;
  void registerMatchers(clang::ast_matchers::MatchFinder *Finder) override;
  void check(const clang::ast_matchers::MatchFinder::MatchResult &R) override;
  void onEndOfTranslationUnit() override;

private:
  void analyzeFunction(const clang::FunctionDecl *FD,
                       llvm::ArrayRef<const clang::VarDecl *> Vars);

  clang::ASTContext *Ctx = nullptr;
  llvm::MapVector<const clang::FunctionDecl *,
                  llvm::SmallVector<const clang::VarDecl *, 2>>
      Locals;
  /// erase/pop/clear calls on containers of promises, per function.
  llvm::MapVector<const clang::FunctionDecl *,
                  llvm::SmallVector<const clang::CXXMemberCallExpr *, 2>>
      Removals;
};

} // namespace tether

#endif
