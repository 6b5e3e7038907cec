//===--- ValueFlow.cpp - Which object a handle stands for -----------------===//

#include "ValueFlow.h"

#include "ExprUtils.h"

#include "clang/AST/ASTContext.h"
#include "clang/AST/DeclCXX.h"
#include "clang/AST/ExprCXX.h"
#include "clang/AST/ParentMapContext.h"

using namespace clang;

namespace tether {

namespace {

const ValueDecl *canon(const ValueDecl *D) {
  return D ? cast<ValueDecl>(D->getCanonicalDecl()) : nullptr;
}

/// A type whose copies share one object: a pointer, a reference, a shared
/// owner, a future (it names its promise), a stop source or token.
bool sharesObject(QualType T, const RuleSet &Rules) {
  if (T->isPointerType() || T->isReferenceType())
    return true;
  if (futureRule(T, Rules))
    return true;
  std::string N = qualifiedName(recordOf(T));
  return N == "std::shared_ptr" || N == "boost::shared_ptr" ||
         N == "std::shared_future" || N == "boost::shared_future" ||
         N == "std::stop_source" || N == "std::stop_token";
}

/// `E` without wrappers and copy or move constructions: a copied handle is
/// the same handle.
const Expr *stripCopies(const Expr *E) {
  for (int Depth = 0; Depth < 8 && E; ++Depth) {
    E = ignoreWrappers(E);
    const auto *CE = dyn_cast<CXXConstructExpr>(E);
    if (!CE || CE->getNumArgs() != 1 ||
        !CE->getConstructor()->isCopyOrMoveConstructor())
      return E;
    E = CE->getArg(0);
  }
  return E;
}

/// The expression a trivial accessor returns: `{ return p_; }`.
const Expr *accessorResult(const CXXMethodDecl *MD) {
  const FunctionDecl *Def = nullptr;
  if (!MD || MD->isStatic() || !MD->hasBody(Def))
    return nullptr;
  const auto *Body = dyn_cast_or_null<CompoundStmt>(Def->getBody());
  if (!Body || Body->size() != 1)
    return nullptr;
  const auto *Ret = dyn_cast<ReturnStmt>(Body->body_front());
  return Ret ? Ret->getRetValue() : nullptr;
}

/// Is the member `E` refers to a member of `this` (not of another object)?
bool onThis(const Expr *E) {
  for (int Depth = 0; Depth < 8 && E; ++Depth) {
    E = stripCopies(E);
    if (const auto *ME = dyn_cast<MemberExpr>(E)) {
      E = ME->getBase();
      continue;
    }
    if (isa<CXXThisExpr>(E))
      return true;
    if (const auto *MC = dyn_cast<CXXMemberCallExpr>(E)) {
      E = MC->getImplicitObjectArgument();
      continue;
    }
    if (const auto *OC = dyn_cast<CXXOperatorCallExpr>(E)) {
      if (OC->getNumArgs() == 0)
        return false;
      E = OC->getArg(0);
      continue;
    }
    if (const auto *UO = dyn_cast<UnaryOperator>(E)) {
      E = UO->getSubExpr();
      continue;
    }
    return false;
  }
  return false;
}

} // namespace

const ValueDecl *ValueFlow::origin(const ValueDecl *D) { return origin(D, 0); }

const ValueDecl *ValueFlow::originOf(const Expr *E) { return originOf(E, 0); }

const ValueDecl *ValueFlow::originOf(const Expr *E, int Depth) {
  if (!E || Depth > 6)
    return nullptr;
  E = stripCopies(E);
  if (const Expr *M = movedArgument(E))
    return originOf(M, Depth + 1);
  if (const auto *MC = dyn_cast<CXXMemberCallExpr>(E)) {
    const CXXMethodDecl *MD = MC->getMethodDecl();
    const Expr *Obj = MC->getImplicitObjectArgument();
    if (MD && Obj && MD->getIdentifier()) {
      // p.get_future(): the promise (or packaged task) it belongs to.
      if (MD->getName() == "get_future" || MD->getName() == "get_token" ||
          MD->getName() == "share")
        return originOf(Obj, Depth + 1);
      // obj.done(): a trivial accessor returning one of its members.
      if (const Expr *R = accessorResult(MD))
        if (onThis(R))
          return originOf(R, Depth + 1);
    }
  }
  return origin(rootDecl(E), Depth + 1);
}

const ValueDecl *ValueFlow::fieldOrigin(const ValueDecl *D, int Depth) {
  const auto *F = dyn_cast<FieldDecl>(D);
  if (!F || !sharesObject(F->getType(), Rules))
    return nullptr;
  const ValueDecl *Found = nullptr;
  bool Mixed = false;
  auto Source = [&](const Expr *E) {
    if (!E || Mixed)
      return;
    E = ignoreWrappers(E);
    if (const auto *CE = dyn_cast<CXXConstructExpr>(E)) {
      if (CE->getNumArgs() == 0)
        return; // default-constructed: empty until a store
      if (CE->getConstructor()->isCopyOrMoveConstructor())
        E = CE->getArg(0);
    }
    const ValueDecl *O = originOf(E, Depth + 1);
    if (!O || O == canon(F) || (Found && Found != O))
      Mixed = true;
    else
      Found = O;
  };
  const auto *RD = cast<CXXRecordDecl>(F->getParent());
  if (F->hasInClassInitializer())
    Source(F->getInClassInitializer());
  for (const CXXConstructorDecl *C : RD->ctors()) {
    const FunctionDecl *Def = nullptr;
    if (!C->hasBody(Def))
      continue;
    for (const CXXCtorInitializer *I :
         cast<CXXConstructorDecl>(Def)->inits())
      if (I->getMember() == F && I->isWritten())
        Source(I->getInit());
  }
  for (const Expr *Ref : referencesTo(F, nullptr, Ctx)) {
    if (classifyUse(Ref, Ctx) != UseKind::Assigned)
      continue;
    auto Parents = Ctx.getParents(*Ref);
    const Expr *Cur = Ref;
    // Up to the assignment whose left side this is.
    for (int Up = 0; Up < 4 && !Parents.empty(); ++Up) {
      const auto *P = Parents[0].get<Expr>();
      if (!P)
        break;
      if (const auto *OC = dyn_cast<CXXOperatorCallExpr>(P)) {
        if (OC->getOperator() == OO_Equal && OC->getNumArgs() == 2 &&
            ignoreWrappers(OC->getArg(0)) == ignoreWrappers(Cur))
          Source(OC->getArg(1));
        else
          Mixed = true;
        break;
      }
      if (const auto *BO = dyn_cast<BinaryOperator>(P)) {
        if (BO->getOpcode() == BO_Assign)
          Source(BO->getRHS());
        else
          Mixed = true;
        break;
      }
      Cur = P;
      Parents = Ctx.getParents(*P);
    }
  }
  return Mixed ? nullptr : Found;
}

const ValueDecl *ValueFlow::origin(const ValueDecl *D, int Depth) {
  D = canon(D);
  if (!D || Depth > 6)
    return D;
  auto It = Memo.find(D);
  if (It != Memo.end())
    return It->second;
  Memo[D] = D; // a cycle stands for itself
  const ValueDecl *O = D;
  if (const auto *V = dyn_cast<VarDecl>(D)) {
    // A local handle or an init-capture copied from another handle.
    // (A moved-in promise is the same promise; a copied bool is another.)
    if ((V->hasLocalStorage() || V->isInitCapture()) && V->getInit() &&
        !isa<ParmVarDecl>(V) &&
        (sharesObject(V->getType(), Rules) ||
         (V->isInitCapture() && movedArgument(ignoreWrappers(V->getInit())))))
      if (const ValueDecl *From = originOf(V->getInit(), Depth + 1))
        O = From;
  } else if (const ValueDecl *From = fieldOrigin(D, Depth)) {
    O = From;
  }
  Memo[D] = O;
  return O;
}

} // namespace tether
