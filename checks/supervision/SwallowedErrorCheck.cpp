//===--- SwallowedErrorCheck.cpp - supervision-swallowed-error ------------===//

#include "SwallowedErrorCheck.h"

#include "analysis/SharedAnalyses.h"

#include "clang/AST/ASTContext.h"
#include "clang/AST/ExprCXX.h"
#include "clang/AST/StmtCXX.h"
#include "clang/Basic/SourceManager.h"
#include "clang/Lex/Lexer.h"

using namespace clang;
using namespace clang::ast_matchers;

namespace tether {

namespace {

/// A variable local to the function that holds the handler (its catch
/// parameter included): writing to it reports nothing to anyone. References
/// and pointers may lead elsewhere and do not count as local.
bool isLocalValue(const Expr *E) {
  E = E->IgnoreParenImpCasts();
  const auto *DRE = dyn_cast<DeclRefExpr>(E);
  if (!DRE)
    return false;
  const auto *V = dyn_cast<VarDecl>(DRE->getDecl());
  return V && V->hasLocalStorage() && !isa<ParmVarDecl>(V) &&
         !V->getType()->isReferenceType() && !V->getType()->isPointerType();
}

/// Does `S` do anything with the error that someone could see?
bool handles(const Stmt *S, bool VoidFunction) {
  if (!S)
    return false;
  if (const auto *CE = dyn_cast<CXXConstructExpr>(S)) {
    // Constructing a local without arguments, or a trivial copy, reports
    // nothing; any other constructor may.
    if (CE->getNumArgs() != 0 && !CE->getConstructor()->isTrivial())
      return true;
  } else if (isa<CallExpr, CXXThrowExpr, CXXNewExpr, CXXDeleteExpr>(S)) {
    return true;
  }
  if (const auto *R = dyn_cast<ReturnStmt>(S)) {
    if (R->getRetValue() || !VoidFunction)
      return true; // a status or value for the caller
    return false;
  }
  if (isa<GotoStmt, CoreturnStmt, CoyieldExpr, CoawaitExpr, GCCAsmStmt,
          MSAsmStmt>(S))
    return true;
  if (const auto *BO = dyn_cast<BinaryOperator>(S)) {
    if (BO->isAssignmentOp() && !isLocalValue(BO->getLHS()))
      return true;
  }
  if (const auto *UO = dyn_cast<UnaryOperator>(S)) {
    if (UO->isIncrementDecrementOp() && !isLocalValue(UO->getSubExpr()))
      return true;
  }
  for (const Stmt *C : S->children())
    if (handles(C, VoidFunction))
      return true;
  return false;
}

/// A handler whose body holds a comment ("// the reporter failed: counted
/// below") records a decision someone made; it is not flagged.
bool hasComment(const CXXCatchStmt *H, const ASTContext &Ctx) {
  const auto *Body = dyn_cast_or_null<CompoundStmt>(H->getHandlerBlock());
  if (!Body || Body->getLBracLoc().isMacroID() ||
      Body->getRBracLoc().isMacroID())
    return false;
  StringRef Text = Lexer::getSourceText(
      CharSourceRange::getTokenRange(Body->getSourceRange()),
      Ctx.getSourceManager(), Ctx.getLangOpts());
  return Text.contains("//") || Text.contains("/*");
}

} // namespace

void SwallowedErrorCheck::registerMatchers(MatchFinder *Finder) {
  Finder->addMatcher(cxxCatchStmt().bind("catch"), this);
}

void SwallowedErrorCheck::check(const MatchFinder::MatchResult &R) {
  Ctx = R.Context;
  if (const auto *C = R.Nodes.getNodeAs<CXXCatchStmt>("catch"))
    if (!Ctx->getSourceManager().isInSystemHeader(C->getBeginLoc()))
      Handlers.insert(C);
}

void SwallowedErrorCheck::onEndOfTranslationUnit() {
  if (!Ctx || Handlers.empty()) {
    Handlers.clear();
    return;
  }
  ThreadContext &TC = threadContext(context());
  for (const CXXCatchStmt *H : Handlers) {
    // Every function holding the handler: a handler of a function template
    // that does not depend on its parameters is one node shared by the
    // pattern and every instantiation (only the instantiations run).
    const Reach *OnThread = nullptr;
    const FunctionDecl *FD = nullptr;
    for (const FunctionDecl *F : TC.enclosingFunctions(H)) {
      for (const Reach &Rc : TC.reaches(F))
        if (TC.context(Rc.Context).isThread()) {
          OnThread = &Rc;
          break;
        }
      if (OnThread) {
        FD = F;
        break;
      }
    }
    if (!OnThread)
      continue;
    bool Void = FD->getReturnType()->isVoidType();
    if (handles(H->getHandlerBlock(), Void) || hasComment(H, *Ctx))
      continue;
    const ExecContext &EC = TC.context(OnThread->Context);
    std::string Entry = ThreadContext::chainText({EC.Entry});
    std::string Note = "this code runs on thread entry '" + Entry + "'";
    if (OnThread->Chain.size() > 1)
      Note += " via " + ThreadContext::chainText(OnThread->Chain);
    diag(H->getCatchLoc(),
         "this handler discards the error on a worker thread: the failure "
         "vanishes unreported")
        .cure("let it crash under a tether::supervisor (a worker child is "
              "restarted and its failure reported; a second failure within "
              "the intensity window stops the supervisor), or hand the error "
              "on as a tether::result<T>")
        .note(EC.Entry->getLocation(), Note);
  }
  Handlers.clear();
}

} // namespace tether
