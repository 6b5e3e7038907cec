//===--- Lifetimes.cpp - When objects die, and who calls stored callables -===//

#include "Lifetimes.h"

#include "ExprUtils.h"

#include "clang/AST/ASTContext.h"
#include "clang/AST/ExprCXX.h"
#include "clang/AST/ParentMapContext.h"
#include "clang/AST/RecursiveASTVisitor.h"
#include "clang/AST/StmtCXX.h"

using namespace clang;

namespace tether {

namespace {

/// The class an object of type `T` is (arrays looked through), or null for
/// pointers, references and non-class types.
const CXXRecordDecl *objectRecord(QualType T) {
  if (T.isNull())
    return nullptr;
  T = T.getCanonicalType();
  while (const ArrayType *AT = T->getAsArrayTypeUnsafe())
    T = AT->getElementType().getCanonicalType();
  if (T->isReferenceType() || T->isPointerType())
    return nullptr;
  const auto *RD = T->getAsCXXRecordDecl();
  return RD ? RD->getCanonicalDecl() : nullptr;
}

/// Strips parentheses, casts (explicit ones too), `&` and decays: the
/// storage a placement-new's address names.
const Expr *storageOf(const Expr *E) {
  while (E) {
    E = E->IgnoreParenImpCasts();
    if (const auto *C = dyn_cast<ExplicitCastExpr>(E)) {
      E = C->getSubExpr();
      continue;
    }
    if (const auto *UO = dyn_cast<UnaryOperator>(E))
      if (UO->getOpcode() == UO_AddrOf) {
        E = UO->getSubExpr();
        continue;
      }
    return E;
  }
  return nullptr;
}

/// True if the destructor never returns: deleted, or its body calls a
/// [[noreturn]] function (abort, std::terminate, a fatal log) at its top
/// level.
const Decl *noReturnDestructor(const CXXRecordDecl *RD) {
  const CXXDestructorDecl *D = RD->getDestructor();
  if (!D)
    return nullptr;
  if (D->isDeleted())
    return D;
  const FunctionDecl *Def = nullptr;
  if (!D->hasBody(Def))
    return nullptr;
  const auto *Body = dyn_cast_or_null<CompoundStmt>(Def->getBody());
  if (!Body)
    return nullptr;
  for (const Stmt *S : Body->body())
    if (const auto *C = dyn_cast<CallExpr>(S))
      if (const FunctionDecl *Callee = C->getDirectCallee())
        if (Callee->isNoReturn())
          return Def;
  return nullptr;
}

class CreationScanner : public RecursiveASTVisitor<CreationScanner> {
public:
  using Records = llvm::DenseMap<const CXXRecordDecl *,
                                 std::pair<bool, const Decl *>>;
  CreationScanner(ASTContext &Ctx,
                  llvm::function_ref<void(const CXXRecordDecl *)> Mortal,
                  llvm::function_ref<void(const CXXRecordDecl *, const Decl *)>
                      Immortal,
                  llvm::function_ref<void(const CXXRecordDecl *,
                                          const CXXRecordDecl *)>
                      Contained)
      : Ctx(Ctx), Mortal(Mortal), Immortal(Immortal), Contained(Contained) {}

  bool shouldVisitTemplateInstantiations() const { return true; }
  bool shouldVisitImplicitCode() const { return true; }

  bool VisitCXXRecordDecl(CXXRecordDecl *RD) {
    if (!RD->hasDefinition() || RD->isDependentType())
      return true;
    for (const CXXBaseSpecifier &B : RD->bases())
      if (const CXXRecordDecl *Base = objectRecord(B.getType()))
        Contained(Base, RD->getCanonicalDecl());
    return true;
  }

  bool VisitFieldDecl(FieldDecl *FD) {
    if (const CXXRecordDecl *RD = objectRecord(FD->getType()))
      if (!FD->getParent()->isDependentType())
        Contained(RD, cast<CXXRecordDecl>(FD->getParent())->getCanonicalDecl());
    return true;
  }

  bool VisitVarDecl(VarDecl *VD) {
    const CXXRecordDecl *RD = objectRecord(VD->getType());
    if (!RD || VD->getDeclContext()->isDependentContext())
      return true;
    // A static object with a trivial destructor is never torn down: what
    // lives in its storage stays (absl::NoDestructor<T> is one).
    if (VD->hasGlobalStorage() && RD->hasDefinition() &&
        RD->hasTrivialDestructor())
      Immortal(RD, VD);
    else
      Mortal(RD);
    return true;
  }

  bool VisitCXXNewExpr(CXXNewExpr *N) {
    if (N->isTypeDependent())
      return true;
    const CXXRecordDecl *RD = objectRecord(N->getAllocatedType());
    if (!RD)
      return true;
    if (N->getNumPlacementArgs() > 0 &&
        N->getPlacementArg(0)->getType()->isPointerType()) {
      // new (&storage) T: the storage decides.
      const Expr *S = storageOf(N->getPlacementArg(0));
      const ValueDecl *D = S ? rootDecl(S) : nullptr;
      if (const auto *V = dyn_cast_or_null<VarDecl>(D)) {
        if (V->hasGlobalStorage() && !objectRecord(V->getType()))
          Immortal(RD, V); // a static buffer
        else if (const CXXRecordDecl *W = objectRecord(V->getType()))
          Contained(RD, W);
        else
          Mortal(RD);
      } else if (const auto *F = dyn_cast_or_null<FieldDecl>(D)) {
        Contained(RD, cast<CXXRecordDecl>(F->getParent())->getCanonicalDecl());
      } else {
        Mortal(RD);
      }
      return true;
    }
    // new T: leaked into a static pointer or reference, or not.
    const Expr *Cur = N;
    for (int Depth = 0; Depth < 8; ++Depth) {
      auto Parents = Ctx.getParents(*Cur);
      if (Parents.empty())
        break;
      if (const auto *VD = Parents[0].get<VarDecl>()) {
        if (VD->hasGlobalStorage() && (VD->getType()->isPointerType() ||
                                       VD->getType()->isReferenceType())) {
          Immortal(RD, VD);
          return true;
        }
        break;
      }
      const auto *P = Parents[0].get<Expr>();
      if (!P)
        break;
      if (const auto *BO = dyn_cast<BinaryOperator>(P)) {
        if (BO->getOpcode() == BO_Assign && BO->getRHS() == Cur)
          if (const auto *V = dyn_cast_or_null<VarDecl>(rootDecl(BO->getLHS())))
            if (V->hasGlobalStorage() && V->getType()->isPointerType()) {
              Immortal(RD, V);
              return true;
            }
        break;
      }
      if (const auto *UO = dyn_cast<UnaryOperator>(P)) {
        if (UO->getOpcode() != UO_Deref)
          break;
      } else if (!isa<ImplicitCastExpr, ParenExpr, ExplicitCastExpr>(P)) {
        break;
      }
      Cur = P;
    }
    Mortal(RD);
    return true;
  }

  bool VisitCXXDeleteExpr(CXXDeleteExpr *D) {
    if (!D->isTypeDependent())
      if (const CXXRecordDecl *RD = objectRecord(D->getDestroyedType()))
        Mortal(RD);
    return true;
  }

  bool VisitCXXMemberCallExpr(CXXMemberCallExpr *C) {
    // p->~T(), std::destroy_at, allocator_traits::destroy: explicit ends.
    if (const auto *D = dyn_cast_or_null<CXXDestructorDecl>(C->getMethodDecl()))
      Mortal(D->getParent()->getCanonicalDecl());
    return true;
  }

  bool VisitCXXConstructExpr(CXXConstructExpr *CE) {
    if (CE->isTypeDependent() ||
        CE->getConstructionKind() != CXXConstructionKind::Complete)
      return true;
    const CXXRecordDecl *RD = objectRecord(CE->getType());
    if (!RD)
      return true;
    // Where the object lives: a variable (VisitVarDecl), a member
    // (VisitFieldDecl), a new-expression (VisitCXXNewExpr); anything else is
    // a temporary or a copy passed on, which dies.
    auto Parents = Ctx.getParents(*CE);
    if (Parents.empty())
      return true;
    if (Parents[0].get<VarDecl>() || Parents[0].get<CXXNewExpr>() ||
        Parents[0].get<FieldDecl>() || ctorInitializerOf(CE, Parents[0]))
      return true;
    // An array element's construction, a default argument: same owner.
    if (Parents[0].get<CXXDefaultArgExpr>() || Parents[0].get<InitListExpr>())
      return true;
    Mortal(RD);
    return true;
  }

private:
  ASTContext &Ctx;
  llvm::function_ref<void(const CXXRecordDecl *)> Mortal;
  llvm::function_ref<void(const CXXRecordDecl *, const Decl *)> Immortal;
  llvm::function_ref<void(const CXXRecordDecl *, const CXXRecordDecl *)>
      Contained;
};

/// The wait-like method names: a future's get/wait, an executor's
/// wait*/join*/drain, and with `Executor` stop/shutdown/close too.
bool waitsByName(const std::string &Name, bool Executor) {
  std::string L = StringRef(Name).lower();
  StringRef N(L);
  if (N == "get" || N.starts_with("wait") || N.starts_with("join") ||
      N == "drain")
    return true;
  return Executor && (N == "stop" || N == "shutdown" || N == "close");
}

/// The member functions of `RD` that `FD` calls on `this`.
void ownCallees(const Stmt *S, const CXXRecordDecl *RD,
                llvm::SmallVectorImpl<const CXXMethodDecl *> &Out) {
  if (!S)
    return;
  if (const auto *MC = dyn_cast<CXXMemberCallExpr>(S))
    if (const CXXMethodDecl *MD = MC->getMethodDecl())
      if (MD->getParent()->getCanonicalDecl() == RD->getCanonicalDecl() &&
          isa<CXXThisExpr>(
              MC->getImplicitObjectArgument()->IgnoreParenImpCasts()))
        Out.push_back(MD);
  for (const Stmt *C : S->children())
    ownCallees(C, RD, Out);
}

/// Is `D` (a local copied from a member, a range-for variable over one) the
/// member `F`, or an alias of it?
bool reachesField(const ValueDecl *D, const FieldDecl *F, ASTContext &Ctx) {
  for (int Depth = 0; Depth < 4 && D; ++Depth) {
    if (D == F)
      return true;
    const ValueDecl *A = resolveAlias(D, Ctx);
    if (A != D) {
      D = A;
      continue;
    }
    // A local copy of the member: `auto cbs = callbacks_;`.
    const auto *V = dyn_cast<VarDecl>(D);
    if (!V || !V->hasLocalStorage() || !V->getInit())
      return false;
    const Expr *Init = ignoreWrappers(V->getInit());
    if (const auto *CE = dyn_cast<CXXConstructExpr>(Init))
      if (CE->getNumArgs() == 1 &&
          CE->getConstructor()->isCopyOrMoveConstructor())
        Init = CE->getArg(0);
    D = rootDecl(Init);
  }
  return D == F;
}

/// Is the call `C` a call of the object `Callee`: `cb_()`, `cbs_[i](x)`,
/// `std::invoke(cb, ...)`, `(*fp)()`? Returns the called expression.
const Expr *calledObject(const CallExpr *C) {
  if (const auto *OC = dyn_cast<CXXOperatorCallExpr>(C)) {
    if (OC->getOperator() == OO_Call && OC->getNumArgs() >= 1)
      return OC->getArg(0);
    return nullptr;
  }
  if (isa<CXXMemberCallExpr>(C))
    return nullptr;
  if (const FunctionDecl *FD = C->getDirectCallee()) {
    std::string N = qualifiedName(FD);
    if ((N == "std::invoke" || N == "std::apply") && C->getNumArgs() >= 1)
      return C->getArg(0);
    return nullptr;
  }
  // A call through a function pointer.
  return C->getCallee();
}

/// True for a parameter type that holds a callable: std::function and
/// friends (any class with an operator()), a closure type, a function
/// pointer.
bool isCallableType(QualType T) {
  T = T.getNonReferenceType().getCanonicalType();
  if (T->isFunctionPointerType())
    return true;
  const CXXRecordDecl *RD = T->getAsCXXRecordDecl();
  if (!RD || !RD->hasDefinition())
    return false;
  if (RD->isLambda())
    return true;
  for (const CXXMethodDecl *M : RD->methods())
    if (M->getOverloadedOperator() == OO_Call)
      return true;
  return false;
}

/// Does `E` carry the value of parameter `P` (through moves, forwards,
/// conversions to std::function)?
bool carriesParam(const Expr *E, const ParmVarDecl *P) {
  for (int Depth = 0; Depth < 6 && E; ++Depth) {
    E = ignoreWrappers(E);
    if (const auto *DRE = dyn_cast<DeclRefExpr>(E))
      return DRE->getDecl() == P;
    if (const Expr *M = movedArgument(E)) {
      E = M;
      continue;
    }
    if (const auto *CE = dyn_cast<CXXConstructExpr>(E)) {
      if (CE->getNumArgs() == 0)
        return false;
      E = CE->getArg(0);
      continue;
    }
    if (const auto *CE = dyn_cast<CallExpr>(E)) {
      // std::forward<F>(f) is movedArgument's; other calls transform.
      (void)CE;
      return false;
    }
    return false;
  }
  return false;
}

/// The member of `RD` (or a base) that statement `S` stores parameter `P`
/// into: `cb_ = std::move(cb)`, `cbs_.push_back(cb)`, `map_[k] = cb`,
/// `cbs_.emplace(k, std::move(cb))`.
const FieldDecl *storedInto(const Stmt *S, const ParmVarDecl *P,
                            const CXXRecordDecl *RD) {
  auto OwnField = [&](const Expr *Target) -> const FieldDecl * {
    const auto *F = dyn_cast_or_null<FieldDecl>(rootDecl(Target));
    if (!F)
      return nullptr;
    const auto *Owner = cast<CXXRecordDecl>(F->getParent());
    if (Owner->getCanonicalDecl() == RD->getCanonicalDecl() ||
        RD->isDerivedFrom(Owner))
      return F;
    return nullptr;
  };
  if (const auto *OC = dyn_cast<CXXOperatorCallExpr>(S)) {
    if (OC->getOperator() == OO_Equal && OC->getNumArgs() == 2 &&
        carriesParam(OC->getArg(1), P))
      return OwnField(OC->getArg(0));
    return nullptr;
  }
  if (const auto *BO = dyn_cast<BinaryOperator>(S)) {
    if (BO->getOpcode() == BO_Assign && carriesParam(BO->getRHS(), P))
      return OwnField(BO->getLHS());
    return nullptr;
  }
  if (const auto *MC = dyn_cast<CXXMemberCallExpr>(S)) {
    std::string N = calleeName(MC);
    static const char *Inserts[] = {
        "push_back",  "emplace_back", "push_front", "emplace_front", "push",
        "emplace",    "insert",       "emplace_hint", "try_emplace",
        "insert_or_assign"};
    if (!llvm::is_contained(Inserts, N))
      return nullptr;
    for (const Expr *A : MC->arguments())
      if (carriesParam(A, P))
        return OwnField(MC->getImplicitObjectArgument());
  }
  return nullptr;
}

template <typename Fn> void forEachStmt(const Stmt *S, Fn &&F) {
  if (!S)
    return;
  F(S);
  for (const Stmt *C : S->children())
    forEachStmt(C, F);
}

} // namespace

ObjectLifetimes::ObjectLifetimes(ASTContext &Ctx, const RuleSet &Rules,
                                 const ThreadContext &TC)
    : Ctx(Ctx), Rules(Rules), TC(TC) {}

void ObjectLifetimes::scanCreations() {
  if (Scanned)
    return;
  Scanned = true;
  auto Mortal = [&](const CXXRecordDecl *RD) { Records[RD].Mortal = true; };
  auto Immortal = [&](const CXXRecordDecl *RD, const Decl *Why) {
    if (!Records[RD].Immortal)
      Records[RD].Immortal = Why;
  };
  auto Contained = [&](const CXXRecordDecl *RD, const CXXRecordDecl *W) {
    auto &C = Records[RD].Containers;
    if (!llvm::is_contained(C, W))
      C.push_back(W);
  };
  CreationScanner S(Ctx, Mortal, Immortal, Contained);
  S.TraverseAST(Ctx);
}

bool ObjectLifetimes::immortal(const CXXRecordDecl *RD, int Depth,
                               const Decl **Why) {
  if (Depth > 4)
    return false;
  if (const Decl *D = noReturnDestructor(RD)) {
    if (Why)
      *Why = D;
    return true;
  }
  auto It = Records.find(RD);
  if (It == Records.end() || It->second.Mortal)
    return false;
  const Decl *Found = It->second.Immortal;
  // Every object of RD that lives in another (a member, a base part, a
  // placement into its storage) lives as long as that one.
  for (const CXXRecordDecl *W : It->second.Containers) {
    const Decl *WWhy = nullptr;
    if (!immortal(W, Depth + 1, &WWhy))
      return false;
    if (!Found)
      Found = WWhy;
  }
  if (!Found)
    return false;
  if (Why)
    *Why = Found;
  return true;
}

bool ObjectLifetimes::neverDestroyed(const CXXRecordDecl *RD,
                                     const Decl **Why) {
  if (!RD || !RD->hasDefinition())
    return false;
  scanCreations();
  return immortal(RD->getCanonicalDecl(), 0, Why);
}

const Stmt *ObjectLifetimes::destructorWaitsOn(const FieldDecl *F,
                                               bool Executor) {
  const auto *RD = cast<CXXRecordDecl>(F->getParent());
  const CXXDestructorDecl *D = RD->getDestructor();
  const FunctionDecl *Def = nullptr;
  if (!D || !D->hasBody(Def))
    return nullptr;
  llvm::SmallVector<const FunctionDecl *, 4> Bodies{Def};
  llvm::SmallVector<const CXXMethodDecl *, 4> Called;
  ownCallees(Def->getBody(), RD, Called);
  for (const CXXMethodDecl *M : Called) {
    const FunctionDecl *MDef = nullptr;
    if (M->hasBody(MDef) && !llvm::is_contained(Bodies, MDef))
      Bodies.push_back(MDef);
  }
  const Stmt *Found = nullptr;
  for (const FunctionDecl *B : Bodies)
    forEachStmt(B->getBody(), [&](const Stmt *S) {
      if (Found)
        return;
      const auto *MC = dyn_cast<CXXMemberCallExpr>(S);
      if (!MC)
        return;
      std::string N = calleeName(MC);
      const FutureTypeRule *FR =
          futureRule(MC->getImplicitObjectArgument()->getType(), Rules);
      if (!waitsByName(N, Executor) &&
          !(FR && llvm::is_contained(FR->Wait, N)))
        return;
      // `get` is a future's wait only on a future (not unique_ptr::get).
      if (N == "get" && !FR && !Executor)
        return;
      const Expr *Obj = MC->getImplicitObjectArgument();
      // pool_->join() through a std::unique_ptr member.
      if (const auto *OC = dyn_cast<CXXOperatorCallExpr>(Obj->IgnoreImpCasts()))
        if (OC->getOperator() == OO_Arrow)
          Obj = OC->getArg(0);
      if (reachesField(rootDecl(Obj), F, Ctx))
        Found = MC;
    });
  return Found;
}

void ObjectLifetimes::findCallbackStores() {
  if (CallbacksFound)
    return;
  CallbacksFound = true;
  // Which members a function running on a thread calls.
  struct Invocation {
    const Stmt *Call;
    const FunctionDecl *Fn;
    unsigned Context;
  };
  auto ThreadContextOf = [&](const FunctionDecl *FD) -> int {
    for (const Reach &R : TC.reaches(FD))
      if (R.Context != ThreadContext::OtherCode)
        return R.Context;
    return -1;
  };
  // Candidate stores first: few methods store a callable parameter.
  for (const FunctionDecl *FD : TC.functions()) {
    const auto *MD = dyn_cast<CXXMethodDecl>(FD);
    if (!MD || MD->isStatic() || isa<CXXConstructorDecl>(MD) ||
        MD->getParent()->isLambda() || MD->isOverloadedOperator())
      continue;
    for (unsigned I = 0; I < MD->getNumParams(); ++I) {
      const ParmVarDecl *P = MD->getParamDecl(I);
      if (!isCallableType(P->getType()))
        continue;
      forEachStmt(MD->getBody(), [&](const Stmt *S) {
        const FieldDecl *F = storedInto(S, P, MD->getParent());
        if (!F)
          return;
        for (const CallbackStore &CS : Stores)
          if (CS.Method == MD && CS.Param == I)
            return;
        CallbackStore CS;
        CS.Method = MD;
        CS.Param = I;
        CS.Field = F;
        CS.Store = S;
        Stores.push_back(CS);
      });
    }
  }
  if (Stores.empty())
    return;
  // Then whether a thread calls the member each stores into.
  llvm::DenseMap<const FieldDecl *, Invocation> Invoked;
  for (const FunctionDecl *FD : TC.functions()) {
    int C = ThreadContextOf(FD);
    if (C < 0)
      continue;
    forEachStmt(FD->getBody(), [&](const Stmt *S) {
      const auto *Call = dyn_cast<CallExpr>(S);
      const Expr *Obj = Call ? calledObject(Call) : nullptr;
      if (!Obj)
        return;
      const ValueDecl *D = rootDecl(Obj);
      if (!D)
        return;
      for (const CallbackStore &CS : Stores)
        if (!Invoked.count(CS.Field) && reachesField(D, CS.Field, Ctx))
          Invoked[CS.Field] = {S, FD, static_cast<unsigned>(C)};
    });
  }
  std::vector<CallbackStore> Kept;
  for (CallbackStore CS : Stores) {
    auto It = Invoked.find(CS.Field);
    if (It == Invoked.end())
      continue;
    CS.Invoke = It->second.Call;
    CS.Invoker = It->second.Fn;
    CS.Thread = TC.context(It->second.Context).Short;
    Kept.push_back(CS);
  }
  Stores = std::move(Kept);
  if (Stores.empty())
    return;
  // The calls of those methods: the hand-offs.
  for (const FunctionDecl *FD : TC.functions())
    forEachStmt(FD->getBody(), [&](const Stmt *S) {
      const auto *MC = dyn_cast<CXXMemberCallExpr>(S);
      if (!MC || !MC->getMethodDecl())
        return;
      for (const CallbackStore &CS : Stores)
        if (CS.Method == MC->getMethodDecl() &&
            CS.Param < MC->getNumArgs()) {
          // A store method calling another (set_x -> set_y) on itself: the
          // user's call is the hand-off.
          if (FD == CS.Method ||
              (isa<CXXMethodDecl>(FD) &&
               cast<CXXMethodDecl>(FD)->getParent() == CS.Method->getParent() &&
               isa<CXXThisExpr>(MC->getImplicitObjectArgument()
                                    ->IgnoreParenImpCasts())))
            break;
          Sites.push_back({MC, &CS});
          break;
        }
    });
}

const std::vector<CallbackSite> &ObjectLifetimes::callbackSites() {
  findCallbackStores();
  return Sites;
}

} // namespace tether
