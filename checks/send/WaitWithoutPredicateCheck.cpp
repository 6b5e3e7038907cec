//===--- WaitWithoutPredicateCheck.cpp - send-wait-without-predicate ------===//

#include "WaitWithoutPredicateCheck.h"

#include "analysis/ExprUtils.h"
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
  if (Names.empty())
    return;
  // Filtered on the object's type in check(): the method may be declared in
  // a base class, and the object's type spelled through an alias.
  Finder->addMatcher(
      cxxMemberCallExpr(callee(cxxMethodDecl(hasAnyName(
                            std::vector<StringRef>(Names.begin(), Names.end())))))
          .bind("wait"),
      this);
}

namespace {

/// Where `S` stands in its function: the nearest enclosing loop (of the
/// same function or lambda body), and the `if` whose branch it is in, if it
/// is not in a loop.
struct Placement {
  const Stmt *Loop = nullptr;
  const IfStmt *If = nullptr;
};

Placement placementOf(const Stmt *S, ASTContext &Ctx) {
  Placement P;
  const Stmt *Child = S;
  for (int Depth = 0; Depth < 64; ++Depth) {
    const Stmt *Parent = enclosingStmt(Child, Ctx);
    if (!Parent || isa<LambdaExpr>(Parent))
      return P; // a function or a lambda body: its loops are not ours
    if (isa<WhileStmt, DoStmt, ForStmt, CXXForRangeStmt>(Parent)) {
      P.Loop = Parent;
      return P;
    }
    if (const auto *If = dyn_cast<IfStmt>(Parent))
      if (!P.If && If->getCond() != Child)
        P.If = If;
    Child = Parent;
  }
  return P;
}

unsigned explicitArgs(const CallExpr *C) {
  unsigned N = 0;
  for (const Expr *A : C->arguments())
    if (!isa<CXXDefaultArgExpr>(A))
      ++N;
  return N;
}

} // namespace

void WaitWithoutPredicateCheck::check(const MatchFinder::MatchResult &R) {
  const auto *Call = R.Nodes.getNodeAs<CXXMemberCallExpr>("wait");
  if (!Call || !Call->getMethodDecl())
    return;
  const Expr *Obj = Call->getImplicitObjectArgument();
  if (!Obj)
    return;
  const ConditionVariableRule *Rule = conditionVariableRule(
      Obj->IgnoreParenImpCasts()->getType(), rules());
  if (!Rule && Call->getMethodDecl()) // a class derived from one
    Rule = conditionVariableRule(
        R.Context->getRecordType(Call->getMethodDecl()->getParent()), rules());
  if (!Rule)
    return;
  std::string Method = calleeName(Call);
  const unsigned *Arity = nullptr;
  for (const auto &[M, N] : Rule->Wait)
    if (M == Method)
      Arity = &N;
  if (!Arity || explicitArgs(Call) > *Arity)
    return; // the predicate overload
  Placement P = placementOf(Call, *R.Context);
  if (P.Loop)
    return; // the loop re-checks the condition after each wake-up
  SourceLocation Loc = Call->getExprLoc();
  if (!Reported.insert(Loc).second)
    return;
  std::string Name = Method + "()";
  auto D = diag(Loc, Name + " on a condition variable without a predicate "
                            "and outside a loop: it can return without a "
                            "notify (spurious wake-up), and it blocks for "
                            "good if the notify came before it started "
                            "waiting (lost wake-up); pass the condition as a "
                            "predicate, " +
                            Method + "(lock, ..., [&] { return ready; })");
  if (P.If)
    D.note(P.If->getBeginLoc(),
           "the condition is checked once here and not again after waking");
}

} // namespace tether
