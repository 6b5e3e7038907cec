//===--- UnjoinedThreadCheck.h - spawn-unjoined-thread --------------------===//
#ifndef TETHER_CHECKS_SPAWN_UNJOINEDTHREADCHECK_H
#define TETHER_CHECKS_SPAWN_UNJOINEDTHREADCHECK_H

#include "core/Check.h"

#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/MapVector.h"
#include "llvm/ADT/SetVector.h"
#include "llvm/ADT/SmallVector.h"

namespace tether {

/// Finds thread objects that can be destroyed while still joinable, which
/// calls std::terminate (or silently detaches, for boost::thread).
///
/// Local thread variables are followed along every path of the function's
/// control-flow graph (early returns, branches, loops, explicit throws; a
/// `joinable()` test and `t.swap(u)` are understood; move-assigning to a
/// joinable thread is reported). A variable that is moved away, passed by
/// reference (to a RAII guard, say) or captured by reference is owned by
/// someone else and no longer followed. Temporaries that are destroyed at the
/// end of their statement, heap-allocated threads whose owner never joins
/// them, and containers of threads whose elements are never joined are
/// flagged too. Thread types that join on destruction (std::jthread) are
/// never flagged.
class UnjoinedThreadCheck : public Check {
public:
  using Check::Check;
  void registerMatchers(clang::ast_matchers::MatchFinder *Finder) override;
  void check(const clang::ast_matchers::MatchFinder::MatchResult &R) override;
  void onEndOfTranslationUnit() override;

private:
  void analyzeFunction(const clang::FunctionDecl *FD,
                       llvm::ArrayRef<const clang::VarDecl *> Vars);
  void checkHeapThread(const clang::Expr *Alloc, clang::QualType ThreadType);
  void checkContainer(const clang::VarDecl *Container);
  bool ownerIsHandled(const clang::ValueDecl *Owner, const clang::Stmt *Scope);

  clang::ASTContext *Ctx = nullptr;
  llvm::MapVector<const clang::FunctionDecl *,
                  llvm::SmallVector<const clang::VarDecl *, 4>>
      Locals;
  llvm::SmallVector<std::pair<const clang::Expr *, clang::QualType>> Heap;
  llvm::SetVector<const clang::VarDecl *> Containers;
  /// Declarations on which a join or detach method is called somewhere in
  /// the translation unit (after following iterators and loop variables).
  llvm::DenseSet<const clang::ValueDecl *> Handled;
};

} // namespace tether

#endif
