//===--- AttachEmitWaitCheck.cpp - observability-attach-emit-wait ---------===//

#include "AttachEmitWaitCheck.h"

#include "ObserverApis.h"

#include "analysis/ExprUtils.h"

#include "clang/AST/ASTContext.h"
#include "clang/AST/Decl.h"
#include "clang/AST/Expr.h"
#include "clang/AST/ExprCXX.h"
#include "clang/ASTMatchers/ASTMatchers.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/DenseSet.h"

#include <deque>

using namespace clang;
using namespace clang::ast_matchers;

namespace tether {

namespace {

/// A function that runs after the registration, on the attaching thread:
/// the attaching function itself, or a function it calls after the
/// registration (directly or through calls).
struct AfterAttach {
  /// The attaching function ... this function.
  llvm::SmallVector<const FunctionDecl *, 4> Chain;
  /// Calls[i] is the call in Chain[i] that runs Chain[i + 1].
  llvm::SmallVector<const Stmt *, 4> Calls;
};

const FunctionDecl *canon(const FunctionDecl *FD) {
  return FD ? FD->getCanonicalDecl() : nullptr;
}

const ValueDecl *canonDecl(const ValueDecl *D) {
  return D ? cast<ValueDecl>(D->getCanonicalDecl()) : nullptr;
}

/// What the caller passes for parameter `P` of the function that `Call`
/// runs: the variable, or the promise whose future it is
/// (`wait_on(p.get_future())`, `wait_on(f)` for `auto f = p.get_future()`).
const ValueDecl *argumentObject(const Stmt *Call, const ParmVarDecl *P,
                                const RuleSet &Rules) {
  const auto *C = dyn_cast_or_null<CallExpr>(Call);
  if (!C)
    return nullptr;
  unsigned I = P->getFunctionScopeIndex();
  // A member operator call has the object as its first argument.
  if (isa<CXXOperatorCallExpr>(C) &&
      isa_and_nonnull<CXXMethodDecl>(C->getDirectCallee()))
    ++I;
  if (I >= C->getNumArgs())
    return nullptr;
  auto FutureSource = [&](const Expr *E) -> const ValueDecl * {
    const auto *GC = dyn_cast_or_null<CXXMemberCallExpr>(ignoreWrappers(E));
    if (!GC || !GC->getImplicitObjectArgument() ||
        !futureRule(GC->getType(), Rules))
      return nullptr;
    return rootDecl(GC->getImplicitObjectArgument());
  };
  const Expr *A = C->getArg(I);
  if (const ValueDecl *Promise = FutureSource(A))
    return Promise;
  const ValueDecl *D = rootDecl(A);
  if (const auto *V = dyn_cast_or_null<VarDecl>(D))
    if (futureRule(V->getType(), Rules) && V->getInit())
      if (const ValueDecl *Promise = FutureSource(V->getInit()))
        return Promise;
  return D;
}

} // namespace

// The analysis runs once per TU; a matcher is needed for MatchFinder to
// call onEndOfTranslationUnit().
void AttachEmitWaitCheck::registerMatchers(MatchFinder *Finder) {
  Finder->addMatcher(translationUnitDecl().bind("tu"), this);
}
void AttachEmitWaitCheck::check(const MatchFinder::MatchResult &) {}

void AttachEmitWaitCheck::onEndOfTranslationUnit() {
  ASTContext *Ctx = context().astContext();
  if (!Ctx)
    return;
  const SourceManager &SM = Ctx->getSourceManager();
  const RuleSet &Rules = context().rules();
  ObserverApis &A = observerApis(context());
  ThreadContext &TC = A.threadContext();
  llvm::DenseSet<SourceLocation> Reported;
  for (const Registration &R : A.registrations()) {
    if (!R.Site || !R.Enclosing)
      continue;
    std::vector<Signal> Signals = A.signalsOf(R);
    if (Signals.empty())
      continue;
    auto After = [&](const Stmt *S) {
      return S && SM.isBeforeInTranslationUnit(R.Site->getEndLoc(),
                                               S->getBeginLoc());
    };
    llvm::DenseSet<const FunctionDecl *> Handler;
    for (const FunctionDecl *E : R.Entries)
      Handler.insert(canon(E));

    // The functions that run on this thread after the registration.
    llvm::DenseMap<const FunctionDecl *, AfterAttach> Runs;
    std::deque<const FunctionDecl *> Work;
    Runs[canon(R.Enclosing)].Chain.push_back(R.Enclosing);
    Work.push_back(canon(R.Enclosing));
    while (!Work.empty()) {
      const FunctionDecl *F = Work.front();
      Work.pop_front();
      AfterAttach Here = Runs[F];
      if (Here.Chain.size() >= 6)
        continue;
      for (const CallEdge &E : TC.callees(Here.Chain.back())) {
        const FunctionDecl *C = canon(E.Callee);
        if (E.Virtual || !C || Handler.count(C) || Runs.count(C) ||
            C->isInStdNamespace() ||
            SM.isInSystemHeader(SM.getExpansionLoc(C->getLocation())))
          continue;
        // In the attaching function, only the calls after the attach.
        if (Here.Chain.size() == 1 && !After(E.Where))
          continue;
        AfterAttach Next = Here;
        Next.Chain.push_back(E.Callee);
        Next.Calls.push_back(E.Where);
        Runs[C] = std::move(Next);
        Work.push_back(C);
      }
    }

    // The first wait (in source order) on something the handler signals:
    // one finding per registration.
    const Wait *BestW = nullptr;
    const Signal *BestS = nullptr;
    const AfterAttach *BestPath = nullptr;
    SourceLocation BestLoc;
    for (const Wait &W : A.waits()) {
      if (!W.Function)
        continue;
      auto It = Runs.find(canon(W.Function));
      if (It == Runs.end())
        continue;
      const AfterAttach &Path = It->second;
      if (Path.Calls.empty() && !After(W.Where))
        continue;
      // The waited object as the attaching function sees it.
      const ValueDecl *Obj = W.Object;
      for (size_t I = Path.Calls.size(); I-- > 0 && Obj;) {
        const auto *P = dyn_cast<ParmVarDecl>(Obj);
        if (!P)
          break;
        const auto *Fn = dyn_cast_or_null<FunctionDecl>(P->getDeclContext());
        if (!Fn || canon(Fn) != canon(Path.Chain[I + 1]))
          break;
        Obj = argumentObject(Path.Calls[I], P, Rules);
      }
      Obj = canonDecl(Obj);
      if (!Obj)
        continue;
      const Signal *S = nullptr;
      for (const Signal &X : Signals)
        if (A.sameObject(X.Object, Obj)) {
          S = &X;
          break;
        }
      if (!S)
        continue;
      SourceLocation Loc = Path.Calls.empty()
                               ? W.Where->getExprLoc()
                               : Path.Calls.front()->getBeginLoc();
      // The earliest wait; at one wait (a condition-variable wait and the
      // flag its predicate reads), the handler's first signal.
      if (BestW && !SM.isBeforeInTranslationUnit(Loc, BestLoc) &&
          !(Loc == BestLoc && S < BestS))
        continue;
      BestW = &W;
      BestS = S;
      BestPath = &Path;
      BestLoc = Loc;
    }
    if (!BestW || !Reported.insert(BestLoc).second)
      continue;
    auto D = diag(BestLoc,
                  "waits for a handler this function attached to '" + R.Api +
                      "': the event can fire before attach or after detach");
    D.cure("start the work as a tether::task_supervisor::async task and "
           "task<T>::await(timeout) its result, or ask with "
           "tether::server::call(request, timeout)");
    D.note(registrationLoc(R), "the handler is attached here")
        .note(BestS->Where->getExprLoc(), "the handler " + BestS->What +
                                              " here" +
                                              throughText(BestS->Chain));
    if (!BestPath->Calls.empty())
      D.note(BestW->Where->getExprLoc(),
             "the wait is here" + throughText(BestPath->Chain));
  }
}

} // namespace tether
