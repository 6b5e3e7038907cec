//===--- DetachedThreadCheck.cpp - spawn-detached-thread ------------------===//

#include "DetachedThreadCheck.h"

#include "analysis/ExprUtils.h"

#include "clang/AST/ASTContext.h"
#include "clang/AST/ExprCXX.h"
#include "clang/Lex/Lexer.h"

using namespace clang;
using namespace clang::ast_matchers;

namespace tether {

static constexpr llvm::StringLiteral Advice =
    "start it as a task of a tether supervisor instead, which joins it and "
    "reports its failure";

void DetachedThreadCheck::registerMatchers(MatchFinder *Finder) {
  std::vector<std::string> ThreadTypes, CreateFns, DetachFns, Setters;
  for (const auto &R : rules().ThreadTypes)
    ThreadTypes.push_back(R.Type);
  for (const auto &R : rules().ThreadFunctions) {
    CreateFns.push_back(R.Function);
    DetachFns.insert(DetachFns.end(), R.Detach.begin(), R.Detach.end());
    if (!R.DetachAttrSetter.empty())
      Setters.push_back(R.DetachAttrSetter);
  }
  auto Names = [](const std::vector<std::string> &V) {
    return std::vector<StringRef>(V.begin(), V.end());
  };
  if (!ThreadTypes.empty())
    Finder->addMatcher(
        cxxMemberCallExpr(callee(cxxMethodDecl(ofClass(cxxRecordDecl(
                              hasAnyName(Names(ThreadTypes)))))))
            .bind("member"),
        this);
  if (!DetachFns.empty())
    Finder->addMatcher(
        callExpr(callee(functionDecl(hasAnyName(Names(DetachFns)))))
            .bind("detachfn"),
        this);
  if (!Setters.empty())
    Finder->addMatcher(
        callExpr(callee(functionDecl(hasAnyName(Names(Setters))))).bind("setter"),
        this);
  if (!CreateFns.empty())
    Finder->addMatcher(
        callExpr(callee(functionDecl(hasAnyName(Names(CreateFns)))))
            .bind("create"),
        this);
}

/// Where the thread object that `Obj` refers to was started, if visible.
static const Expr *startOf(const Expr *Obj, ASTContext &Ctx) {
  const ValueDecl *D = rootDecl(Obj);
  if (const auto *VD = dyn_cast_or_null<VarDecl>(D))
    if (VD->hasLocalStorage() && VD->getInit())
      return VD->getInit();
  (void)Ctx;
  return nullptr;
}

void DetachedThreadCheck::check(const MatchFinder::MatchResult &R) {
  ASTContext &Ctx = *R.Context;
  if (const auto *MC = R.Nodes.getNodeAs<CXXMemberCallExpr>("member")) {
    const CXXMethodDecl *MD = MC->getMethodDecl();
    const ThreadTypeRule *Rule =
        MD ? rules().threadType(qualifiedName(MD->getParent())) : nullptr;
    if (!Rule)
      return;
    std::string Name = MD->getNameAsString();
    if (std::find(Rule->Detach.begin(), Rule->Detach.end(), Name) ==
        Rule->Detach.end())
      return;
    SourceLocation Loc = MC->getExprLoc();
    auto D = diag(Loc, "'" + Name + "' leaves this " + Rule->Type +
                           " unowned: nothing can join it, an exception "
                           "escaping it calls std::terminate, and it can "
                           "outlive the objects it uses; " +
                           Advice.str());
    if (const Expr *Start = startOf(MC->getImplicitObjectArgument(), Ctx))
      D.note(Start->getBeginLoc(), "the thread is started here");
    return;
  }
  if (const auto *C = R.Nodes.getNodeAs<CallExpr>("detachfn")) {
    const FunctionDecl *FD = C->getDirectCallee();
    diag(C->getBeginLoc(),
         "'" + FD->getNameAsString() +
             "' leaves the thread unowned: nothing can join it or see it "
             "fail, and it can outlive the objects it uses; " +
             Advice.str());
    return;
  }
  if (const auto *C = R.Nodes.getNodeAs<CallExpr>("setter")) {
    const FunctionDecl *FD = C->getDirectCallee();
    for (const auto &Rule : rules().ThreadFunctions) {
      if (!qualifiedNameMatches(Rule.DetachAttrSetter, qualifiedName(FD)) ||
          C->getNumArgs() < 2)
        continue;
      const Expr *Value = C->getArg(1)->IgnoreParenImpCasts();
      bool Detached = false;
      if (const auto *DRE = dyn_cast<DeclRefExpr>(Value))
        Detached = DRE->getDecl()->getName() == Rule.DetachAttrValue;
      SourceLocation L = C->getArg(1)->getBeginLoc();
      if (!Detached && L.isMacroID())
        Detached = Lexer::getImmediateMacroName(L, Ctx.getSourceManager(),
                                                Ctx.getLangOpts()) ==
                   Rule.DetachAttrValue;
      if (Detached)
        if (const ValueDecl *Attr = rootDecl(C->getArg(0)))
          DetachedAttrs.try_emplace(Attr, C);
    }
    return;
  }
  if (const auto *C = R.Nodes.getNodeAs<CallExpr>("create")) {
    const ThreadFunctionRule *Rule =
        rules().threadFunction(qualifiedName(C->getDirectCallee()));
    if (!Rule || Rule->AttrArg < 0 ||
        static_cast<unsigned>(Rule->AttrArg) >= C->getNumArgs())
      return;
    if (const ValueDecl *Attr = rootDecl(C->getArg(Rule->AttrArg)))
      Creations.push_back({C, Attr});
  }
}

void DetachedThreadCheck::onEndOfTranslationUnit() {
  for (const auto &[Call, Attr] : Creations) {
    auto It = DetachedAttrs.find(Attr);
    if (It == DetachedAttrs.end())
      continue;
    diag(Call->getBeginLoc(),
         "this thread is created detached: nothing can join it or see it "
         "fail, and it can outlive the objects it uses; " +
             Advice.str())
        .note(It->second->getBeginLoc(),
              "the attribute '" + Attr->getNameAsString() +
                  "' is set to detached here");
  }
  DetachedAttrs.clear();
  Creations.clear();
}

} // namespace tether
