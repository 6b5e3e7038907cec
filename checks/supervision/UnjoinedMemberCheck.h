//===--- UnjoinedMemberCheck.h - supervision-unjoined-member --------------===//
#ifndef TETHER_CHECKS_SUPERVISION_UNJOINEDMEMBERCHECK_H
#define TETHER_CHECKS_SUPERVISION_UNJOINEDMEMBERCHECK_H

#include "core/Check.h"

#include "llvm/ADT/MapVector.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/SetVector.h"

namespace tether {

/// Finds classes with a thread member (or a container of them) that a thread
/// is started in but that neither the destructor nor any stop path joins, so
/// that destroying the object calls std::terminate.
///
/// A member counts as started when a constructor initializes it with an
/// entry, or a thread is assigned or added to it (`t_ = std::thread(f)`,
/// `workers_.emplace_back(f)`, `workers_[i] = ...`). It counts as handled
/// when a join or detach method is called on it (or on an element, through
/// a range-for or an iterator) somewhere in the translation unit, or when it
/// is moved away or passed by reference to other code. For a single thread
/// member the join must be on every path of one function (the destructor,
/// stop(), ...): a function that joins only on some paths (`if (x)
/// t_.join();` with no joinable() test or other branch, an early return
/// before the join) is reported with a note at the path that skips it; a
/// branch on `t_.joinable()` and a call of another function of the class
/// that joins count. Classes with a member function declared but not
/// defined in the translation unit are not judged: the join may be there.
/// Thread types that join on destruction (std::jthread) are never flagged.
class UnjoinedMemberCheck : public Check {
public:
  using Check::Check;
  void registerMatchers(clang::ast_matchers::MatchFinder *Finder) override;
  void check(const clang::ast_matchers::MatchFinder::MatchResult &R) override;
  void onEndOfTranslationUnit() override;

private:
  void checkField(const clang::FieldDecl *F);

  clang::ASTContext *Ctx = nullptr;
  llvm::SetVector<const clang::FieldDecl *> Fields;
  /// Declarations on which a join or detach method is called somewhere,
  /// with those calls.
  llvm::MapVector<const clang::ValueDecl *,
                  llvm::SmallVector<const clang::CXXMemberCallExpr *, 2>>
      Handled;
};

} // namespace tether

#endif
