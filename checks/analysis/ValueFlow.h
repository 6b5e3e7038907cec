//===--- ValueFlow.h - Which object a handle stands for -------------------===//
//
// A small intra-TU value flow for handles whose copies share one object
// (pointers, references, std::shared_ptr, futures, std::shared_future,
// std::stop_source/stop_token): the declaration a signal or a wait names is
// mapped to the object it stands for, so that two names of one promise,
// flag or condition variable compare equal:
//
//   - a local or an init-capture initialized from another handle (`auto q =
//     p;`, `[q = p]`, `auto f = p.get_future();`) stands for that handle's
//     object;
//   - a member whose every store in this TU (in-class initializer,
//     constructor initializers, assignments) copies the same handle stands
//     for that handle's object;
//   - `x.get_future()` stands for `x`; a call of a trivial accessor (`return
//     p_;`, `return p_.get_future();`, `return *p_;`) for the member it
//     returns.
//
// Identity is by declaration, as elsewhere in tether: a member stands for
// the member of every object of its class.
//
//===----------------------------------------------------------------------===//
#ifndef TETHER_CHECKS_ANALYSIS_VALUEFLOW_H
#define TETHER_CHECKS_ANALYSIS_VALUEFLOW_H

#include "core/Rules.h"

#include "llvm/ADT/DenseMap.h"

namespace clang {
class ASTContext;
class Expr;
class ValueDecl;
} // namespace clang

namespace tether {

class ValueFlow {
public:
  ValueFlow(clang::ASTContext &Ctx, const RuleSet &Rules)
      : Ctx(Ctx), Rules(Rules) {}

  /// The canonical declaration of the object `D` stands for (`D`'s own
  /// canonical declaration when nothing is known).
  const clang::ValueDecl *origin(const clang::ValueDecl *D);

  /// The object the value of `E` stands for, or null when `E` names none
  /// (a temporary, a call this analysis does not see through).
  const clang::ValueDecl *originOf(const clang::Expr *E);

private:
  const clang::ValueDecl *origin(const clang::ValueDecl *D, int Depth);
  const clang::ValueDecl *originOf(const clang::Expr *E, int Depth);
  const clang::ValueDecl *fieldOrigin(const clang::ValueDecl *F, int Depth);

  clang::ASTContext &Ctx;
  const RuleSet &Rules;
  llvm::DenseMap<const clang::ValueDecl *, const clang::ValueDecl *> Memo;
};

} // namespace tether

#endif
