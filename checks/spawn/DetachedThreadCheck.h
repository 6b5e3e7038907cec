//===--- DetachedThreadCheck.h - spawn-detached-thread --------------------===//
#ifndef TETHER_CHECKS_SPAWN_DETACHEDTHREADCHECK_H
#define TETHER_CHECKS_SPAWN_DETACHEDTHREADCHECK_H

#include "core/Check.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/SmallVector.h"

namespace tether {

/// Finds threads that are detached, so that nothing can join them, see them
/// fail or outlive them.
///
/// Flags a call of a detach method of a thread type (std::thread::detach,
/// boost::thread::detach, from the rule packs), a call of a detach function
/// (pthread_detach), and a thread created with a detached attribute
/// (pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED)), and a detach
/// method taken as a member pointer (std::mem_fn(&std::thread::detach)).
/// A call in a template is reported once, for its first instantiation.
class DetachedThreadCheck : public Check {
public:
  using Check::Check;
  void registerMatchers(clang::ast_matchers::MatchFinder *Finder) override;
  void check(const clang::ast_matchers::MatchFinder::MatchResult &R) override;
  void onEndOfTranslationUnit() override;

private:
  /// False if a finding was already reported at `Loc` (the same call seen
  /// again in another instantiation of a template).
  bool firstAt(clang::SourceLocation Loc);

  llvm::DenseSet<clang::SourceLocation::UIntTy> Reported;
  /// Attribute objects set to "detached", with the setter call.
  llvm::DenseMap<const clang::ValueDecl *, const clang::CallExpr *>
      DetachedAttrs;
  /// Thread-creating calls whose attribute argument names an attribute
  /// object, checked against DetachedAttrs at the end of the TU.
  llvm::SmallVector<std::pair<const clang::CallExpr *, const clang::ValueDecl *>>
      Creations;
};

} // namespace tether

#endif
