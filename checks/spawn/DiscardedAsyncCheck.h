//===--- DiscardedAsyncCheck.h - spawn-discarded-async --------------------===//
#ifndef TETHER_CHECKS_SPAWN_DISCARDEDASYNCCHECK_H
#define TETHER_CHECKS_SPAWN_DISCARDEDASYNCCHECK_H

#include "core/Check.h"

#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/SmallVector.h"

namespace tether {

/// Finds std::async futures that are discarded or never waited on, so the
/// call is secretly synchronous and the task's exception is lost.
///
/// Flags a call of an async function from the rule packs (std::async,
/// boost::async) whose future is thrown away, and one whose future is stored
/// in a variable, a member or a container on which no waiting method
/// (get, wait, wait_for, ...) is ever called and which is never handed on.
class DiscardedAsyncCheck : public Check {
public:
  using Check::Check;
  void registerMatchers(clang::ast_matchers::MatchFinder *Finder) override;
  void check(const clang::ast_matchers::MatchFinder::MatchResult &R) override;
  void onEndOfTranslationUnit() override;

private:
  struct Stored {
    const clang::CallExpr *Call;
    const clang::ValueDecl *Holder;
  };
  clang::ASTContext *Ctx = nullptr;
  llvm::SmallVector<Stored> StoredFutures;
  /// Declarations on which a waiting method is called somewhere in the TU.
  llvm::DenseSet<const clang::ValueDecl *> Waited;
};

} // namespace tether

#endif
