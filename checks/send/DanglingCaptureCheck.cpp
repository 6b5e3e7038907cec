//===--- DanglingCaptureCheck.cpp - send-dangling-capture -----------------===//
//
// The sites are the shared spawn sites (analysis/SpawnSites.h): every thread
// type, thread function and executor of the rule packs, and the executor
// name heuristic, with every way of naming the callable SpawnSites resolves.
//
//===----------------------------------------------------------------------===//

#include "DanglingCaptureCheck.h"

#include "analysis/ExprUtils.h"
#include "analysis/FixSafety.h"
#include "analysis/Lifetimes.h"
#include "analysis/SharedAnalyses.h"
#include "analysis/StmtParents.h"

#include "clang/AST/ASTContext.h"
#include "clang/AST/ExprCXX.h"
#include "clang/AST/ParentMapContext.h"
#include "clang/Basic/SourceManager.h"
#include "clang/Lex/Lexer.h"

#include <functional>

using namespace clang;
using namespace clang::ast_matchers;

namespace tether {

namespace {

/// A local whose lifetime ends with its scope: not static, not a reference
/// (a reference's referent may live anywhere).
bool isScopedLocal(const ValueDecl *D) {
  const auto *V = dyn_cast_or_null<VarDecl>(D);
  return V && V->hasLocalStorage() && !V->getType()->isReferenceType();
}

/// The local `E` points to: `&x`, an array `x` decaying to a pointer.
const VarDecl *pointeeLocal(const Expr *E) {
  if (!E)
    return nullptr;
  E = ignoreWrappers(E);
  // (void *)&x, static_cast<void *>(&x): pthread_create's argument.
  while (const auto *Cast = dyn_cast<ExplicitCastExpr>(E))
    E = ignoreWrappers(Cast->getSubExpr());
  if (const auto *UO = dyn_cast<UnaryOperator>(E))
    if (UO->getOpcode() == UO_AddrOf) {
      const Expr *Sub = UO->getSubExpr()->IgnoreParenImpCasts();
      if (const auto *DRE = dyn_cast<DeclRefExpr>(Sub))
        if (isScopedLocal(DRE->getDecl()))
          return cast<VarDecl>(DRE->getDecl());
    }
  // An array decaying to a pointer (the decay is one of the wrappers).
  if (const auto *DRE = dyn_cast<DeclRefExpr>(E->IgnoreParens()))
    if (DRE->getType()->isArrayType() && isScopedLocal(DRE->getDecl()))
      return cast<VarDecl>(DRE->getDecl());
  return nullptr;
}

/// `p` in `p->method(...)` when `p` is a std::unique_ptr (or another
/// sole-owner smart pointer): the executor lives exactly as long as `p`.
const Expr *uniqueOwner(const Expr *Obj) {
  const auto *Op =
      dyn_cast_or_null<CXXOperatorCallExpr>(Obj ? Obj->IgnoreImpCasts() : nullptr);
  if (!Op || Op->getOperator() != OO_Arrow || Op->getNumArgs() != 1)
    return nullptr;
  const Expr *P = Op->getArg(0)->IgnoreImpCasts();
  std::string N = qualifiedName(recordOf(P->getType()));
  return N == "std::unique_ptr" || N == "boost::scoped_ptr" ? P : nullptr;
}

const CXXRecordDecl *closureOf(const Expr *Callable);

/// A wait-like method: a future's get, wait*, a latch's arrive_and_wait, a
/// semaphore's acquire, absl::Notification's WaitForNotification.
bool isAwaitCall(StringRef Name) {
  std::string L = Name.lower();
  StringRef N(L);
  return N == "get" || N.starts_with("wait") || N == "arrive_and_wait" ||
         N == "acquire" || N == "join";
}

/// Is the work of executor site `S` waited for before the function that
/// hands it off returns: the future it returns is waited on
/// (`pool.submit(f).wait()`, or a local future `get()`), or a later call
/// on the same executor waits (`pool.detach_task(f); pool.wait();`). Then
/// nothing it captures can be gone while it runs (exceptions in between
/// aside).
bool awaitedInFunction(const SpawnSite &S, const Expr *Receiver,
                       const ThreadContext &TC, const RuleSet &Rules,
                       ASTContext &Ctx) {
  const SourceManager &SM = Ctx.getSourceManager();
  auto After = [&](const Stmt *X) {
    return SM.isBeforeInTranslationUnit(
        SM.getExpansionLoc(S.Site->getEndLoc()),
        SM.getExpansionLoc(X->getBeginLoc()));
  };
  const FunctionDecl *Fn = TC.enclosingFunction(S.Site);
  const Stmt *Body = Fn ? Fn->getBody() : nullptr;
  if (!Body)
    return false;
  // What the call returns (a future, BS::thread_pool's multi_future) is
  // waited on: a future rule's wait methods, or any wait*() / join().
  const FutureTypeRule *FR = futureRule(S.Site->getType(), Rules);
  auto IsWait = [&](const std::string &N) {
    return (FR && llvm::is_contained(FR->Wait, N)) || isWaitMethodName(N);
  };
  if (recordOf(S.Site->getType())) {
    // pool.submit(f).wait()
    const Expr *Cur = S.Site;
    for (int Depth = 0; Depth < 6; ++Depth) {
      auto Parents = Ctx.getParents(*Cur);
      const auto *P = Parents.empty() ? nullptr : Parents[0].get<Expr>();
      if (!P)
        break;
      if (const auto *ME = dyn_cast<MemberExpr>(P)) {
        if (IsWait(ME->getMemberDecl()->getNameAsString()))
          return true;
        break;
      }
      if (!isa<ImplicitCastExpr, ParenExpr, MaterializeTemporaryExpr,
               CXXBindTemporaryExpr, ExprWithCleanups>(P))
        break;
      Cur = P;
    }
    // auto f = pool.submit(g); ... f.get();
    if (const auto *V = dyn_cast_or_null<VarDecl>(valueHolder(S.Site, Ctx)))
      if (V->hasLocalStorage())
        for (const Expr *Ref : referencesTo(V, Body, Ctx)) {
          const CXXMemberCallExpr *MC = nullptr;
          if (classifyUse(Ref, Ctx, &MC) == UseKind::MethodCall && MC &&
              IsWait(calleeName(MC)))
            return true;
        }
  }
  // A local the work signals and the function then waits on:
  // `auto f = done.get_future(); pool.post([&] { ...; done.set_value(); });
  // f.wait();`, a latch, a semaphore, a notification, a blocking counter.
  if (const CXXRecordDecl *Closure = closureOf(S.Callable)) {
    llvm::SmallPtrSet<const ValueDecl *, 4> Captured;
    for (const LambdaCapture &C : Closure->captures())
      if (C.capturesVariable())
        if (const auto *V = dyn_cast<VarDecl>(C.getCapturedVar()))
          if (V->hasLocalStorage())
            Captured.insert(V);
    bool Waits = false;
    std::function<void(const Stmt *)> Walk = [&](const Stmt *X) {
      if (!X || Waits)
        return;
      if (const auto *MC = dyn_cast<CXXMemberCallExpr>(X))
        if (After(MC) && isAwaitCall(calleeName(MC))) {
          const ValueDecl *D = rootDecl(MC->getImplicitObjectArgument());
          if (Captured.count(D))
            Waits = true;
          // f.wait() for `auto f = done.get_future();`
          if (const auto *V = dyn_cast_or_null<VarDecl>(D))
            if (V->hasLocalStorage() && V->getInit())
              if (const auto *G = dyn_cast<CXXMemberCallExpr>(
                      ignoreWrappers(V->getInit())))
                if (calleeName(G) == "get_future" &&
                    Captured.count(rootDecl(G->getImplicitObjectArgument())))
                  Waits = true;
        }
      for (const Stmt *C : X->children())
        Walk(C);
    };
    if (!Captured.empty())
      Walk(Body);
    if (Waits)
      return true;
  }
  // pool.detach_task(f); ... pool.wait();
  const ValueDecl *Exec = Receiver ? rootDecl(Receiver) : nullptr;
  if (!Exec)
    return false;
  for (const Expr *Ref : referencesTo(Exec, Body, Ctx)) {
    if (!After(Ref))
      continue;
    const CXXMemberCallExpr *MC = nullptr;
    UseKind K = classifyUse(Ref, Ctx, &MC);
    if (K == UseKind::MethodCall && MC && isWaitMethodName(calleeName(MC)))
      return true;
    // ptr->wait() through a pointer or smart pointer.
    auto Parents = Ctx.getParents(*Ref);
    for (int Depth = 0; Depth < 4 && !Parents.empty(); ++Depth) {
      const auto *P = Parents[0].get<Expr>();
      if (!P)
        break;
      if (const auto *ME = dyn_cast<MemberExpr>(P)) {
        if (const auto *Call = Ctx.getParents(*ME).empty()
                                   ? nullptr
                                   : Ctx.getParents(*ME)[0]
                                         .get<CXXMemberCallExpr>())
          if (isWaitMethodName(calleeName(Call)))
            return true;
        break;
      }
      Parents = Ctx.getParents(*P);
    }
  }
  return false;
}

/// std::ref(x) / std::cref(x) / boost::ref(x) of a scoped local.
const VarDecl *refOfLocal(const Expr *E) {
  const auto *C = dyn_cast_or_null<CallExpr>(ignoreWrappers(E));
  if (!C || C->getNumArgs() != 1 || !C->getDirectCallee())
    return nullptr;
  std::string N = qualifiedName(C->getDirectCallee());
  if (N != "std::ref" && N != "std::cref" && N != "boost::ref" &&
      N != "boost::cref")
    return nullptr;
  if (const auto *DRE =
          dyn_cast<DeclRefExpr>(C->getArg(0)->IgnoreParenImpCasts()))
    if (isScopedLocal(DRE->getDecl()))
      return cast<VarDecl>(DRE->getDecl());
  return nullptr;
}

bool callsKeepAlive(const Stmt *S) {
  if (!S)
    return false;
  if (const auto *MC = dyn_cast<CXXMemberCallExpr>(S)) {
    std::string N = calleeName(MC);
    if (N == "shared_from_this" || N == "weak_from_this")
      return true;
  }
  for (const Stmt *C : S->children())
    if (callsKeepAlive(C))
      return true;
  return false;
}

struct Danger {
  SourceLocation Loc;
  std::string Note;
  /// The local whose end makes the capture dangle (null for `this`).
  const VarDecl *Local = nullptr;
  /// For `this`: the class of the object it points to.
  const CXXRecordDecl *ThisClass = nullptr;
};

/// The class of `this` in code of `DC` (a lambda's captured `this` is the
/// enclosing member function's).
const CXXRecordDecl *thisClassOf(const DeclContext *DC) {
  for (; DC; DC = DC->getParent()) {
    const auto *MD = dyn_cast<CXXMethodDecl>(DC);
    if (MD && !MD->getParent()->isLambda())
      return MD->getParent();
    if (isa<CXXRecordDecl>(DC) && !cast<CXXRecordDecl>(DC)->isLambda())
      return cast<CXXRecordDecl>(DC); // a default member initializer
  }
  return nullptr;
}

/// The dangerous captures of a closure type.
llvm::SmallVector<Danger, 2> closureDangers(const CXXRecordDecl *Closure) {
  llvm::SmallVector<Danger, 2> Out;
  if (!Closure || !Closure->isLambda())
    return Out;
  bool KeptAlive = false;
  for (const LambdaCapture &C : Closure->captures()) {
    if (!C.capturesVariable())
      continue;
    const auto *V = dyn_cast<VarDecl>(C.getCapturedVar());
    if (!V)
      continue;
    if (V->isInitCapture() && callsKeepAlive(V->getInit()))
      KeptAlive = true;
    if (!V->isInitCapture() && V->getInit() && callsKeepAlive(V->getInit()))
      KeptAlive = true; // auto self = shared_from_this(); [this, self]
  }
  for (const LambdaCapture &C : Closure->captures()) {
    if (C.capturesThis()) {
      if (C.getCaptureKind() == LCK_This && !KeptAlive)
        Out.push_back({C.getLocation(), "'this' is captured here", nullptr,
                       thisClassOf(Closure->getDeclContext())});
      continue;
    }
    if (!C.capturesVariable())
      continue;
    const auto *V = dyn_cast<VarDecl>(C.getCapturedVar());
    if (!V)
      continue;
    std::string Name = "'" + V->getNameAsString() + "'";
    if (V->isInitCapture()) {
      const Expr *Init = V->getInit();
      if (V->getType()->isReferenceType()) {
        if (const auto *DRE =
                dyn_cast_or_null<DeclRefExpr>(ignoreWrappers(Init)))
          if (isScopedLocal(DRE->getDecl()))
            Out.push_back({C.getLocation(),
                           Name + " refers to the local '" +
                               DRE->getDecl()->getNameAsString() +
                               "', which can be destroyed first",
                           cast<VarDecl>(DRE->getDecl())});
      } else if (const VarDecl *L = pointeeLocal(Init)) {
        Out.push_back({C.getLocation(),
                       Name + " points to the local '" + L->getNameAsString() +
                           "', which can be destroyed first",
                       L});
      }
      continue;
    }
    if (C.getCaptureKind() == LCK_ByRef) {
      if (isScopedLocal(V))
        Out.push_back({C.getLocation(),
                       Name + " is captured by reference here; it is "
                              "destroyed when its scope ends",
                       V});
      continue;
    }
    if (C.getCaptureKind() == LCK_ByCopy && V->getType()->isPointerType() &&
        V->hasLocalStorage())
      if (const VarDecl *L = pointeeLocal(V->getInit()))
        Out.push_back({C.getLocation(),
                       Name + " is captured here and points to the local '" +
                           L->getNameAsString() +
                           "', which can be destroyed first",
                       L});
  }
  return Out;
}

/// The closure type of a callable expression: a lambda in place, a variable
/// holding one, a template parameter instantiated with one.
const CXXRecordDecl *closureOf(const Expr *Callable) {
  if (!Callable)
    return nullptr;
  const Expr *E = ignoreWrappers(Callable);
  if (const Expr *M = movedArgument(E))
    E = ignoreWrappers(M);
  // A parameter of type std::function (or any wrapper) converted from the
  // lambda in place: the lambda is the converting constructor's argument.
  if (const auto *CE = dyn_cast<CXXConstructExpr>(E))
    if (CE->getNumArgs() >= 1 && !CE->getConstructor()->isCopyOrMoveConstructor())
      E = ignoreWrappers(CE->getArg(0));
  const CXXRecordDecl *RD = recordOf(E->getType());
  return RD && RD->isLambda() ? RD : nullptr;
}

bool isThisExpr(const Expr *E) {
  return E && isa<CXXThisExpr>(ignoreWrappers(E));
}

/// `&C::f` naming a non-static member function.
bool isMemberFunctionPointer(const Expr *E) {
  const auto *UO = dyn_cast_or_null<UnaryOperator>(ignoreWrappers(E));
  if (!UO || UO->getOpcode() != UO_AddrOf)
    return false;
  const auto *DRE = dyn_cast<DeclRefExpr>(UO->getSubExpr()->IgnoreParens());
  const auto *MD = DRE ? dyn_cast<CXXMethodDecl>(DRE->getDecl()) : nullptr;
  return MD && !MD->isStatic();
}

/// Dangers of arguments passed along with the entry: `this` as the object
/// of a member function entry, std::ref(local), &local.
void argumentDangers(const Expr *Entry, llvm::ArrayRef<const Expr *> Args,
                     llvm::SmallVector<Danger, 2> &Out) {
  bool MemberEntry = isMemberFunctionPointer(Entry);
  for (size_t I = 0; I < Args.size(); ++I) {
    const Expr *A = Args[I];
    if (isThisExpr(A))
      Out.push_back({A->getBeginLoc(),
                     I == 0 && MemberEntry
                         ? "'this' is the object of the member function entry"
                         : "'this' is passed to the entry here",
                     nullptr,
                     recordOf(ignoreWrappers(A)->getType()->getPointeeType())});
    else if (const VarDecl *L = refOfLocal(A))
      Out.push_back({A->getBeginLoc(),
                     "a reference to the local '" + L->getNameAsString() +
                         "' is passed here",
                     L});
    else if (const VarDecl *L = pointeeLocal(A))
      Out.push_back({A->getBeginLoc(),
                     "a pointer to the local '" + L->getNameAsString() +
                         "' is passed here",
                     L});
  }
}

/// std::bind(&C::f, this, ...) / boost::bind: its entry and arguments.
const CallExpr *bindCall(const Expr *E) {
  E = ignoreWrappers(E);
  // Converted in place to the parameter's type (std::function).
  if (const auto *CE = dyn_cast_or_null<CXXConstructExpr>(E))
    if (CE->getNumArgs() == 1)
      E = ignoreWrappers(CE->getArg(0));
  const auto *C = dyn_cast_or_null<CallExpr>(E);
  if (!C || !C->getDirectCallee() || C->getNumArgs() == 0)
    return nullptr;
  std::string N = qualifiedName(C->getDirectCallee());
  return N == "std::bind" || N == "boost::bind" ? C : nullptr;
}

} // namespace

void DanglingCaptureCheck::registerMatchers(MatchFinder *Finder) {
  // The spawn sites come from the shared analysis: one match to read them.
  Finder->addMatcher(translationUnitDecl().bind("tu"), this);
}

/// The member of `RD` declared after the executor member `Exec` (so
/// destroyed before it) with a destructor that runs, which code of `Body` (or
/// a member function of `RD` it calls on `this`, three calls deep) touches.
static const MemberExpr *
laterMemberTouched(const Stmt *Body, const FieldDecl *Exec, int Depth,
                   llvm::SmallPtrSetImpl<const FunctionDecl *> &Seen) {
  if (!Body || Depth > 3)
    return nullptr;
  const auto *RD = cast<CXXRecordDecl>(Exec->getParent());
  if (const auto *ME = dyn_cast<MemberExpr>(Body)) {
    const auto *F = dyn_cast<FieldDecl>(ME->getMemberDecl());
    if (F && F->getParent() == RD &&
        F->getFieldIndex() > Exec->getFieldIndex() &&
        isa<CXXThisExpr>(ME->getBase()->IgnoreParenImpCasts())) {
      QualType T = F->getType();
      if (const auto *AT = T->getAsArrayTypeUnsafe())
        T = AT->getElementType();
      if (T.isDestructedType())
        return ME;
    }
  }
  if (const auto *MC = dyn_cast<CXXMemberCallExpr>(Body))
    if (const CXXMethodDecl *MD = MC->getMethodDecl())
      if (MD->getParent() == RD &&
          isa<CXXThisExpr>(
              MC->getImplicitObjectArgument()->IgnoreParenImpCasts())) {
        const FunctionDecl *Def = nullptr;
        if (MD->hasBody(Def) && Seen.insert(Def).second)
          if (const MemberExpr *ME =
                  laterMemberTouched(Def->getBody(), Exec, Depth + 1, Seen))
            return ME;
      }
  for (const Stmt *C : Body->children())
    if (const MemberExpr *ME = laterMemberTouched(C, Exec, Depth, Seen))
      return ME;
  return nullptr;
}

/// A member call on the member `R` in the destructor of `R`'s class, other
/// than `Except`: an unsubscribe, a reset, a stop.
static const CXXMemberCallExpr *destructorCallsOn(const FieldDecl *R,
                                                  const CXXMethodDecl *Except) {
  const CXXDestructorDecl *D =
      cast<CXXRecordDecl>(R->getParent())->getDestructor();
  const FunctionDecl *Def = nullptr;
  if (!D || !D->hasBody(Def))
    return nullptr;
  const CXXMemberCallExpr *Found = nullptr;
  std::function<void(const Stmt *)> Walk = [&](const Stmt *S) {
    if (!S || Found)
      return;
    if (const auto *MC = dyn_cast<CXXMemberCallExpr>(S)) {
      const Expr *Obj = MC->getImplicitObjectArgument();
      if (const Expr *Owner = uniqueOwner(Obj))
        Obj = Owner;
      if (MC->getMethodDecl() != Except && rootDecl(Obj) == R) {
        Found = MC;
        return;
      }
    }
    for (const Stmt *C : S->children())
      Walk(C);
  };
  Walk(Def->getBody());
  return Found;
}

/// Does the function that starts the thread kept in member `F` join it
/// after the start (`worker_ = std::thread(...); ...; worker_.join();`)?
static bool joinedInFunction(const Expr *Site, const FieldDecl *F,
                             ASTContext &Ctx) {
  const FunctionDecl *Fn = enclosingFunction(Site, Ctx);
  if (!Fn || !Fn->getBody())
    return false;
  const SourceManager &SM = Ctx.getSourceManager();
  for (const Expr *Ref : referencesTo(F, Fn->getBody(), Ctx)) {
    if (!SM.isBeforeInTranslationUnit(SM.getExpansionLoc(Site->getEndLoc()),
                                      SM.getExpansionLoc(Ref->getBeginLoc())))
      continue;
    const CXXMemberCallExpr *MC = nullptr;
    if (classifyUse(Ref, Ctx, &MC) == UseKind::MethodCall && MC &&
        calleeName(MC) == "join")
      return true;
  }
  return false;
}

void DanglingCaptureCheck::check(const MatchFinder::MatchResult &R) {
  ASTContext &Ctx = *R.Context;
  for (const SpawnSite &S : spawnSites(context())) {
    switch (S.Kind) {
    case SpawnKind::ThreadObject:
    case SpawnKind::ThreadFunction: {
      // A detached thread need not end before anything it uses.
      if (S.Fate == HandleFate::Detached) {
        SinkInfo I;
        I.Sink = "a detached " + S.Spawner;
        analyze(S.Site, S.Callable, S.EntryArgs, S.Entries, I, Ctx);
        continue;
      }
      // A thread kept in a member (joined by the destructor, a
      // std::jthread) ends before the object, but after the function that
      // started it: the locals it captured by reference are gone by then.
      const ValueDecl *Holder = valueHolder(S.Site, Ctx);
      if (S.Kind == SpawnKind::ThreadFunction)
        if (const auto *C = dyn_cast<CallExpr>(S.Site); C && C->getNumArgs())
          Holder = rootDecl(C->getArg(0)); // pthread_create(&tid_, ...)
      const auto *F = dyn_cast_or_null<FieldDecl>(Holder);
      if (!F || joinedInFunction(S.Site, F, Ctx))
        continue;
      SinkInfo I;
      I.Sink = "the " + S.Spawner + " member '" + F->getNameAsString() + "'";
      I.LocalsOnly = true;
      analyze(S.Site, S.Callable, S.EntryArgs, S.Entries, I, Ctx);
      break;
    }
    case SpawnKind::Executor:
    case SpawnKind::HeuristicExecutor: {
      if (awaitedInFunction(S, S.Receiver ? (uniqueOwner(S.Receiver)
                                                 ? uniqueOwner(S.Receiver)
                                                 : S.Receiver)
                                          : nullptr,
                            threadContext(context()), rules(), Ctx))
        continue;
      std::string Sink = S.Spawner;
      if (const auto *MC = dyn_cast<CXXMemberCallExpr>(S.Site))
        if (const CXXMethodDecl *MD = MC->getMethodDecl())
          Sink = qualifiedName(MD);
      SinkInfo I = executorSink(S.Receiver, Sink);
      // Futures kept in a member that the destructor waits on: the work
      // ends before the object does.
      if (const auto *F = dyn_cast_or_null<FieldDecl>(valueHolder(S.Site, Ctx)))
        if (objectLifetimes(context()).destructorWaitsOn(F, false))
          I.ThisSafe = true;
      analyze(S.Site, S.Callable, S.EntryArgs, S.Entries, I, Ctx);
      break;
    }
    case SpawnKind::Async:
      // std::async is not a sink: its discarded future blocks until the
      // task is done, and a kept one blocks at the latest when it is
      // destroyed.
      break;
    }
  }
  // Methods that store a callable where one of this TU's threads calls it
  // (subscribe, on_message, set_callback): their calls are hand-offs too.
  for (const CallbackSite &CS : objectLifetimes(context()).callbackSites()) {
    const CXXMemberCallExpr *MC = CS.Call;
    const Expr *Callable = MC->getArg(CS.Store->Param);
    SinkInfo I = executorSink(MC->getImplicitObjectArgument(),
                              qualifiedName(CS.Store->Method));
    // The destructor deregisters (unsubscribe, reset) on the receiver.
    const Expr *Obj = MC->getImplicitObjectArgument();
    if (const Expr *Owner = uniqueOwner(Obj))
      Obj = Owner;
    if (const auto *F = dyn_cast_or_null<FieldDecl>(rootDecl(Obj)))
      if (destructorCallsOn(F, CS.Store->Method))
        I.ThisSafe = true;
    I.Notes.push_back({CS.Store->Store->getBeginLoc(),
                       "'" + CS.Store->Method->getNameAsString() +
                           "' stores the callable in '" +
                           CS.Store->Field->getNameAsString() + "'"});
    I.Notes.push_back({CS.Store->Invoke->getBeginLoc(),
                       "'" + CS.Store->Field->getNameAsString() +
                           "' is called on " + CS.Store->Thread});
    analyze(MC, Callable, {}, resolveCallable(Callable, Ctx), I, Ctx);
  }
}

/// What the receiver of an executor call (or a callback registration) says
/// about the lifetimes of the captures.
DanglingCaptureCheck::SinkInfo
DanglingCaptureCheck::executorSink(const Expr *Receiver,
                                   const std::string &Sink) {
  SinkInfo I;
  I.Sink = Sink;
  const Expr *Obj = Receiver;
  if (const Expr *Owner = uniqueOwner(Obj))
    Obj = Owner; // queue->post(...) with a std::unique_ptr queue
  if (!Obj || Obj->getType()->isPointerType())
    return I;
  const ValueDecl *D = rootDecl(Obj);
  // A local executor ends (and joins or drops its work) with its scope:
  // before the locals declared ahead of it, after those declared later.
  if (isScopedLocal(D)) {
    I.LocalExecutor = cast<VarDecl>(D);
    return I;
  }
  // A member executor owned by value is destroyed with this object, after
  // the members declared after it (reverse declaration order), and after
  // the function that posted returns.
  if (const auto *FD = dyn_cast_or_null<FieldDecl>(D)) {
    if (FD->getType()->isReferenceType() || FD->getType()->isPointerType())
      return I;
    const auto *ME = dyn_cast<MemberExpr>(ignoreWrappers(Obj));
    if (ME && isa<CXXThisExpr>(ME->getBase()->IgnoreParenImpCasts()))
      I.OwnedExecutor = FD;
    else
      I.LocalsOnly = true; // another object's member: its owner decides
  }
  return I;
}

/// The rewrite on the fix note, applied with --fix-notes
/// (docs/checks/send-dangling-capture.md#fix): `pool.post([this] {...})` in
/// a member function becomes `(void)tasks_.start([this] {...})`, and the
/// class gets a `tether::task_supervisor tasks_;` member declared last (or
/// uses the one it has, when that one is last): destroyed first, the
/// supervisor joins the work before the members it uses are gone. On a note
/// only, because the work moves off the executor's threads. Only when the
/// work captures `this` and copies (no reference to a local), ends on its
/// own, the call's result is discarded, and no class derives from this one
/// (a derived part is destroyed before the base's members).
static void addSupervisorMemberFix(DiagBuilder &D, const Expr *Site,
                                   const Expr *Callable, ASTContext &Ctx) {
  const auto *MC = dyn_cast<CXXMemberCallExpr>(Site);
  if (!MC || MC->getNumArgs() != 1 || !isDiscarded(MC, Ctx))
    return;
  CaptureSummary Cap = captures(Callable);
  if (!Cap.This || Cap.ByReference)
    return;
  const FunctionDecl *Body = callableBody(Callable);
  if (!Body || (!takesStopToken(Body) && !endsOnItsOwn(Body)))
    return;
  // The member function the post is in (not a closure inside it).
  const auto *Method =
      dyn_cast_or_null<CXXMethodDecl>(enclosingFunction(MC, Ctx));
  if (!Method || Method->isStatic())
    return;
  const CXXRecordDecl *RD = Method->getParent();
  if (!RD || RD->isLambda() || RD->isUnion() || !hasNoDerivedClasses(RD, Ctx) ||
      isa<CXXConstructorDecl, CXXDestructorDecl>(Method))
    return;
  std::optional<std::string> Text =
      sourceText(underlyingCallable(Callable), Ctx);
  if (!Text)
    return;
  std::string Name = "tasks_";
  const FieldDecl *Existing = taskSupervisorMember(RD);
  if (Existing && !declaredLast(Existing))
    return;
  if (Existing) {
    Name = Existing->getNameAsString();
  } else {
    for (const Decl *M : RD->decls())
      if (const auto *ND = dyn_cast<NamedDecl>(M))
        if (ND->getName() == Name)
          Name = "tether_tasks_";
    SourceLocation Close = RD->getBraceRange().getEnd();
    if (Close.isInvalid() || Close.isMacroID())
      return;
    D.onLastNote();
    // The member goes first in the fix-it list, so that the #include goes
    // to the file of the class definition.
    D.insertBefore(Close, "\nprivate:\n  // Owns the work posted by this "
                              "class; declared last, it joins it first.\n  "
                              "tether::task_supervisor " +
                              Name + ";\n");
  }
  D.onLastNote(); // the cure note
  D.replace(CharSourceRange::getTokenRange(MC->getSourceRange()),
            "(void)" + Name + ".start(" + *Text + ")");
  D.include("tether/task_supervisor.hpp");
}

void DanglingCaptureCheck::analyze(
    const Expr *Site, const Expr *Callable,
    llvm::ArrayRef<const Expr *> ExtraArgs,
    llvm::ArrayRef<const FunctionDecl *> Entries, const SinkInfo &I,
    ASTContext &Ctx) {
  llvm::SmallVector<Danger, 2> All = closureDangers(closureOf(Callable));
  if (const CallExpr *B = bindCall(Callable)) {
    llvm::SmallVector<const Expr *, 4> BArgs;
    for (unsigned K = 1; K < B->getNumArgs(); ++K)
      BArgs.push_back(B->getArg(K));
    argumentDangers(B->getArg(0), BArgs, All);
  }
  argumentDangers(Callable, ExtraArgs, All);
  ObjectLifetimes &Lifetimes = objectLifetimes(context());
  const SourceManager &SM = Ctx.getSourceManager();
  llvm::SmallVector<Danger, 2> Dangers;
  llvm::SmallVector<Danger, 2> Extra;
  for (const Danger &Dg : All) {
    if (Dg.Local) {
      // A local declared before a local executor outlives it.
      if (I.LocalExecutor &&
          !SM.isBeforeInTranslationUnit(I.LocalExecutor->getLocation(),
                                        Dg.Local->getLocation()))
        continue;
      if (I.LocalExecutor)
        Extra.push_back({I.LocalExecutor->getLocation(),
                         "the executor '" +
                             I.LocalExecutor->getNameAsString() +
                             "' is declared before '" +
                             Dg.Local->getNameAsString() +
                             "', so it is destroyed after it"});
      Dangers.push_back(Dg);
      continue;
    }
    // `this`.
    if (I.LocalsOnly || I.ThisSafe || I.LocalExecutor)
      continue;
    if (Dg.ThisClass && Lifetimes.neverDestroyed(Dg.ThisClass))
      continue; // a leaked singleton, a NoDestructor: it never dies
    if (I.OwnedExecutor) {
      // Destroyed after the members declared after it: the work is a
      // hazard only when it touches one of those, and the destructor does
      // not stop the executor first.
      if (Dg.ThisClass != I.OwnedExecutor->getParent() ||
          Lifetimes.destructorWaitsOn(I.OwnedExecutor, true))
        continue;
      const MemberExpr *Touched = nullptr;
      llvm::SmallPtrSet<const FunctionDecl *, 8> Seen;
      if (const FunctionDecl *Body = callableBody(Callable))
        Touched = laterMemberTouched(Body->getBody(), I.OwnedExecutor, 0, Seen);
      for (const FunctionDecl *E : Entries)
        if (!Touched && E->hasBody())
          Touched = laterMemberTouched(E->getBody(), I.OwnedExecutor, 0, Seen);
      if (!Touched)
        continue;
      Dangers.push_back(Dg);
      Extra.push_back(
          {Touched->getMemberLoc(),
           "'" + Touched->getMemberDecl()->getNameAsString() +
               "' is declared after the executor member '" +
               I.OwnedExecutor->getNameAsString() +
               "', so it is destroyed before the executor stops"});
      continue;
    }
    Dangers.push_back(Dg);
  }
  if (Dangers.empty())
    return;
  SourceLocation Loc = Site->getBeginLoc();
  if (const auto *MC = dyn_cast<CXXMemberCallExpr>(Site))
    Loc = MC->getExprLoc();
  if (!Reported.insert(Loc).second)
    return;
  auto D = diag(Loc, "work handed to " + I.Sink +
                         " can run after its receiver is gone");
  D.cure("capture shared_from_this() or copies of the values, or own the "
         "work in a tether::task_supervisor member declared last, or send a "
         "message to a tether::server that owns the state");
  if (!I.OwnedExecutor && !I.LocalsOnly && !I.LocalExecutor)
    addSupervisorMemberFix(D, Site, Callable, Ctx);
  for (const auto &N : I.Notes)
    D.note(N.first, N.second);
  for (const Danger &Dg : Dangers)
    D.note(Dg.Loc, Dg.Note);
  llvm::DenseSet<SourceLocation> Said;
  for (const Danger &Dg : Extra)
    if (Said.insert(Dg.Loc).second)
      D.note(Dg.Loc, Dg.Note);
}

} // namespace tether
