//===--- NotifyOneMultipleConditionsCheck.cpp - send-notify-one-multiple-conditions ===//

#include "NotifyOneMultipleConditionsCheck.h"

#include "analysis/ExprUtils.h"
#include "analysis/StmtParents.h"

#include "clang/AST/ASTContext.h"
#include "clang/AST/ExprCXX.h"
#include "clang/AST/StmtCXX.h"
#include "llvm/ADT/FoldingSet.h"

using namespace clang;
using namespace clang::ast_matchers;

namespace tether {

namespace {

std::vector<StringRef> refs(const std::vector<std::string> &Names) {
  return std::vector<StringRef>(Names.begin(), Names.end());
}

/// The condition a predicate or loop condition stands for, with its
/// negations folded into `Negated`: `!q.empty()` and a loop
/// `while (q.empty())` both wait for "not q.empty()".
unsigned conditionHash(const Expr *E, bool Negated, ASTContext &Ctx) {
  E = E->IgnoreParenImpCasts();
  while (const auto *UO = dyn_cast<UnaryOperator>(E)) {
    if (UO->getOpcode() != UO_LNot)
      break;
    Negated = !Negated;
    E = UO->getSubExpr()->IgnoreParenImpCasts();
  }
  llvm::FoldingSetNodeID ID;
  E->Profile(ID, Ctx, /*Canonical=*/true);
  ID.AddBoolean(Negated);
  return ID.ComputeHash();
}

/// A predicate lambda's returned expression (`[&] { return ready; }`), or
/// the predicate itself (a function, a functor).
const Stmt *predicateCondition(const Expr *Pred) {
  Pred = ignoreWrappers(Pred);
  if (const auto *L = dyn_cast<LambdaExpr>(Pred)) {
    const CompoundStmt *Body = L->getCompoundStmtBody();
    if (Body && Body->size() == 1)
      if (const auto *Ret = dyn_cast<ReturnStmt>(Body->body_front()))
        if (Ret->getRetValue())
          return Ret->getRetValue();
    return Body;
  }
  return Pred;
}

/// The condition of the nearest loop around `S` in its function, if any.
const Expr *enclosingLoopCondition(const Stmt *S, ASTContext &Ctx) {
  const Stmt *Child = S;
  for (int Depth = 0; Depth < 64; ++Depth) {
    const Stmt *Parent = enclosingStmt(Child, Ctx);
    if (!Parent || isa<LambdaExpr>(Parent))
      return nullptr;
    if (isLoop(Parent))
      return loopCondition(Parent);
    Child = Parent;
  }
  return nullptr;
}

} // namespace

void NotifyOneMultipleConditionsCheck::registerMatchers(MatchFinder *Finder) {
  std::vector<std::string> Methods, Functions;
  for (const ConditionVariableRule &R : rules().ConditionVariables) {
    for (const auto &[M, N] : R.Wait)
      Methods.push_back(M);
    for (const std::string &N : R.NotifyOne)
      (llvm::is_contained(R.NotifyFunctions, N) ? Functions : Methods)
          .push_back(N);
    Functions.insert(Functions.end(), R.WaitFunctions.begin(),
                     R.WaitFunctions.end());
  }
  if (!Methods.empty())
    Finder->addMatcher(
        cxxMemberCallExpr(callee(cxxMethodDecl(hasAnyName(refs(Methods)))))
            .bind("member"),
        this);
  if (!Functions.empty())
    Finder->addMatcher(
        callExpr(callee(functionDecl(hasAnyName(refs(Functions)))))
            .bind("function"),
        this);
}

void NotifyOneMultipleConditionsCheck::addWait(const ValueDecl *CV,
                                               const Expr *Call,
                                               const Expr *Predicate,
                                               ASTContext &Ctx) {
  unsigned Hash;
  if (Predicate) {
    const Stmt *C = predicateCondition(Predicate);
    if (const auto *E = dyn_cast<Expr>(C)) {
      Hash = conditionHash(E, false, Ctx);
    } else {
      llvm::FoldingSetNodeID ID;
      C->Profile(ID, Ctx, /*Canonical=*/true);
      Hash = ID.ComputeHash();
    }
  } else if (const Expr *Cond = enclosingLoopCondition(Call, Ctx)) {
    Hash = conditionHash(Cond, true, Ctx); // waits while Cond: wakes for !Cond
  } else {
    return; // no visible condition (send-wait-without-predicate's case)
  }
  auto [It, New] = ByVariable.try_emplace(CV);
  if (New)
    Order.push_back(CV);
  It->second.Waits.push_back({Call->getExprLoc(), Hash});
}

void NotifyOneMultipleConditionsCheck::check(
    const MatchFinder::MatchResult &R) {
  ASTContext &Ctx = *R.Context;
  if (const auto *C = R.Nodes.getNodeAs<CallExpr>("function")) {
    bool Waits = false;
    const Expr *Obj = nullptr;
    const ConditionVariableRule *Rule =
        conditionFunctionCall(C, rules(), Waits, Obj);
    const ValueDecl *CV = Rule ? rootDecl(Obj) : nullptr;
    if (!CV || !Seen.insert({CV, C->getExprLoc()}).second)
      return;
    if (Waits) {
      addWait(CV, C, nullptr, Ctx);
    } else if (llvm::is_contained(Rule->NotifyOne, calleeName(C))) {
      auto [It, New] = ByVariable.try_emplace(CV);
      if (New)
        Order.push_back(CV);
      It->second.NotifyOnes.push_back(C->getExprLoc());
    }
    return;
  }
  const auto *MC = R.Nodes.getNodeAs<CXXMemberCallExpr>("member");
  if (!MC || !MC->getMethodDecl())
    return;
  const Expr *Obj = MC->getImplicitObjectArgument();
  const ConditionVariableRule *Rule =
      Obj ? conditionVariableRule(Obj->IgnoreParenImpCasts()->getType(),
                                  rules())
          : nullptr;
  const ValueDecl *CV = Rule ? rootDecl(Obj) : nullptr;
  if (!CV || !Seen.insert({CV, MC->getExprLoc()}).second)
    return;
  std::string Method = calleeName(MC);
  for (const auto &[M, Arity] : Rule->Wait)
    if (M == Method) {
      unsigned Explicit = 0;
      for (const Expr *A : MC->arguments())
        if (!isa<CXXDefaultArgExpr>(A))
          ++Explicit;
      const Expr *Pred =
          Explicit > Arity ? MC->getArg(Explicit - 1) : nullptr;
      addWait(CV, MC, Pred, Ctx);
      return;
    }
  if (llvm::is_contained(Rule->NotifyOne, Method)) {
    auto [It, New] = ByVariable.try_emplace(CV);
    if (New)
      Order.push_back(CV);
    It->second.NotifyOnes.push_back(MC->getExprLoc());
  }
}

void NotifyOneMultipleConditionsCheck::onEndOfTranslationUnit() {
  for (const ValueDecl *CV : Order) {
    const Signals &S = ByVariable[CV];
    if (S.NotifyOnes.empty() || S.Waits.size() < 2)
      continue;
    const Wait *First = &S.Waits.front();
    const Wait *Other = nullptr;
    for (const Wait &W : S.Waits)
      if (W.Condition != First->Condition) {
        Other = &W;
        break;
      }
    if (!Other)
      continue;
    for (SourceLocation Loc : S.NotifyOnes) {
      if (!Reported.insert(Loc).second)
        continue;
      auto D = diag(Loc, "wakes one waiter of '" + CV->getNameAsString() +
                             "', whose waiters wait for different "
                             "conditions: the wake-up can be lost");
      D.cure("wake all waiters (notify_all), or give each condition its own "
             "condition variable");
      D.note(First->Loc, "a waiter waits for one condition here");
      D.note(Other->Loc, "another waits for a different condition here");
    }
  }
}

} // namespace tether
