//===--- ThrowAnalysis.cpp - Which exceptions can leave a function --------===//

#include "ThrowAnalysis.h"

#include "analysis/CfgDataflow.h"
#include "analysis/StmtParents.h"
#include "analysis/ExprUtils.h"
#include "analysis/SpawnSites.h"

#include "clang/AST/ASTContext.h"
#include "clang/AST/Attr.h"
#include "clang/AST/DeclCXX.h"
#include "clang/AST/ExprCXX.h"
#include "clang/AST/StmtCXX.h"
#include "clang/Basic/SourceManager.h"

using namespace clang;

namespace tether {

namespace {

QualType normalized(QualType T) {
  return T.getNonReferenceType().getCanonicalType().getUnqualifiedType();
}

std::string typeText(QualType T, const ASTContext &Ctx) {
  PrintingPolicy P(Ctx.getLangOpts());
  P.SuppressInlineNamespace = true;
  P.SuppressUnwrittenScope = true;
  P.SuppressTagKeyword = true;
  return T.getUnqualifiedType().getAsString(P);
}

} // namespace

bool ThrowAnalysis::catches(const CXXCatchStmt *H, QualType T) {
  QualType Caught = H->getCaughtType();
  if (Caught.isNull() || T.isNull())
    return true; // catch (...), or a type we do not know
  QualType HT = normalized(Caught);
  QualType TT = normalized(T);
  if (HT->isDependentType() || TT->isDependentType())
    return true;
  if (HT == TT)
    return true;
  if (HT->isPointerType() && TT->isPointerType()) {
    QualType HP = normalized(HT->getPointeeType());
    QualType TP = normalized(TT->getPointeeType());
    if (HP->isVoidType() || HP == TP)
      return true;
    HT = HP;
    TT = TP;
  }
  const auto *HR = HT->getAsCXXRecordDecl();
  const auto *TR = TT->getAsCXXRecordDecl();
  if (HR && TR && TR->hasDefinition() && TR->isDerivedFrom(HR))
    return true;
  return false;
}

bool ThrowAnalysis::catches(const CXXTryStmt *Try, QualType T) {
  for (unsigned I = 0; I < Try->getNumHandlers(); ++I)
    if (catches(Try->getHandler(I), T))
      return true;
  return false;
}

/// The callable object of a call whose target is not named: `fp()`,
/// `(*fp)()`, `(obj.*pm)()`, and `f()` on a std::function or another
/// library wrapper whose operator() is in a system header. Null for a call
/// of a named function (or of a functor's own operator()).
static const Expr *calledObject(const CallExpr *C, const SourceManager &SM) {
  if (const auto *OC = dyn_cast<CXXOperatorCallExpr>(C)) {
    if (OC->getOperator() != OO_Call || OC->getNumArgs() == 0)
      return nullptr;
    const FunctionDecl *Op = OC->getDirectCallee();
    if (Op && !SM.isInSystemHeader(SM.getExpansionLoc(Op->getLocation())))
      return nullptr; // a functor's own operator(): called directly
    return OC->getArg(0);
  }
  if (C->getDirectCallee() || isa<CXXPseudoDestructorExpr>(C->getCallee()))
    return nullptr;
  const Expr *Callee = C->getCallee()->IgnoreParenImpCasts();
  if (const auto *BO = dyn_cast<BinaryOperator>(Callee))
    if (BO->isPtrMemOp())
      return BO->getRHS();
  return Callee;
}

std::optional<ThrowOrigin>
ThrowAnalysis::thrownThroughCallable(const CallExpr *, const Expr *Obj) {
  // Only a value whose possible targets this translation unit shows (a
  // local or global initialized with a lambda, a function, &C::m, a bind):
  // a parameter or a member can hold anything and is assumed not to throw.
  const Expr *Root = Obj->IgnoreParenImpCasts();
  while (const auto *UO = dyn_cast<UnaryOperator>(Root)) {
    if (UO->getOpcode() != UO_Deref)
      break;
    Root = UO->getSubExpr()->IgnoreParenImpCasts();
  }
  if (const auto *DRE = dyn_cast<DeclRefExpr>(Root)) {
    if (isa<ParmVarDecl>(DRE->getDecl()))
      return std::nullopt;
  } else if (isa<MemberExpr>(Root)) {
    if (!isa<CXXMethodDecl>(cast<MemberExpr>(Root)->getMemberDecl()))
      return std::nullopt;
  }
  const SourceManager &SM = Ctx.getSourceManager();
  for (const FunctionDecl *Target : resolveCallable(Obj, Ctx)) {
    if (SM.isInSystemHeader(SM.getExpansionLoc(Target->getLocation())))
      continue;
    if (Rules.isNothrowFunction(functionQualifiedName(Target)))
      continue;
    if (const auto *FPT = Target->getType()->getAs<FunctionProtoType>())
      if (FPT->isNothrow())
        continue;
    if (const auto *MD = dyn_cast<CXXMethodDecl>(Target))
      if (MD->isVirtual() && !MD->hasAttr<FinalAttr>() &&
          !MD->getParent()->hasAttr<FinalAttr>())
        continue; // a member pointer to a virtual method dispatches
    if (const ThrowOrigin *O = escapesBody(Target))
      return *O;
  }
  return std::nullopt;
}

bool ThrowAnalysis::leavesScope(const Stmt *At, QualType T, const VarDecl *V,
                                ASTContext &Ctx) {
  const Stmt *Child = At;
  for (int Depth = 0; Depth < 256; ++Depth) {
    const Stmt *P = enclosingStmt(Child, Ctx);
    if (!P || isa<LambdaExpr>(P))
      return true; // reached the function (or the lambda's) boundary
    if (const auto *Try = dyn_cast<CXXTryStmt>(P))
      if (Try->getTryBlock() == Child && catches(Try, T))
        return isInside(V, Try->getTryBlock(), Ctx);
    Child = P;
  }
  return true;
}

std::optional<ThrowOrigin> ThrowAnalysis::thrownBy(const Expr *E) {
  const FunctionDecl *FD = nullptr;
  if (const auto *C = dyn_cast<CallExpr>(E)) {
    FD = C->getDirectCallee();
    // A wrapper's operator() named in the rule packs is judged by its rule
    // (a pack may say std::function::operator() throws bad_function_call).
    if (const Expr *Obj = calledObject(C, Ctx.getSourceManager()))
      if (!FD || !Rules.throwingFunction(functionQualifiedName(FD)))
        return thrownThroughCallable(C, Obj);
  } else if (const auto *CE = dyn_cast<CXXConstructExpr>(E)) {
    FD = CE->getConstructor();
  }
  if (!FD)
    return std::nullopt;
  std::string Name = functionQualifiedName(FD);
  if (Rules.isNothrowFunction(Name))
    return std::nullopt;
  if (const auto *FPT = FD->getType()->getAs<FunctionProtoType>())
    if (FPT->isNothrow())
      return std::nullopt;
  if (const ThrowingFunctionRule *R = Rules.throwingFunction(Name)) {
    ThrowOrigin O;
    O.Site = E;
    O.What = "'" + Name + "' can throw " + R->Throws + " here";
    return O;
  }
  // A virtual call runs whichever override the object has; following the
  // named one (often a base that throws "not implemented") would report
  // what may never run.
  if (const auto *MC = dyn_cast<CXXMemberCallExpr>(E))
    if (const CXXMethodDecl *MD = MC->getMethodDecl();
        MD && MD->isVirtual() && !MD->hasAttr<FinalAttr>() &&
        !MD->getParent()->hasAttr<FinalAttr>()) {
      const auto *ME = dyn_cast<MemberExpr>(MC->getCallee()->IgnoreParens());
      if (!ME || !ME->hasQualifier())
        return std::nullopt;
    }
  const FunctionDecl *Def = FD->getDefinition();
  if (!Def || !Def->hasBody() ||
      Ctx.getSourceManager().isInSystemHeader(Def->getLocation()))
    return std::nullopt;
  if (const ThrowOrigin *O = escapesBody(Def))
    return *O;
  return std::nullopt;
}

const ThrowOrigin *ThrowAnalysis::escapesBody(const FunctionDecl *FD) {
  if (const FunctionDecl *Def = FD->getDefinition())
    FD = Def;
  if (!FD->hasBody())
    return nullptr;
  if (Done.count(FD)) {
    auto It = Memo.find(FD);
    return It == Memo.end() ? nullptr : It->second.get();
  }
  if (!InProgress.insert(FD).second)
    return nullptr; // recursion: the first visit decides
  std::optional<ThrowOrigin> Out;
  llvm::SmallVector<const CXXTryStmt *, 4> Tries;
  if (const auto *Ctor = dyn_cast<CXXConstructorDecl>(FD))
    for (const CXXCtorInitializer *Init : Ctor->inits())
      if (Init->isWritten() || Init->isInClassMemberInitializer())
        walk(Init->getInit(), Tries, FD, Out);
  walk(FD->getBody(), Tries, FD, Out);
  InProgress.erase(FD);
  Done.insert(FD);
  if (!Out)
    return nullptr;
  auto &Slot = Memo[FD];
  Slot = std::make_unique<ThrowOrigin>(std::move(*Out));
  return Slot.get();
}

std::optional<ThrowOrigin>
ThrowAnalysis::escapesStmt(const Stmt *S, const FunctionDecl *Within) {
  std::optional<ThrowOrigin> Out;
  llvm::SmallVector<const CXXTryStmt *, 4> Tries;
  walk(S, Tries, Within, Out);
  return Out;
}

void ThrowAnalysis::walk(const Stmt *S,
                         llvm::SmallVectorImpl<const CXXTryStmt *> &Tries,
                         const FunctionDecl *Within,
                         std::optional<ThrowOrigin> &Out) {
  if (!S || Out)
    return;
  auto Caught = [&](QualType T) {
    for (const CXXTryStmt *Try : Tries)
      if (catches(Try, T))
        return true;
    return false;
  };
  if (const auto *Try = dyn_cast<CXXTryStmt>(S)) {
    Tries.push_back(Try);
    walk(Try->getTryBlock(), Tries, Within, Out);
    Tries.pop_back();
    if (Out)
      return;
    // A handler runs only if the try block can throw: with unknown callees
    // assumed not to throw, a `catch (...) { report(); throw; }` around a
    // virtual call rethrows nothing we know of.
    std::optional<ThrowOrigin> Any;
    llvm::SmallVector<const CXXTryStmt *, 4> NoTries;
    walk(Try->getTryBlock(), NoTries, Within, Any);
    if (!Any)
      return;
    // A handler runs outside its own try: what it (re)throws goes further.
    for (unsigned I = 0; I < Try->getNumHandlers() && !Out; ++I)
      walk(Try->getHandler(I)->getHandlerBlock(), Tries, Within, Out);
    return;
  }
  if (const auto *Throw = dyn_cast<CXXThrowExpr>(S)) {
    const Expr *Sub = Throw->getSubExpr();
    QualType T = Sub ? Sub->getType() : QualType();
    if (Caught(T))
      return;
    ThrowOrigin O;
    O.Site = Throw;
    O.What = Sub ? "'" + typeText(T, Ctx) + "' is thrown here"
                 : std::string("the exception is rethrown here");
    O.Type = T;
    O.Chain.push_back(Within);
    Out = std::move(O);
    return;
  }
  if (const auto *L = dyn_cast<LambdaExpr>(S)) {
    // The body runs when the lambda is called, not here.
    for (const Expr *Init : L->capture_inits())
      walk(Init, Tries, Within, Out);
    return;
  }
  if (isa<UnaryExprOrTypeTraitExpr, CXXNoexceptExpr, CXXTypeidExpr,
          BlockExpr>(S))
    return; // unevaluated operands
  for (const Stmt *Child : S->children())
    walk(Child, Tries, Within, Out);
  if (Out)
    return;
  if (isa<CallExpr, CXXConstructExpr>(S)) {
    std::optional<ThrowOrigin> O = thrownBy(cast<Expr>(S));
    if (!O || Caught(O->Type))
      return;
    O->Chain.insert(O->Chain.begin(), Within);
    Out = std::move(O);
  }
}

} // namespace tether
