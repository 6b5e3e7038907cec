//===--- DiscardedAsyncCheck.cpp - spawn-discarded-async ------------------===//

#include "DiscardedAsyncCheck.h"

#include "analysis/ExprUtils.h"

#include "clang/AST/ASTContext.h"
#include "clang/AST/ExprCXX.h"
#include "clang/AST/ParentMapContext.h"

using namespace clang;
using namespace clang::ast_matchers;

namespace tether {

void DiscardedAsyncCheck::registerMatchers(MatchFinder *Finder) {
  std::vector<std::string> Fns;
  for (const auto &R : rules().AsyncFunctions)
    Fns.push_back(R.Function);
  if (Fns.empty())
    return;
  Finder->addMatcher(
      callExpr(callee(functionDecl(
                   hasAnyName(std::vector<StringRef>(Fns.begin(), Fns.end())))))
          .bind("async"),
      this);
  // Matched by method name and filtered on the object's (canonical) type in
  // check(), not on the method's class: libstdc++ declares wait() and
  // wait_for() in the base std::__basic_future, and the object's type is
  // often spelled `auto` or a container's `reference` typedef.
  std::vector<std::string> WaitNames;
  for (const auto &R : rules().FutureTypes)
    WaitNames.insert(WaitNames.end(), R.Wait.begin(), R.Wait.end());
  if (!WaitNames.empty())
    Finder->addMatcher(
        cxxMemberCallExpr(callee(cxxMethodDecl(hasAnyName(std::vector<StringRef>(
                              WaitNames.begin(), WaitNames.end())))))
            .bind("wait"),
        this);
}

void DiscardedAsyncCheck::check(const MatchFinder::MatchResult &R) {
  Ctx = R.Context;
  if (const auto *MC = R.Nodes.getNodeAs<CXXMemberCallExpr>("wait")) {
    // Below the derived-to-base cast to std::__basic_future, if any.
    QualType ObjT =
        MC->getImplicitObjectArgument()->IgnoreParenImpCasts()->getType();
    if (ObjT->isPointerType())
      ObjT = ObjT->getPointeeType();
    const FutureTypeRule *Rule = futureRule(ObjT, rules());
    std::string N = calleeName(MC);
    if (Rule && std::find(Rule->Wait.begin(), Rule->Wait.end(), N) !=
                    Rule->Wait.end())
      if (const ValueDecl *D = rootDecl(MC->getImplicitObjectArgument()))
        Waited.insert(resolveAlias(D, *Ctx));
    return;
  }
  const auto *Call = R.Nodes.getNodeAs<CallExpr>("async");
  if (!Call || !futureRule(Call->getType(), rules()))
    return;
  const FunctionDecl *FD = Call->getDirectCallee();
  std::string Name = qualifiedName(FD);
  if (isDiscarded(Call, *Ctx)) {
    auto D = diag(Call->getBeginLoc(),
                  "the future returned by " + Name +
                      " is discarded: it runs synchronously and loses "
                      "exceptions");
    D.cure("get() the future where the result is needed, or run the work "
           "as a tether::task_supervisor::async task and await its result");
    // The call already waits for the task where it stands: get() keeps
    // that, says so, and hands the task's exception to the caller.
    const FutureTypeRule *Rule = futureRule(Call->getType(), rules());
    if (Rule && llvm::is_contained(Rule->Wait, "get"))
      D.insertAfterToken(Call->getEndLoc(), ".get()");
    return;
  }
  if (const ValueDecl *H = valueHolder(Call, *Ctx))
    if (!isa<ParmVarDecl>(H))
      StoredFutures.push_back({Call, H});
}

void DiscardedAsyncCheck::onEndOfTranslationUnit() {
  for (const Stored &S : StoredFutures) {
    if (Waited.count(S.Holder))
      continue;
    const Stmt *Scope = nullptr;
    if (const auto *VD = dyn_cast<VarDecl>(S.Holder)) {
      if (VD->hasLocalStorage())
        if (const auto *FD = dyn_cast_or_null<FunctionDecl>(
                VD->getParentFunctionOrMethod()))
          Scope = FD->getBody();
    }
    bool HandedOn = false;
    for (const Expr *Ref : referencesTo(S.Holder, Scope, *Ctx)) {
      const CXXMemberCallExpr *MC = nullptr;
      UseKind K = classifyUse(Ref, *Ctx, &MC);
      if (K == UseKind::Escaped || K == UseKind::Moved) {
        HandedOn = true;
        break;
      }
      // A container handed to an algorithm through its iterators.
      if (K == UseKind::MethodCall && MC) {
        std::string N = calleeName(MC);
        auto P = Ctx->getParents(*MC);
        if ((N == "begin" || N == "end") && !P.empty() && !P[0].get<VarDecl>()) {
          HandedOn = true;
          break;
        }
      }
    }
    if (HandedOn)
      continue;
    std::string Name = qualifiedName(S.Call->getDirectCallee());
    diag(S.Call->getBeginLoc(),
         "the future returned by " + Name + " is kept in '" +
             S.Holder->getNameAsString() +
             "' but never waited on: the task's exception is lost")
        .cure("get() it where the result is needed, or run the work as a "
              "tether::task_supervisor::async task and await its result")
        .note(S.Holder->getLocation(), "'" + S.Holder->getNameAsString() +
                                           "' is declared here");
  }
  StoredFutures.clear();
  Waited.clear();
}

} // namespace tether
