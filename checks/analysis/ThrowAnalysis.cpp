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

namespace {

/// Sets the mode of the query under way and restores the caller's.
class ModeScope {
public:
  ModeScope(UnseenCalls &M, UnseenCalls To) : M(M), Old(M) { M = To; }
  ~ModeScope() { M = Old; }

private:
  UnseenCalls &M;
  UnseenCalls Old;
};

/// A function with C language linkage (`extern "C"`, declared in a C
/// header): C has no exceptions.
bool hasCLinkage(const FunctionDecl *FD) {
  return FD->isExternC() || FD->isInExternCContext();
}

/// A callable variable, parameter or member declared in C code (a
/// function pointer member of a struct from a C header, a parameter of an
/// `extern "C"` function): what it holds is a C function.
bool declaredInC(const ValueDecl *D) {
  if (D->getDeclContext()->isExternCContext())
    return true;
  if (const auto *FD = dyn_cast<FunctionDecl>(D->getDeclContext()))
    return hasCLinkage(FD);
  return false;
}

/// A callable whose type promises not to throw (a pointer to a noexcept
/// function).
bool nothrowCallableType(QualType T) {
  T = T.getNonReferenceType();
  if (const auto *PT = T->getAs<PointerType>())
    T = PT->getPointeeType();
  else if (const auto *MPT = T->getAs<MemberPointerType>())
    T = MPT->getPointeeType();
  const auto *FPT = T->getAs<FunctionProtoType>();
  return FPT && FPT->isNothrow();
}

/// "a std::function", "a function pointer": what a call goes through, when
/// that hides its target (a pointer, a type-erasing wrapper); empty for
/// other callable objects (std::hash, a comparator, a bind result), whose
/// call is what their type says.
std::string callableKind(const Expr *Obj) {
  QualType T = Obj->getType().getNonReferenceType();
  if (T->isMemberFunctionPointerType())
    return "a member function pointer";
  if (T->isFunctionPointerType() || T->isFunctionType() ||
      (T->isPointerType() && T->getPointeeType()->isFunctionType()))
    return "a function pointer";
  if (const CXXRecordDecl *RD = T->getAsCXXRecordDecl()) {
    std::string N = qualifiedName(RD);
    if (N == "std::function" || N == "std::move_only_function" ||
        N == "std::copyable_function" || N == "std::function_ref" ||
        N == "boost::function")
      return "a " + N;
  }
  return "";
}

/// The promise-like object whose call `C` is, when its rule pack entry says
/// that calling it satisfies it (std::packaged_task: the callable's
/// exception is stored for the future).
bool callStoresException(const CallExpr *C, const RuleSet &Rules) {
  const Expr *Obj = nullptr;
  if (const auto *OC = dyn_cast<CXXOperatorCallExpr>(C)) {
    if (OC->getOperator() == OO_Call && OC->getNumArgs() > 0)
      Obj = OC->getArg(0);
  } else if (const auto *MC = dyn_cast<CXXMemberCallExpr>(C)) {
    if (const CXXMethodDecl *MD = MC->getMethodDecl();
        MD && MD->getOverloadedOperator() == OO_Call)
      Obj = MC->getImplicitObjectArgument();
  }
  if (!Obj)
    return false;
  QualType T = Obj->getType().getNonReferenceType();
  if (const auto *PT = T->getAs<PointerType>())
    T = PT->getPointeeType();
  const CXXRecordDecl *RD = T->getAsCXXRecordDecl();
  if (!RD)
    return false;
  const PromiseTypeRule *R = Rules.promiseType(qualifiedName(RD));
  return R && llvm::is_contained(R->Satisfy, "operator()");
}

/// Keeps the better origin: any beats none, a certain one beats a possible
/// one.
void offer(std::optional<ThrowOrigin> &Out, std::optional<ThrowOrigin> O) {
  if (O && (!Out || (Out->Maybe && !O->Maybe)))
    Out = std::move(O);
}

bool settled(const std::optional<ThrowOrigin> &Out) {
  return Out && !Out->Maybe;
}

constexpr llvm::StringLiteral MayThrowPrefix = "may throw: ";

} // namespace

std::optional<ThrowOrigin> ThrowAnalysis::unseen(const Expr *Call,
                                                 std::string What) {
  if (Mode != UnseenCalls::MayThrow || !Ctx.getLangOpts().CPlusPlus ||
      !Ctx.getLangOpts().CXXExceptions)
    return std::nullopt;
  ThrowOrigin O;
  O.Site = Call;
  O.What = (MayThrowPrefix + What).str();
  O.Maybe = true;
  return O;
}

std::optional<ThrowOrigin>
ThrowAnalysis::thrownThroughCallable(const CallExpr *C, const Expr *Obj) {
  // Only a value whose possible targets this translation unit shows (a
  // local or global initialized with a lambda, a function, &C::m, a bind):
  // a parameter or a member can hold anything and is assumed not to throw
  // (in the MayThrow mode: may throw).
  if (nothrowCallableType(Obj->getType()))
    return std::nullopt;
  std::string Kind = callableKind(Obj);
  std::string Unseen =
      Kind.empty() ? std::string()
                   : "calls through " + Kind + " whose targets are not visible";
  // Only a wrapper or a pointer hides its target; another callable object
  // does not count as unseen.
  auto Unknown = [&]() -> std::optional<ThrowOrigin> {
    if (Unseen.empty())
      return std::nullopt;
    return unseen(C, Unseen);
  };
  const Expr *Root = Obj->IgnoreParenImpCasts();
  while (const auto *UO = dyn_cast<UnaryOperator>(Root)) {
    if (UO->getOpcode() != UO_Deref)
      break;
    Root = UO->getSubExpr()->IgnoreParenImpCasts();
  }
  const ValueDecl *Held = nullptr;
  if (const auto *DRE = dyn_cast<DeclRefExpr>(Root)) {
    Held = DRE->getDecl();
    if (declaredInC(Held))
      return std::nullopt;
    if (isa<ParmVarDecl>(Held))
      return Unknown();
  } else if (const auto *ME = dyn_cast<MemberExpr>(Root)) {
    Held = ME->getMemberDecl();
    if (declaredInC(Held))
      return std::nullopt;
    if (!isa<CXXMethodDecl>(Held))
      return Unknown();
  }
  const SourceManager &SM = Ctx.getSourceManager();
  llvm::SmallVector<const FunctionDecl *, 4> Targets;
  for (const FunctionDecl *Target : resolveCallable(Obj, Ctx))
    Targets.push_back(Target);
  if (Targets.empty())
    return Unknown();
  std::optional<ThrowOrigin> Out;
  for (const FunctionDecl *Target : Targets) {
    if (SM.isInSystemHeader(SM.getExpansionLoc(Target->getLocation())))
      continue;
    if (hasCLinkage(Target))
      continue;
    if (Rules.isNothrowFunction(functionQualifiedName(Target)))
      continue;
    if (const auto *FPT = Target->getType()->getAs<FunctionProtoType>())
      if (FPT->isNothrow())
        continue;
    if (const auto *MD = dyn_cast<CXXMethodDecl>(Target))
      if (MD->isVirtual() && !MD->hasAttr<FinalAttr>() &&
          !MD->getParent()->hasAttr<FinalAttr>()) {
        // a member pointer to a virtual method dispatches
        offer(Out,
              unseen(C, "calls virtual function '" + functionQualifiedName(MD) +
                            "', whose overrides are not all visible"));
        continue;
      }
    if (const ThrowOrigin *O = escapesBodyIn(Target))
      offer(Out, *O);
    if (settled(Out))
      break;
  }
  return Out;
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

std::optional<ThrowOrigin> ThrowAnalysis::thrownBy(const Expr *E,
                                                   UnseenCalls U) {
  ModeScope M(Mode, U);
  return thrownByCall(E);
}

std::optional<ThrowOrigin> ThrowAnalysis::thrownByCall(const Expr *E) {
  const FunctionDecl *FD = nullptr;
  if (const auto *C = dyn_cast<CallExpr>(E)) {
    // Calling a std::packaged_task runs its callable and stores what it
    // throws for the future: nothing reaches the caller.
    if (callStoresException(C, Rules))
      return std::nullopt;
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
  // C has no exceptions: a function with C linkage does not throw.
  if (hasCLinkage(FD))
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
  // what may never run. In the MayThrow mode it may throw.
  if (const auto *MC = dyn_cast<CXXMemberCallExpr>(E))
    if (const CXXMethodDecl *MD = MC->getMethodDecl();
        MD && MD->isVirtual() && !MD->hasAttr<FinalAttr>() &&
        !MD->getParent()->hasAttr<FinalAttr>()) {
      const auto *ME = dyn_cast<MemberExpr>(MC->getCallee()->IgnoreParens());
      if (!ME || !ME->hasQualifier())
        return unseen(E, "calls virtual function '" + Name +
                             "', whose overrides are not all visible");
    }
  const FunctionDecl *Def = FD->getDefinition();
  if (!Def || !Def->hasBody() ||
      Ctx.getSourceManager().isInSystemHeader(Def->getLocation()))
    return std::nullopt;
  if (const ThrowOrigin *O = escapesBodyIn(Def))
    return *O;
  return std::nullopt;
}

const ThrowOrigin *ThrowAnalysis::escapesBody(const FunctionDecl *FD,
                                              UnseenCalls U) {
  ModeScope M(Mode, U);
  return escapesBodyIn(FD);
}

const ThrowOrigin *ThrowAnalysis::escapesBodyIn(const FunctionDecl *FD) {
  if (const FunctionDecl *Def = FD->getDefinition())
    FD = Def;
  if (!FD->hasBody())
    return nullptr;
  unsigned I = static_cast<unsigned>(Mode);
  if (Done[I].count(FD)) {
    auto It = Memo[I].find(FD);
    return It == Memo[I].end() ? nullptr : It->second.get();
  }
  if (!InProgress[I].insert(FD).second)
    return nullptr; // recursion: the first visit decides
  std::optional<ThrowOrigin> Out;
  llvm::SmallVector<const CXXTryStmt *, 4> Tries;
  if (const auto *Ctor = dyn_cast<CXXConstructorDecl>(FD))
    for (const CXXCtorInitializer *Init : Ctor->inits())
      if (Init->isWritten() || Init->isInClassMemberInitializer())
        walk(Init->getInit(), Tries, FD, Out);
  walk(FD->getBody(), Tries, FD, Out);
  InProgress[I].erase(FD);
  Done[I].insert(FD);
  if (!Out)
    return nullptr;
  auto &Slot = Memo[I][FD];
  Slot = std::make_unique<ThrowOrigin>(std::move(*Out));
  return Slot.get();
}

std::optional<ThrowOrigin>
ThrowAnalysis::escapesStmt(const Stmt *S, const FunctionDecl *Within,
                           UnseenCalls U) {
  ModeScope M(Mode, U);
  std::optional<ThrowOrigin> Out;
  llvm::SmallVector<const CXXTryStmt *, 4> Tries;
  walk(S, Tries, Within, Out);
  return Out;
}

void ThrowAnalysis::walk(const Stmt *S,
                         llvm::SmallVectorImpl<const CXXTryStmt *> &Tries,
                         const FunctionDecl *Within,
                         std::optional<ThrowOrigin> &Out) {
  if (!S || settled(Out))
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
    if (settled(Out))
      return;
    // A handler runs only if the try block can throw: with unknown callees
    // assumed not to throw, a `catch (...) { report(); throw; }` around a
    // virtual call rethrows nothing we know of - unless the query counts
    // what a rethrowing handler expects (UnseenCalls::UnderRethrow).
    std::optional<ThrowOrigin> Any;
    llvm::SmallVector<const CXXTryStmt *, 4> NoTries;
    walk(Try->getTryBlock(), NoTries, Within, Any);
    if (!Any && Mode == UnseenCalls::UnderRethrow) {
      ModeScope M(Mode, UnseenCalls::MayThrow);
      walk(Try->getTryBlock(), NoTries, Within, Any);
    }
    if (!Any)
      return;
    // A handler runs outside its own try: what it (re)throws goes further.
    for (unsigned I = 0; I < Try->getNumHandlers() && !settled(Out); ++I) {
      std::optional<ThrowOrigin> H;
      walk(Try->getHandler(I)->getHandlerBlock(), Tries, Within, H);
      if (H && Any->Maybe && !H->Maybe) {
        // The handler runs only if the try block throws, which it may.
        H->Maybe = true;
        StringRef Why = StringRef(Any->What).drop_front(MayThrowPrefix.size());
        H->What =
            (MayThrowPrefix + "rethrown here; the try block " + Why).str();
        if (!isa<CXXThrowExpr>(H->Site) ||
            cast<CXXThrowExpr>(H->Site)->getSubExpr())
          H->What = (MayThrowPrefix +
                     "the handler throws here; the try "
                     "block " +
                     Why)
                        .str();
      }
      offer(Out, std::move(H));
    }
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
    offer(Out, std::move(O));
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
  for (const Stmt *Child : S->children()) {
    walk(Child, Tries, Within, Out);
    if (settled(Out))
      return;
  }
  if (isa<CallExpr, CXXConstructExpr>(S)) {
    std::optional<ThrowOrigin> O = thrownByCall(cast<Expr>(S));
    if (!O || Caught(O->Type))
      return;
    O->Chain.insert(O->Chain.begin(), Within);
    offer(Out, std::move(O));
  }
}

} // namespace tether
