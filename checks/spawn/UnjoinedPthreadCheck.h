//===--- UnjoinedPthreadCheck.h - spawn-unjoined-pthread ------------------===//
#ifndef TETHER_CHECKS_SPAWN_UNJOINEDPTHREADCHECK_H
#define TETHER_CHECKS_SPAWN_UNJOINEDPTHREADCHECK_H

#include "core/Check.h"

#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/SmallVector.h"

namespace tether {

/// Finds pthread_create calls whose thread is never joined or detached.
///
/// The handle (the first argument of pthread_create, from the rule packs) is
/// followed to its variable, array or member; the thread counts as owned
/// when a join or detach function of the same rule is called on that
/// declaration anywhere in the translation unit, or when the handle is handed
/// to code we do not follow (returned, copied out, passed to a function).
/// Threads created with a detached attribute are spawn-detached-thread's.
class UnjoinedPthreadCheck : public Check {
public:
  using Check::Check;
  void registerMatchers(clang::ast_matchers::MatchFinder *Finder) override;
  void check(const clang::ast_matchers::MatchFinder::MatchResult &R) override;
  void onEndOfTranslationUnit() override;

private:
  struct Creation {
    const clang::CallExpr *Call;
    const clang::ValueDecl *Handle;
    const clang::ValueDecl *Attr;
  };
  bool entryManagesItself(const clang::CallExpr *Create);

  clang::ASTContext *Ctx = nullptr;
  llvm::SmallVector<Creation> Creations;
  llvm::DenseSet<const clang::ValueDecl *> Owned;
  llvm::DenseSet<const clang::ValueDecl *> DetachedAttrs;
};

} // namespace tether

#endif
