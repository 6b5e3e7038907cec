//===--- UnjoinedPthreadCheck.cpp - spawn-unjoined-pthread ----------------===//

#include "UnjoinedPthreadCheck.h"

#include "analysis/ExprUtils.h"

#include "clang/AST/ASTContext.h"
#include "clang/AST/ParentMapContext.h"
#include "clang/Lex/Lexer.h"
#include "llvm/ADT/SmallPtrSet.h"

using namespace clang;
using namespace clang::ast_matchers;

namespace tether {

void UnjoinedPthreadCheck::registerMatchers(MatchFinder *Finder) {
  std::vector<std::string> Create, Release, Setters;
  for (const auto &R : rules().ThreadFunctions) {
    Create.push_back(R.Function);
    Release.insert(Release.end(), R.Join.begin(), R.Join.end());
    Release.insert(Release.end(), R.Detach.begin(), R.Detach.end());
    if (!R.DetachAttrSetter.empty())
      Setters.push_back(R.DetachAttrSetter);
  }
  auto Names = [](const std::vector<std::string> &V) {
    return std::vector<StringRef>(V.begin(), V.end());
  };
  if (Create.empty())
    return;
  Finder->addMatcher(
      callExpr(callee(functionDecl(hasAnyName(Names(Create))))).bind("create"),
      this);
  if (!Release.empty())
    Finder->addMatcher(
        callExpr(callee(functionDecl(hasAnyName(Names(Release)))))
            .bind("release"),
        this);
  if (!Setters.empty())
    Finder->addMatcher(
        callExpr(callee(functionDecl(hasAnyName(Names(Setters))))).bind("setter"),
        this);
}

void UnjoinedPthreadCheck::check(const MatchFinder::MatchResult &R) {
  Ctx = R.Context;
  if (const auto *C = R.Nodes.getNodeAs<CallExpr>("create")) {
    const ThreadFunctionRule *Rule =
        rules().threadFunction(qualifiedName(C->getDirectCallee()));
    if (!Rule || Rule->HandleArg >= C->getNumArgs())
      return;
    const ValueDecl *Handle = rootDecl(C->getArg(Rule->HandleArg));
    if (!Handle || isa<ParmVarDecl>(Handle))
      return; // the caller owns the handle
    const ValueDecl *Attr = nullptr;
    if (Rule->AttrArg >= 0 &&
        static_cast<unsigned>(Rule->AttrArg) < C->getNumArgs())
      Attr = rootDecl(C->getArg(Rule->AttrArg));
    Creations.push_back({C, resolveAlias(Handle, *Ctx), Attr});
    return;
  }
  if (const auto *C = R.Nodes.getNodeAs<CallExpr>("release")) {
    if (C->getNumArgs() >= 1)
      if (const ValueDecl *D = rootDecl(C->getArg(0)))
        Owned.insert(resolveAlias(D, *Ctx));
    return;
  }
  if (const auto *C = R.Nodes.getNodeAs<CallExpr>("setter")) {
    for (const auto &Rule : rules().ThreadFunctions) {
      if (C->getNumArgs() < 2 ||
          !qualifiedNameMatches(Rule.DetachAttrSetter,
                                qualifiedName(C->getDirectCallee())))
        continue;
      const Expr *V = C->getArg(1)->IgnoreParenImpCasts();
      bool Detached = false;
      if (const auto *DRE = dyn_cast<DeclRefExpr>(V))
        Detached = DRE->getDecl()->getName() == Rule.DetachAttrValue;
      SourceLocation L = C->getArg(1)->getBeginLoc();
      if (!Detached && L.isMacroID())
        Detached = Lexer::getImmediateMacroName(L, Ctx->getSourceManager(),
                                                Ctx->getLangOpts()) ==
                   Rule.DetachAttrValue;
      if (Detached)
        if (const ValueDecl *A = rootDecl(C->getArg(0)))
          DetachedAttrs.insert(A);
    }
  }
}

/// Is the handle copied or handed somewhere we do not follow?
static bool handleEscapes(const ValueDecl *Handle, const CallExpr *Create,
                          ASTContext &Ctx) {
  const Stmt *Scope = nullptr;
  if (const auto *VD = dyn_cast<VarDecl>(Handle))
    if (VD->hasLocalStorage())
      if (const auto *FD =
              dyn_cast_or_null<FunctionDecl>(VD->getParentFunctionOrMethod()))
        Scope = FD->getBody();
  for (const Expr *Ref : referencesTo(Handle, Scope, Ctx)) {
    // Walk up to the call that receives the handle, if any.
    const Expr *Cur = Ref;
    const CallExpr *Receiver = nullptr;
    bool Escapes = false;
    for (int Depth = 0; Depth < 6; ++Depth) {
      auto Parents = Ctx.getParents(*Cur);
      if (Parents.empty())
        break;
      if (Parents[0].get<VarDecl>() || ctorInitializerOf(Cur, Parents[0])) {
        Escapes = true; // copied into another variable or member
        break;
      }
      const auto *P = Parents[0].get<Expr>();
      if (!P) {
        Escapes = Parents[0].get<ReturnStmt>() != nullptr;
        break;
      }
      if (const auto *C = dyn_cast<CallExpr>(P)) {
        Receiver = C;
        break;
      }
      if (const auto *BO = dyn_cast<BinaryOperator>(P)) {
        Escapes = BO->isAssignmentOp() &&
                  BO->getRHS()->IgnoreParenImpCasts() ==
                      Cur->IgnoreParenImpCasts();
        break;
      }
      if (isa<ImplicitCastExpr, ParenExpr, UnaryOperator, ArraySubscriptExpr,
              MemberExpr>(P)) {
        Cur = P;
        continue;
      }
      break;
    }
    if (Escapes)
      return true;
    if (Receiver && Receiver != Create) {
      const FunctionDecl *FD = Receiver->getDirectCallee();
      // The C library's functions that take a thread handle
      // (pthread_setname_np, thrd_equal) do not take ownership of it.
      if (!FD || !Ctx.getSourceManager().isInSystemHeader(FD->getLocation()))
        return true;
    }
  }
  return false;
}

/// A thread whose entry function names itself (pthread_self) publishes or
/// releases its own handle: thread pools whose exiting threads join each
/// other, or threads that detach themselves. We do not follow that handle,
/// so the creation is not reported.
bool UnjoinedPthreadCheck::entryManagesItself(const CallExpr *Create) {
  const ThreadFunctionRule *Rule =
      rules().threadFunction(qualifiedName(Create->getDirectCallee()));
  if (!Rule || Rule->Self.empty() || Rule->EntryArg < 0 ||
      static_cast<unsigned>(Rule->EntryArg) >= Create->getNumArgs())
    return false;
  const Expr *Entry = Create->getArg(Rule->EntryArg)->IgnoreParenCasts();
  if (const auto *UO = dyn_cast<UnaryOperator>(Entry))
    if (UO->getOpcode() == UO_AddrOf)
      Entry = UO->getSubExpr()->IgnoreParenCasts();
  const auto *DRE = dyn_cast<DeclRefExpr>(Entry);
  const auto *FD = DRE ? dyn_cast<FunctionDecl>(DRE->getDecl()) : nullptr;
  const FunctionDecl *Def = FD ? FD->getDefinition() : nullptr;
  if (!Def || !Def->getBody())
    return false;
  // The entry and the functions it calls, two levels deep (an exit routine
  // of the worker loop, say).
  llvm::SmallVector<const FunctionDecl *, 8> Work = {Def};
  llvm::SmallPtrSet<const FunctionDecl *, 8> Seen = {Def};
  for (unsigned Level = 0; Level < 3 && !Work.empty(); ++Level) {
    llvm::SmallVector<const FunctionDecl *, 8> Next;
    for (const FunctionDecl *F : Work) {
      auto Calls = match(findAll(callExpr().bind("call")), *F->getBody(), *Ctx);
      for (const auto &N : Calls) {
        const auto *Call = N.getNodeAs<CallExpr>("call");
        const FunctionDecl *Callee = Call->getDirectCallee();
        if (!Callee)
          continue;
        if (Callee->getName() == Rule->Self)
          return true;
        if (const FunctionDecl *CD = Callee->getDefinition())
          if (CD->getBody() && Seen.insert(CD).second)
            Next.push_back(CD);
      }
    }
    Work = std::move(Next);
  }
  return false;
}

void UnjoinedPthreadCheck::onEndOfTranslationUnit() {
  for (const Creation &C : Creations) {
    if (Owned.count(C.Handle))
      continue;
    if (C.Attr && DetachedAttrs.count(C.Attr))
      continue; // created detached: spawn-detached-thread reports it
    if (handleEscapes(C.Handle, C.Call, *Ctx))
      continue;
    if (entryManagesItself(C.Call))
      continue;
    std::string Fn = C.Call->getDirectCallee()->getNameAsString();
    diag(C.Call->getBeginLoc(),
         "the thread started by " + Fn + " is never joined or detached: "
         "nobody sees it end or fail")
        .cure("join it on the shutdown path, or run the work as a task of a "
              "tether::task_supervisor")
        .note(C.Handle->getLocation(), "its handle '" +
                                           C.Handle->getNameAsString() +
                                           "' is declared here");
  }
  Creations.clear();
  Owned.clear();
  DetachedAttrs.clear();
}

} // namespace tether
