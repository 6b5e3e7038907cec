//===--- WaitWithoutPredicateCheck.cpp - send-wait-without-predicate ------===//

#include "WaitWithoutPredicateCheck.h"

#include "analysis/ExprUtils.h"
#include "analysis/FixSafety.h"
#include "analysis/SharedAnalyses.h"
#include "analysis/StmtParents.h"

#include "clang/AST/ASTContext.h"
#include "clang/AST/ExprCXX.h"
#include "clang/AST/ParentMapContext.h"
#include "clang/AST/StmtCXX.h"

using namespace clang;
using namespace clang::ast_matchers;

namespace tether {

void WaitWithoutPredicateCheck::registerMatchers(MatchFinder *Finder) {
  std::vector<std::string> Names;
  for (const auto &R : rules().ConditionVariables)
    for (const auto &[Method, Arity] : R.Wait)
      Names.push_back(Method);
  if (!Names.empty())
    // Filtered on the object's type in check(): the method may be declared
    // in a base class, and the object's type spelled through an alias.
    Finder->addMatcher(
        cxxMemberCallExpr(callee(cxxMethodDecl(hasAnyName(std::vector<StringRef>(
                              Names.begin(), Names.end())))))
            .bind("wait"),
        this);
  // C condition variables: pthread_cond_wait(&cv, &m), cnd_wait(&cv, &m).
  std::vector<std::string> Functions;
  for (const auto &R : rules().ConditionVariables)
    Functions.insert(Functions.end(), R.WaitFunctions.begin(),
                     R.WaitFunctions.end());
  if (!Functions.empty())
    Finder->addMatcher(
        callExpr(callee(functionDecl(hasAnyName(std::vector<StringRef>(
                     Functions.begin(), Functions.end())))))
            .bind("cwait"),
        this);
}

namespace {

/// Where `S` stands in its function: the nearest enclosing loop (of the
/// same function or lambda body), and the `if` whose branch it is in, if it
/// is not in a loop.
struct Placement {
  const Stmt *Loop = nullptr;
  const IfStmt *If = nullptr;
  /// The statement of the loop's body that holds the wait.
  const Stmt *InBody = nullptr;
};

Placement placementOf(const Stmt *S, ASTContext &Ctx) {
  Placement P;
  const Stmt *Child = S;
  const Stmt *Prev = nullptr;
  for (int Depth = 0; Depth < 64; ++Depth) {
    const Stmt *Parent = enclosingStmt(Child, Ctx);
    if (!Parent || isa<LambdaExpr>(Parent))
      return P; // a function or a lambda body: its loops are not ours
    if (isLoop(Parent)) {
      P.Loop = Parent;
      P.InBody = isa<CompoundStmt>(Child) ? Prev : Child;
      return P;
    }
    if (const auto *If = dyn_cast<IfStmt>(Parent))
      if (!P.If && If->getCond() != Child)
        P.If = If;
    Prev = Child;
    Child = Parent;
  }
  return P;
}

/// Does a branch end by leaving the rest of the loop body (continue, break,
/// return, throw)?
bool endsEarly(const Stmt *S) {
  if (const auto *CS = dyn_cast_or_null<CompoundStmt>(S))
    return !CS->body_empty() && endsEarly(CS->body_back());
  return isa_and_nonnull<ContinueStmt, BreakStmt, ReturnStmt, CXXThrowExpr>(S);
}

void declsIn(const Stmt *S, llvm::SmallPtrSetImpl<const Decl *> &Out) {
  if (!S)
    return;
  if (const auto *DRE = dyn_cast<DeclRefExpr>(S))
    Out.insert(DRE->getDecl());
  if (const auto *ME = dyn_cast<MemberExpr>(S))
    Out.insert(ME->getMemberDecl());
  for (const Stmt *C : S->children())
    declsIn(C, Out);
}

/// The wait sits in a loop, but under an `if` that tested the condition once
/// (`for (;;) { if (!ready) cv.wait(lk); use(); }`): after a spurious
/// wake-up the statements after the `if` run with the condition untested.
/// Not so when the `if` is the last statement of the body (the loop comes
/// back to it), when its branch leaves the body after the wait, or when a
/// later `if` of the body tests the same variables again.
bool loopSkipsRecheck(const Placement &P, ASTContext &Ctx) {
  if (!P.Loop || !P.If || !P.InBody || P.InBody != P.If)
    return false;
  // A loop with a condition of its own re-tests something each round:
  // taken to be the waited condition (`while (count == 0) { if (!timed)
  // cv.wait(lk); else ...; first = false; }`). Only an endless loop is
  // judged by what follows the `if`.
  if (isa<CXXForRangeStmt>(P.Loop))
    return false; // a range-for ends with its range
  const Expr *Cond = loopCondition(P.Loop);
  bool Endless = true;
  if (Cond) {
    bool Value = false;
    Endless = !Cond->isValueDependent() &&
              Cond->EvaluateAsBooleanCondition(Value, Ctx) && Value;
  }
  if (!Endless)
    return false;
  const auto *Body = dyn_cast_or_null<CompoundStmt>(loopBody(P.Loop));
  if (!Body)
    return false;
  if (endsEarly(P.If->getThen()))
    return false;
  llvm::SmallPtrSet<const Decl *, 4> Tested;
  declsIn(P.If->getCond(), Tested);
  bool After = false, Rest = false;
  for (const Stmt *St : Body->body()) {
    if (St == P.If) {
      After = true;
      continue;
    }
    if (!After || isa<NullStmt>(St))
      continue;
    if (const auto *If = dyn_cast<IfStmt>(St)) {
      llvm::SmallPtrSet<const Decl *, 4> Again;
      declsIn(If->getCond(), Again);
      for (const Decl *D : Again)
        if (Tested.count(D))
          return false; // tested again before use
    }
    Rest = true;
    break;
  }
  return Rest;
}

unsigned explicitArgs(const CallExpr *C) {
  unsigned N = 0;
  for (const Expr *A : C->arguments())
    if (!isa<CXXDefaultArgExpr>(A))
      ++N;
  return N;
}

/// Can `E` be evaluated again and again with no effect: no assignment,
/// increment or volatile access, and no call but of const member functions
/// (`q.empty()`, an atomic's load or conversion)?
bool repeatable(const Expr *E, ASTContext &Ctx) {
  if (!E || E->HasSideEffects(Ctx, /*IncludePossibleEffects=*/false))
    return false;
  if (const auto *MC = dyn_cast<CXXMemberCallExpr>(E)) {
    const CXXMethodDecl *MD = MC->getMethodDecl();
    if (!MD || !MD->isConst())
      return false;
  } else if (isa<CallExpr>(E) && !isa<CXXOperatorCallExpr>(E)) {
    return false;
  } else if (const auto *OC = dyn_cast<CXXOperatorCallExpr>(E)) {
    const auto *MD = dyn_cast_or_null<CXXMethodDecl>(OC->getDirectCallee());
    if (!MD || !MD->isConst())
      return false;
  }
  for (const Stmt *C : E->children())
    if (const auto *CE = dyn_cast_or_null<Expr>(C))
      if (!repeatable(CE, Ctx))
        return false;
  return true;
}

/// The rewrite (docs/checks/send-wait-without-predicate.md#fix): `if (C)
/// cv.wait(lock);`, a wait that is the whole of an if without else, outside
/// any loop, becomes `cv.wait(lock, [&] { return !(C); });` (`return X;` for
/// `C` = `!X`): the predicate overload re-tests the condition after every
/// wake-up. Only for a member wait whose result is discarded (the predicate
/// overload of wait_for/wait_until returns bool, not cv_status) and a
/// condition that can be evaluated again with no effect (it now is, after
/// each wake-up): no assignment, no call but of const member functions.
void addPredicateFix(DiagBuilder &D, const CallExpr *Call, const IfStmt *If,
                     ASTContext &Ctx) {
  const auto *MC = dyn_cast<CXXMemberCallExpr>(Call);
  if (!MC || !If || If->getElse() || If->getInit() ||
      If->getConditionVariable() || If->isConsteval() || If->isConstexpr() ||
      !isDiscarded(Call, Ctx))
    return;
  const Stmt *Then = If->getThen();
  if (const auto *CS = dyn_cast<CompoundStmt>(Then))
    Then = CS->size() == 1 ? CS->body_front() : nullptr;
  const auto *ThenExpr = dyn_cast_or_null<Expr>(Then);
  if (!ThenExpr || ThenExpr->IgnoreImplicit() != Call->IgnoreImplicit())
    return;
  const Expr *Cond = If->getCond()->IgnoreParenImpCasts();
  if (!repeatable(Cond, Ctx))
    return;
  std::string Predicate;
  if (const auto *UO = dyn_cast<UnaryOperator>(Cond);
      UO && UO->getOpcode() == UO_LNot) {
    std::optional<std::string> X = sourceText(UO->getSubExpr(), Ctx);
    if (!X)
      return;
    Predicate = *X;
  } else {
    std::optional<std::string> X = sourceText(Cond, Ctx);
    if (!X)
      return;
    Predicate = "!(" + *X + ")";
  }
  std::optional<std::string> WaitText = sourceText(Call, Ctx);
  if (!WaitText || WaitText->empty() || WaitText->back() != ')')
    return;
  // The rewrite replaces the whole if: a comment in it, outside the wait
  // call, would be lost.
  std::optional<std::string> IfText = sourceText(If->getSourceRange(), Ctx);
  if (!IfText)
    return;
  std::string Rest = *IfText;
  size_t At = Rest.find(*WaitText);
  if (At != std::string::npos)
    Rest.erase(At, WaitText->size());
  if (Rest.find("//") != std::string::npos ||
      Rest.find("/*") != std::string::npos)
    return;
  WaitText->pop_back();
  // A bare `if (C) cv.wait(lock);` ends before its semicolon, a braced one
  // at its brace.
  const char *Semi = isa<CompoundStmt>(If->getThen()) ? ";" : "";
  D.replace(CharSourceRange::getTokenRange(If->getSourceRange()),
            *WaitText + ", [&] { return " + Predicate + "; })" + Semi);
}

} // namespace

void WaitWithoutPredicateCheck::check(const MatchFinder::MatchResult &R) {
  std::string Method;
  const CallExpr *Call = nullptr;
  bool CFunction = false;
  if (const auto *CW = R.Nodes.getNodeAs<CallExpr>("cwait")) {
    bool Waits = false;
    const Expr *Cond = nullptr;
    if (!conditionFunctionCall(CW, rules(), Waits, Cond) || !Waits)
      return;
    Call = CW;
    CFunction = true;
    Method = calleeName(CW);
  } else {
    const auto *MC = R.Nodes.getNodeAs<CXXMemberCallExpr>("wait");
    if (!MC || !MC->getMethodDecl())
      return;
    const Expr *Obj = MC->getImplicitObjectArgument();
    if (!Obj)
      return;
    const ConditionVariableRule *Rule = conditionVariableRule(
        Obj->IgnoreParenImpCasts()->getType(), rules());
    if (!Rule) // a class derived from one
      Rule = conditionVariableRule(
          R.Context->getRecordType(MC->getMethodDecl()->getParent()), rules());
    if (!Rule)
      return;
    Method = calleeName(MC);
    const unsigned *Arity = nullptr;
    for (const auto &[M, N] : Rule->Wait)
      if (M == Method)
        Arity = &N;
    if (!Arity || explicitArgs(MC) > *Arity)
      return; // the predicate overload
    Call = MC;
  }
  Placement P = placementOf(Call, *R.Context);
  // A wrapper that returns the wait's result (`int TimedWait(t) { return
  // pthread_cond_timedwait(&cv_, &mu_, &ts); }`) forwards it: its callers
  // loop. FIXME: judge the forwarder at its callers.
  Ctx = R.Context;
  {
    const Stmt *Up = Call;
    for (int Depth = 0; Depth < 8 && Up; ++Depth) {
      auto Parents = R.Context->getParents(*Up);
      Up = Parents.empty() ? nullptr : Parents[0].get<Stmt>();
      if (Up && isa<ReturnStmt>(Up)) {
        for (const FunctionDecl *FD :
             threadContext(context()).enclosingFunctions(Call))
          Forwarders.try_emplace(FD->getCanonicalDecl(),
                                 Forward{Call, Method});
        return;
      }
      // `void block(std::unique_lock<std::mutex> &lk) { cv_.wait(lk); }`:
      // a body that is only the wait forwards it too (send-lost-wakeup's
      // notion of a forwarder).
      if (const auto *Body = dyn_cast_or_null<CompoundStmt>(Up))
        if (Body->size() == 1) {
          auto BP = R.Context->getParents(*Body);
          const auto *FD = BP.empty() ? nullptr : BP[0].get<FunctionDecl>();
          const auto *MD = dyn_cast_or_null<CXXMethodDecl>(FD);
          if (FD && FD->getBody() == Body &&
              !(MD && MD->getParent()->isLambda())) {
            for (const FunctionDecl *EF :
                 threadContext(context()).enclosingFunctions(Call))
              Forwarders.try_emplace(EF->getCanonicalDecl(),
                                     Forward{Call, Method});
            return;
          }
        }
      if (!Up || !isa<ImplicitCastExpr, ExprWithCleanups, ParenExpr,
                      CXXBindTemporaryExpr, MaterializeTemporaryExpr>(Up))
        break;
    }
  }
  bool Skips = loopSkipsRecheck(P, *R.Context);
  if (P.Loop && !Skips)
    return; // the loop re-checks the condition after each wake-up
  SourceLocation Loc = Call->getExprLoc();
  if (!Reported.insert(Loc).second)
    return;
  std::string Name = Method + "()";
  std::string Cure =
      CFunction ? "wait in a loop that re-tests the condition, while "
                  "(!ready) " +
                      Method + "(&cv, &mutex);"
                : "pass the condition as a predicate, " + Method +
                      "(lock, ..., [&] { return ready; })";
  std::string Where =
      Skips ? "in a loop that skips the re-test after waking" : "outside a loop";
  auto D = diag(Loc, Name + " without a predicate " + Where +
                         ": spurious and lost wake-ups");
  D.cure(Cure + "; it can return without a notify (spurious wake-up) and "
                "block for good if the notify came first (lost wake-up)");
  if (!P.Loop && !CFunction)
    addPredicateFix(D, Call, P.If, *R.Context);
  if (P.If)
    D.note(P.If->getBeginLoc(),
           "the condition is checked once here and not again after waking");
}

void WaitWithoutPredicateCheck::onEndOfTranslationUnit() {
  if (!Ctx || Forwarders.empty())
    return;
  ThreadContext &TC = threadContext(context());
  // One level: a caller of a forwarder that is itself a forwarder is not
  // followed further.
  for (const auto &[FD, F] : Forwarders) {
    for (const auto &[Caller, Where] : TC.callers(FD)) {
      const auto *Use = dyn_cast_or_null<Expr>(Where);
      if (!Use)
        continue;
      Placement P = placementOf(Use, *Ctx);
      bool Skips = loopSkipsRecheck(P, *Ctx);
      if (P.Loop && !Skips)
        continue;
      SourceLocation Loc = Use->getExprLoc();
      if (!Reported.insert(Loc).second)
        continue;
      std::string Name = FD->getNameAsString() + "()";
      auto D = diag(Loc, Name + " forwards an unguarded " + F.Method +
                             "() and is called " +
                             (Skips ? "in a loop that skips the re-test"
                                    : "outside a loop") +
                             ": lost wake-ups");
      D.cure("call it in a loop that re-tests the condition after waking");
      D.note(F.Wait->getExprLoc(), "the wait it forwards is here");
      if (P.If)
        D.note(P.If->getBeginLoc(),
               "the condition is checked once here and not again after "
               "waking");
    }
  }
  Forwarders.clear();
}

} // namespace tether
