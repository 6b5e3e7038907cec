//===--- LostWakeupCheck.cpp - send-lost-wakeup ---------------------------===//

#include "LostWakeupCheck.h"

#include "analysis/ExprUtils.h"
#include "analysis/SharedAnalyses.h"
#include "analysis/StmtParents.h"

#include "clang/AST/ASTContext.h"
#include "clang/AST/ExprCXX.h"
#include "clang/AST/ParentMapContext.h"
#include "clang/AST/RecursiveASTVisitor.h"
#include "clang/AST/StmtCXX.h"

using namespace clang;
using namespace clang::ast_matchers;

namespace tether {

namespace {

/// A mutex a scan holds; Mutex is null when the mutex is not a variable or
/// member we can name (it then matches any waiter's mutex).
struct Held {
  const ValueDecl *Mutex;
  const VarDecl *Lock;  ///< the lock object holding it, null for m.lock()
  const Stmt *Scope;    ///< the compound statement that ends the lock
};

const ValueDecl *canonical(const ValueDecl *D) {
  return D ? cast<ValueDecl>(D->getCanonicalDecl()) : nullptr;
}

bool isStdOrSystem(const Decl *D) {
  if (!D)
    return false;
  if (D->isInStdNamespace())
    return true;
  const ASTContext &Ctx = D->getASTContext();
  return Ctx.getSourceManager().isInSystemHeader(D->getLocation());
}

/// The mutexes a lock object's constructor acquires: its arguments that are
/// not tags (adopt_lock, try_to_lock) or durations. `Deferred` is set for
/// the rule's defer tag (the mutex stays unlocked).
llvm::SmallVector<const ValueDecl *, 2>
constructorMutexes(const Expr *Init, const LockTypeRule &R, bool &Deferred) {
  llvm::SmallVector<const ValueDecl *, 2> Out;
  Deferred = false;
  const auto *CE = dyn_cast_or_null<CXXConstructExpr>(ignoreWrappers(Init));
  if (!CE) {
    Out.push_back(nullptr); // from a call or a move: some mutex, held
    return Out;
  }
  for (const Expr *A : CE->arguments()) {
    if (isa<CXXDefaultArgExpr>(A))
      continue;
    if (const CXXRecordDecl *RD = recordOf(A->getType())) {
      std::string N = qualifiedName(RD);
      if (!R.DeferTag.empty() && qualifiedNameMatches(R.DeferTag, N)) {
        Deferred = true;
        continue;
      }
      if (StringRef(N).ends_with("_lock_t") ||
          StringRef(N).starts_with("std::chrono::"))
        continue;
      if (CE->getConstructor()->isCopyOrMoveConstructor()) {
        Out.push_back(nullptr);
        continue;
      }
    }
    Out.push_back(canonical(rootDecl(A)));
  }
  return Out;
}

} // namespace

/// Does calling `FD` possibly take a lock (so that it may make the change
/// the waiter needs under the waiter's mutex)? Unknown code may; standard
/// library functions do not change the caller's state under its mutexes.
class LockFinder {
public:
  LockFinder(const RuleSet &Rules) : Rules(Rules) {}

  bool mayLock(const FunctionDecl *FD, int Depth = 3) {
    if (!FD)
      return true; // an indirect call
    if (isStdOrSystem(FD))
      return false;
    if (const auto *MD = dyn_cast<CXXMethodDecl>(FD))
      if (MD->isVirtual() && !MD->hasAttr<FinalAttr>() &&
          !MD->getParent()->hasAttr<FinalAttr>())
        return true; // an override may
    const FunctionDecl *Def = nullptr;
    if (!FD->hasBody(Def) || !Def->getBody())
      return true;
    if (Depth == 0)
      return true;
    auto It = Memo.find(Def);
    if (It != Memo.end())
      return It->second;
    Memo[Def] = false; // recursion: assume not, unless a lock is found
    bool R = bodyLocks(Def->getBody(), Depth);
    Memo[Def] = R;
    return R;
  }

private:
  const RuleSet &Rules;
  llvm::DenseMap<const FunctionDecl *, bool> Memo;

  bool bodyLocks(const Stmt *S, int Depth) {
    if (!S)
      return false;
    if (const auto *DS = dyn_cast<DeclStmt>(S))
      for (const Decl *D : DS->decls())
        if (const auto *V = dyn_cast<VarDecl>(D))
          if (lockRule(V->getType(), Rules))
            return true;
    if (const auto *MC = dyn_cast<CXXMemberCallExpr>(S)) {
      const Expr *Obj = MC->getImplicitObjectArgument();
      if (Obj)
        if (const MutexTypeRule *M = mutexRule(Obj->getType(), Rules))
          if (llvm::is_contained(M->Lock, calleeName(MC)))
            return true;
    }
    if (const auto *C = dyn_cast<CallExpr>(S))
      if (!isa<CXXOperatorCallExpr>(C) || C->getDirectCallee())
        if (mayLock(C->getDirectCallee(), Depth - 1))
          return true;
    if (isa<LambdaExpr>(S))
      return false;
    for (const Stmt *Child : S->children())
      if (bodyLocks(Child, Depth))
        return true;
    return false;
  }
};

namespace {

/// What the scan of the code before one notify found.
struct ScanResult {
  bool Fine = false; ///< a change under the waiter's mutex, or maybe one
  const Expr *UnlockedWrite = nullptr;
  const ValueDecl *UnlockedTarget = nullptr;
  const Expr *WrongMutexWrite = nullptr;
  const ValueDecl *WrongMutexTarget = nullptr;
  const ValueDecl *WrongMutex = nullptr;
  bool OpaqueCall = false; ///< user code that takes no lock but may write
};

/// Scans a function body in source order up to a notify (or to the end of
/// the outermost loop around it), tracking the mutexes held.
class Scanner {
public:
  Scanner(ASTContext &Ctx, const RuleSet &Rules, LockFinder &Locks,
          const Stmt *Body,
          const llvm::SmallPtrSet<const ValueDecl *, 2> *Waiters)
      : Ctx(Ctx), Rules(Rules), Locks(Locks), Body(Body), Waiters(Waiters) {}

  ScanResult run(const Stmt *NotifyCall, const Stmt *StopAfter) {
    Notify = NotifyCall;
    Stop = StopAfter;
    visit(Body);
    return Res;
  }

private:
  ASTContext &Ctx;
  const RuleSet &Rules;
  LockFinder &Locks;
  const Stmt *Body;
  const llvm::SmallPtrSet<const ValueDecl *, 2> *Waiters;
  const Stmt *Notify = nullptr;
  const Stmt *Stop = nullptr;
  bool Done = false;
  ScanResult Res;
  llvm::SmallVector<Held, 4> HeldNow;
  llvm::SmallVector<const Stmt *, 8> Scopes;
  llvm::DenseMap<const VarDecl *, bool> Escapes;

  /// Is `M` a mutex the waiters use (any mutex when they are unknown)?
  bool waiterMutex(const ValueDecl *M) const {
    if (!Waiters || Waiters->empty() || !M || Waiters->count(nullptr))
      return true;
    return Waiters->count(M);
  }
  const Held *heldWaiterMutex() const {
    for (const Held &H : HeldNow)
      if (waiterMutex(H.Mutex))
        return &H;
    return nullptr;
  }

  void acquire(const ValueDecl *M, const VarDecl *Lock) {
    HeldNow.push_back({M, Lock, Lock ? (Scopes.empty() ? nullptr
                                                       : Scopes.back())
                                     : nullptr});
    // A change made before, then the waiter's mutex taken before the
    // notify: the waiter is either not yet checking or already blocked.
    if (Res.UnlockedWrite && waiterMutex(M))
      Res.Fine = true;
  }

  bool localEscapes(const VarDecl *V) {
    auto It = Escapes.find(V);
    if (It != Escapes.end())
      return It->second;
    bool E = false;
    const Stmt *Scope = nullptr;
    if (const auto *FD =
            dyn_cast_or_null<FunctionDecl>(V->getParentFunctionOrMethod()))
      Scope = FD->getBody();
    for (const Expr *Ref : referencesTo(V, Scope, Ctx))
      if (classifyUse(Ref, Ctx) == UseKind::Escaped) {
        E = true;
        break;
      }
    Escapes[V] = E;
    return E;
  }

  /// The declaration a write through `E` changes, and whether other threads
  /// can see it.
  std::pair<const ValueDecl *, bool> target(const Expr *E) {
    const ValueDecl *First = nullptr;
    for (int Depth = 0; Depth < 16 && E; ++Depth) {
      E = ignoreWrappers(E);
      if (const auto *DRE = dyn_cast<DeclRefExpr>(E)) {
        const ValueDecl *D = DRE->getDecl();
        if (!First)
          First = D;
        const auto *V = dyn_cast<VarDecl>(D);
        if (!V)
          return {First, false};
        bool Shared = !V->hasLocalStorage() ||
                      V->getType()->isReferenceType() ||
                      DRE->refersToEnclosingVariableOrCapture() ||
                      localEscapes(V);
        return {First, Shared};
      }
      if (const auto *ME = dyn_cast<MemberExpr>(E)) {
        if (!First)
          First = ME->getMemberDecl();
        if (ME->isArrow() || isa<CXXThisExpr>(ME->getBase()->IgnoreParenImpCasts()))
          return {First, true};
        E = ME->getBase();
        continue;
      }
      if (const auto *UO = dyn_cast<UnaryOperator>(E)) {
        if (UO->getOpcode() == UO_Deref)
          return {First ? First : rootDecl(UO->getSubExpr()), true};
        return {First, true};
      }
      if (const auto *AS = dyn_cast<ArraySubscriptExpr>(E)) {
        if (AS->getBase()->getType()->isPointerType())
          return {First ? First : rootDecl(AS->getBase()), true};
        E = AS->getBase();
        continue;
      }
      if (const auto *OC = dyn_cast<CXXOperatorCallExpr>(E)) {
        if (OC->getOperator() == OO_Subscript && OC->getNumArgs() >= 1) {
          E = OC->getArg(0);
          continue;
        }
        return {First ? First : rootDecl(E), true};
      }
      if (const auto *MC = dyn_cast<CXXMemberCallExpr>(E)) {
        // v.at(i), v.back(): the container's element.
        E = MC->getImplicitObjectArgument();
        if (E && E->getType()->isPointerType())
          return {First ? First : rootDecl(E), true};
        continue;
      }
      if (isa<CXXThisExpr>(E))
        return {First, true};
      break;
    }
    return {First, true}; // a call's result, something we do not model
  }

  bool isSyncObject(QualType T) const {
    return conditionVariableRule(T, Rules) || mutexRule(T, Rules) ||
           lockRule(T, Rules);
  }

  void write(const Expr *W, const Expr *Target) {
    auto [D, Shared] = target(Target);
    bool Locked = !HeldNow.empty();
    if (Locked) {
      // Anything changed under the waiter's mutex, even a local, is taken
      // as the change the waiter checks.
      if (const Held *H = heldWaiterMutex()) {
        (void)H;
        Res.Fine = true;
        return;
      }
      if (Shared && !Res.WrongMutexWrite) {
        Res.WrongMutexWrite = W;
        Res.WrongMutexTarget = D;
        Res.WrongMutex = HeldNow.back().Mutex;
      }
      return;
    }
    if (!Shared)
      return;
    Res.UnlockedWrite = W;
    Res.UnlockedTarget = D;
  }

  /// A call of user code: under the waiter's mutex it may change anything;
  /// without it, it may take the mutex itself.
  void userCall(const FunctionDecl *FD) {
    if (!HeldNow.empty() ? heldWaiterMutex() != nullptr : Locks.mayLock(FD))
      Res.Fine = true;
    else
      Res.OpaqueCall = true;
  }

  void memberCall(const CXXMemberCallExpr *MC) {
    const Expr *Obj = MC->getImplicitObjectArgument();
    const CXXMethodDecl *MD = MC->getMethodDecl();
    if (!Obj || !MD) {
      userCall(nullptr);
      return;
    }
    std::string N = calleeName(MC);
    QualType OT = Obj->getType();
    if (const LockTypeRule *L = lockRule(OT, Rules)) {
      const auto *LV = dyn_cast_or_null<VarDecl>(rootDecl(Obj));
      if (llvm::is_contained(L->Unlock, N)) {
        llvm::erase_if(HeldNow, [&](const Held &H) { return H.Lock == LV; });
      } else if (llvm::is_contained(L->Lock, N)) {
        bool Deferred = false;
        if (LV && LV->getInit())
          for (const ValueDecl *M :
               constructorMutexes(LV->getInit(), *L, Deferred))
            acquire(M, LV);
        else
          acquire(nullptr, LV);
      }
      return;
    }
    if (const MutexTypeRule *M = mutexRule(OT, Rules)) {
      const ValueDecl *MD2 = canonical(rootDecl(Obj));
      if (llvm::is_contained(M->Unlock, N))
        llvm::erase_if(HeldNow, [&](const Held &H) {
          return !H.Lock && H.Mutex == MD2;
        });
      else if (llvm::is_contained(M->Lock, N))
        acquire(MD2, nullptr);
      return;
    }
    if (isSyncObject(OT))
      return; // notify, wait
    if (!MD->isConst() && !MD->isStatic()) {
      // A non-const method changes its object (through a pointer: the
      // pointee, which other threads can see).
      if (OT->isPointerType())
        writeThroughPointer(MC, Obj);
      else
        write(MC, Obj);
    }
    if (!isStdOrSystem(MD))
      userCall(MD);
    else
      stdArguments(MC, MD);
  }

  void writeThroughPointer(const Expr *W, const Expr *Ptr) {
    // `p->push(x)`: the pointee is shared.
    if (!HeldNow.empty()) {
      write(W, Ptr);
      return;
    }
    Res.UnlockedWrite = W;
    Res.UnlockedTarget = rootDecl(Ptr);
  }

  /// A standard function changes what it gets by non-const reference or
  /// pointer (std::swap(a_, b), std::fill(p, ...)).
  void stdArguments(const CallExpr *C, const FunctionDecl *FD) {
    unsigned Shift = isa<CXXOperatorCallExpr>(C) && isa<CXXMethodDecl>(FD) ? 1
                                                                          : 0;
    for (unsigned I = Shift; I < C->getNumArgs(); ++I) {
      unsigned P = I - Shift;
      if (P >= FD->getNumParams())
        break;
      QualType PT = FD->getParamDecl(P)->getType();
      bool Out = (PT->isLValueReferenceType() &&
                  !PT.getNonReferenceType().isConstQualified()) ||
                 (PT->isPointerType() &&
                  !PT->getPointeeType().isConstQualified());
      if (!Out || isSyncObject(C->getArg(I)->getType()))
        continue;
      if (PT->isPointerType())
        writeThroughPointer(C, C->getArg(I));
      else
        write(C, C->getArg(I));
    }
  }

  void call(const CallExpr *C) {
    if (const auto *MC = dyn_cast<CXXMemberCallExpr>(C)) {
      memberCall(MC);
      return;
    }
    const FunctionDecl *FD = C->getDirectCallee();
    if (const auto *OC = dyn_cast<CXXOperatorCallExpr>(C)) {
      OverloadedOperatorKind K = OC->getOperator();
      if (OC->isAssignmentOp() || K == OO_PlusPlus || K == OO_MinusMinus) {
        if (OC->getNumArgs() >= 1 && !isSyncObject(OC->getArg(0)->getType()))
          write(OC, OC->getArg(0));
        if (FD && !isStdOrSystem(FD) && !FD->isImplicit() &&
            !FD->isDefaulted())
          userCall(FD);
        return;
      }
    }
    if (FD && isStdOrSystem(FD)) {
      stdArguments(C, FD);
      return;
    }
    if (FD && FD->getBuiltinID())
      return;
    userCall(FD);
  }

  void declare(const VarDecl *V) {
    const LockTypeRule *L = lockRule(V->getType(), Rules);
    if (!L || V->getType()->isReferenceType() || V->getType()->isPointerType())
      return;
    bool Deferred = false;
    auto Ms = constructorMutexes(V->getInit(), *L, Deferred);
    if (Deferred)
      return;
    for (const ValueDecl *M : Ms)
      acquire(M, V);
  }

  void visit(const Stmt *S) {
    if (!S || Done)
      return;
    if (S == Notify) {
      // The notify itself (or the call of a notify forwarder) is no change.
      if (!Stop)
        Done = true;
      return;
    }
    if (isa<LambdaExpr, BlockExpr>(S))
      return; // runs later, if at all
    if (const auto *DS = dyn_cast<DeclStmt>(S)) {
      for (const Decl *D : DS->decls())
        if (const auto *V = dyn_cast<VarDecl>(D)) {
          visit(V->getInit());
          if (Done)
            return;
          declare(V);
        }
    } else if (isa<CompoundStmt>(S)) {
      Scopes.push_back(S);
      for (const Stmt *C : S->children())
        visit(C);
      Scopes.pop_back();
      if (Done)
        return;
      llvm::erase_if(HeldNow, [&](const Held &H) { return H.Scope == S; });
    } else {
      for (const Stmt *C : S->children())
        visit(C);
      if (Done)
        return;
      if (const auto *C = dyn_cast<CallExpr>(S)) {
        call(C);
      } else if (const auto *BO = dyn_cast<BinaryOperator>(S)) {
        if (BO->isAssignmentOp())
          write(BO, BO->getLHS());
      } else if (const auto *UO = dyn_cast<UnaryOperator>(S)) {
        if (UO->isIncrementDecrementOp())
          write(UO, UO->getSubExpr());
      }
    }
    if (S == Stop)
      Done = true;
  }
};

/// The body of the function or lambda `S` is in, and the outermost loop
/// around `S` within it.
std::pair<const Stmt *, const Stmt *> bodyAndLoop(const Stmt *S,
                                                  ASTContext &Ctx) {
  const Stmt *Loop = nullptr;
  const Stmt *Child = S;
  for (int Depth = 0; Depth < 128; ++Depth) {
    auto Parents = Ctx.getParents(*Child);
    if (Parents.empty())
      return {nullptr, nullptr};
    if (const auto *FD = Parents[0].get<FunctionDecl>())
      return {FD->getBody() == Child ? Child : nullptr, Loop};
    const Stmt *P = enclosingStmt(Child, Ctx);
    if (!P)
      return {nullptr, nullptr};
    if (const auto *LE = dyn_cast<LambdaExpr>(P))
      return {LE->getBody() == Child ? Child : nullptr, Loop};
    if (isa<WhileStmt, DoStmt, ForStmt, CXXForRangeStmt>(P))
      Loop = P;
    Child = P;
  }
  return {nullptr, nullptr};
}

/// A function whose body is only this call forwards it: `cv.notify_one();`,
/// `return cv.wait(lk);`, or the call under a test (`if (waiters_ != 0)
/// cv_.notify_one();`). A notify forwarder is judged at its callers (they
/// made, or did not make, the change); a wait forwarder's lock comes from
/// its callers.
bool isForwarderBody(const Stmt *Body, const Stmt *Call) {
  const auto *CS = dyn_cast_or_null<CompoundStmt>(Body);
  if (!CS || CS->size() != 1)
    return false;
  const Stmt *Only = CS->body_front();
  if (const auto *If = dyn_cast<IfStmt>(Only)) {
    if (If->getElse() || If->getInit() || If->getConditionVariable())
      return false;
    Only = If->getThen();
    if (const auto *Block = dyn_cast<CompoundStmt>(Only)) {
      if (Block->size() != 1)
        return false;
      Only = Block->body_front();
    }
  }
  if (const auto *Ret = dyn_cast<ReturnStmt>(Only))
    Only = Ret->getRetValue();
  if (const auto *E = dyn_cast_or_null<Expr>(Only))
    return ignoreWrappers(E) == Call;
  return false;
}

std::string nameOf(const ValueDecl *D) {
  return D ? "'" + D->getNameAsString() + "'" : "shared state";
}

} // namespace

void LostWakeupCheck::registerMatchers(MatchFinder *Finder) {
  std::vector<std::string> Notify, Wait;
  for (const auto &R : rules().ConditionVariables) {
    Notify.insert(Notify.end(), R.Notify.begin(), R.Notify.end());
    for (const auto &[M, N] : R.Wait)
      Wait.push_back(M);
  }
  if (!Notify.empty())
    Finder->addMatcher(
        cxxMemberCallExpr(callee(cxxMethodDecl(hasAnyName(std::vector<StringRef>(
                              Notify.begin(), Notify.end())))))
            .bind("notify"),
        this);
  if (!Wait.empty())
    Finder->addMatcher(
        cxxMemberCallExpr(callee(cxxMethodDecl(hasAnyName(
                              std::vector<StringRef>(Wait.begin(), Wait.end())))))
            .bind("wait"),
        this);
}

void LostWakeupCheck::check(const MatchFinder::MatchResult &R) {
  Ctx = R.Context;
  bool IsNotify = true;
  const auto *Call = R.Nodes.getNodeAs<CXXMemberCallExpr>("notify");
  if (!Call) {
    Call = R.Nodes.getNodeAs<CXXMemberCallExpr>("wait");
    IsNotify = false;
  }
  if (!Call || !Call->getImplicitObjectArgument())
    return;
  const Expr *Obj = Call->getImplicitObjectArgument();
  const ConditionVariableRule *Rule = conditionVariableRule(
      Obj->IgnoreParenImpCasts()->getType(), rules());
  if (!Rule && Call->getMethodDecl()) // a class derived from one
    Rule = conditionVariableRule(
        R.Context->getRecordType(Call->getMethodDecl()->getParent()), rules());
  if (!Rule)
    return;
  const ValueDecl *CV = canonical(rootDecl(Obj));
  if (IsNotify) {
    if (llvm::is_contained(Rule->Notify, calleeName(Call)))
      Notifies.push_back({Call, CV});
    return;
  }
  if (!CV || Call->getNumArgs() == 0)
    return;
  auto &Set = WaiterMutexes[CV];
  const Expr *LockArg = ignoreWrappers(Call->getArg(0));
  const ValueDecl *LockD = rootDecl(LockArg);
  const auto *LV = dyn_cast_or_null<VarDecl>(LockD);
  // A wait forwarder (`void Wait(std::unique_lock<std::mutex> &lk) {
  // cv_.wait(lk); }`): the lock or mutex comes from its callers, which are
  // judged at the end of the translation unit.
  if (const auto *PV = dyn_cast_or_null<ParmVarDecl>(LockD)) {
    auto [Body, Loop] = bodyAndLoop(Call, *R.Context);
    (void)Loop;
    const auto *FD =
        dyn_cast_or_null<FunctionDecl>(PV->getParentFunctionOrMethod());
    if (FD && Body && FD->getBody() == Body && isForwarderBody(Body, Call)) {
      WaitForwards.push_back({FD, PV->getFunctionScopeIndex(), CV});
      return;
    }
    Set.insert(nullptr); // a lock from elsewhere: any mutex
    return;
  }
  if (const LockTypeRule *L = lockRule(LockArg->getType(), rules())) {
    if (LV && LV->hasLocalStorage() && !isa<ParmVarDecl>(LV) &&
        LV->getInit()) {
      bool Deferred = false;
      for (const ValueDecl *M : constructorMutexes(LV->getInit(), *L, Deferred))
        Set.insert(M);
      return;
    }
    Set.insert(nullptr); // a lock from elsewhere: any mutex
    return;
  }
  Set.insert(canonical(LockD)); // condition_variable_any on the mutex itself
}

/// The mutexes a lock (or, for condition_variable_any, a mutex) argument
/// names; null for one that cannot be told.
static void argumentMutexes(const Expr *Arg, const RuleSet &Rules,
                            llvm::SmallPtrSetImpl<const ValueDecl *> &Out) {
  const Expr *E = ignoreWrappers(Arg);
  const ValueDecl *D = rootDecl(E);
  if (const LockTypeRule *L = lockRule(E->getType(), Rules)) {
    const auto *LV = dyn_cast_or_null<VarDecl>(D);
    if (LV && LV->hasLocalStorage() && !isa<ParmVarDecl>(LV) &&
        LV->getInit()) {
      bool Deferred = false;
      for (const ValueDecl *M : constructorMutexes(LV->getInit(), *L, Deferred))
        Out.insert(M);
      return;
    }
    Out.insert(nullptr);
    return;
  }
  Out.insert(D && !isa<ParmVarDecl>(D) ? canonical(D) : nullptr);
}

void LostWakeupCheck::onEndOfTranslationUnit() {
  if (!Ctx)
    return;
  ThreadContext &TC = threadContext(context());
  // Wait forwarders: the lock each caller passes is the waiter's.
  for (const WaitForward &W : WaitForwards) {
    auto &Set = WaiterMutexes[W.CondVar];
    auto Callers = TC.callers(W.Fn);
    if (Callers.empty())
      Set.insert(nullptr);
    for (const auto &[Caller, Where] : Callers) {
      const auto *C = dyn_cast_or_null<CallExpr>(Where);
      if (!C || W.Param >= C->getNumArgs() || isa<CXXOperatorCallExpr>(C)) {
        Set.insert(nullptr);
        continue;
      }
      argumentMutexes(C->getArg(W.Param), rules(), Set);
    }
  }
  LockFinder Locks(rules());
  for (const Notify &N : Notifies) {
    const llvm::SmallPtrSet<const ValueDecl *, 2> *Waiters = nullptr;
    if (N.CondVar) {
      auto It = WaiterMutexes.find(N.CondVar);
      if (It != WaiterMutexes.end())
        Waiters = &It->second;
    }
    judge(N.Call, N.Call, calleeName(N.Call) + "()", Waiters, Locks, TC, 0);
  }
  Notifies.clear();
  WaiterMutexes.clear();
  WaitForwards.clear();
}

/// Judges the notify `At` (a notify, or the call of a function that only
/// forwards `Notify`): the code before it in its function must change the
/// state under the waiter's mutex. A forwarder is judged at its callers.
void LostWakeupCheck::judge(
    const Expr *At, const CXXMemberCallExpr *Forwarded, const std::string &Method,
    const llvm::SmallPtrSet<const ValueDecl *, 2> *Waiters, LockFinder &Locks,
    ThreadContext &TC, int Depth) {
  SourceLocation Loc = At->getExprLoc();
  if (Reported.count(Loc))
    return;
  auto [Body, Loop] = bodyAndLoop(At, *Ctx);
  if (!Body)
    return;
  bool Forwarder = isForwarderBody(Body, At);
  if (Forwarder && Depth < 3) {
    // `void wake() { cv_.notify_all(); }`: its callers make the change.
    for (const FunctionDecl *FD : TC.enclosingFunctions(At)) {
      if (FD->getBody() != Body)
        continue;
      for (const auto &[Caller, Where] : TC.callers(FD))
        if (const auto *C = dyn_cast_or_null<CallExpr>(Where))
          judge(C, Forwarded, FD->getNameAsString() + "()", Waiters, Locks, TC,
                Depth + 1);
    }
    return;
  }
  Scanner S(*Ctx, rules(), Locks, Body, Waiters);
  ScanResult Res = S.run(At, Loop);
  if (Res.Fine)
    return;
  std::string WaiterMutex = "the mutex the waiter uses";
  std::string Named;
  if (Waiters && Waiters->size() == 1 && *Waiters->begin()) {
    WaiterMutex = "'" + (*Waiters->begin())->getNameAsString() +
                  "', the mutex the waiter uses";
    Named = " ('" + (*Waiters->begin())->getNameAsString() +
            "', the waiter's mutex)";
  }
  std::string Cure = "make the change while holding " + WaiterMutex +
                     ", then notify; or send the change as a message to a "
                     "tether::server, whose mailbox loses no wake-up";
  auto Forwards = [&](DiagBuilder &D) {
    if (Depth > 0)
      D.note(Forwarded->getExprLoc(), "it forwards " + calleeName(Forwarded) +
                                       "() here");
  };
  if (Res.UnlockedWrite) {
    Reported.insert(Loc);
    auto D = diag(Loc, Method + " after a change made without holding a mutex" +
                           Named + ": a lost wake-up");
    D.cure(Cure);
    Forwards(D);
    D.note(Res.UnlockedWrite->getBeginLoc(),
           nameOf(Res.UnlockedTarget) +
               " is changed here without holding a mutex");
    return;
  }
  if (Res.WrongMutexWrite) {
    Reported.insert(Loc);
    auto D = diag(Loc, Method + " after a change made under " +
                           nameOf(Res.WrongMutex) +
                           ", which the waiter does not hold: a lost wake-up");
    D.cure(Cure);
    Forwards(D);
    D.note(Res.WrongMutexWrite->getBeginLoc(),
           nameOf(Res.WrongMutexTarget) + " is changed here holding " +
               nameOf(Res.WrongMutex));
    return;
  }
  // No change at all: reported at the notify itself only. A caller of a
  // forwarder may poke on purpose (a wake-up to re-check an idle state).
  if (Res.OpaqueCall || Forwarder || Depth > 0)
    return;
  Reported.insert(Loc);
  diag(Loc, Method + " with no change to shared state before it: the "
                     "waiter sees nothing new")
      .cure("change the state the waiter checks while holding " + WaiterMutex +
            ", then notify");
}

} // namespace tether
