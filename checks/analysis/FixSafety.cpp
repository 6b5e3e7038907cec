//===--- FixSafety.cpp - When a rewrite onto the runtime keeps the program -===//

#include "FixSafety.h"

#include "ExprUtils.h"

#include "clang/AST/ASTContext.h"
#include "clang/AST/DeclCXX.h"
#include "clang/AST/ExprCXX.h"
#include "clang/AST/RecursiveASTVisitor.h"
#include "clang/ASTMatchers/ASTMatchFinder.h"
#include "clang/ASTMatchers/ASTMatchers.h"
#include "clang/Lex/Lexer.h"
#include "llvm/ADT/SmallPtrSet.h"

using namespace clang;

namespace tether {

const Expr *underlyingCallable(const Expr *E) {
  for (int Depth = 0; E && Depth < 8; ++Depth) {
    E = E->IgnoreParenImpCasts();
    if (const auto *MTE = dyn_cast<MaterializeTemporaryExpr>(E))
      E = MTE->getSubExpr();
    else if (const auto *BTE = dyn_cast<CXXBindTemporaryExpr>(E))
      E = BTE->getSubExpr();
    else if (const auto *FC = dyn_cast<CXXFunctionalCastExpr>(E))
      E = FC->getSubExpr();
    else if (const auto *CE = dyn_cast<CXXConstructExpr>(E);
             CE && CE->getNumArgs() == 1 && !isa<CXXTemporaryObjectExpr>(CE))
      E = CE->getArg(0); // std::function<void()> from the lambda
    else
      return E;
  }
  return E;
}

const FunctionDecl *callableBody(const Expr *Callable) {
  if (!Callable)
    return nullptr;
  const Expr *E = underlyingCallable(Callable);
  if (const auto *L = dyn_cast<LambdaExpr>(E)) {
    const CXXMethodDecl *Op = L->getCallOperator();
    return Op && Op->hasBody() ? Op : nullptr;
  }
  if (const auto *UO = dyn_cast<UnaryOperator>(E))
    if (UO->getOpcode() == UO_AddrOf)
      E = UO->getSubExpr()->IgnoreParenImpCasts();
  if (const auto *DRE = dyn_cast<DeclRefExpr>(E))
    if (const auto *FD = dyn_cast<FunctionDecl>(DRE->getDecl()))
      if (!isa<CXXMethodDecl>(FD) || cast<CXXMethodDecl>(FD)->isStatic()) {
        const FunctionDecl *Def = nullptr;
        return FD->hasBody(Def) ? Def : nullptr;
      }
  return nullptr;
}

bool takesStopToken(const FunctionDecl *FD) {
  if (!FD || FD->getNumParams() != 1)
    return false;
  QualType T = FD->getParamDecl(0)->getType().getNonReferenceType();
  const auto *RD = T->getAsCXXRecordDecl();
  return RD && qualifiedName(RD) == "std::stop_token";
}

namespace {

/// Looks for a loop that may not end, and collects the callees with bodies.
class LoopFinder : public RecursiveASTVisitor<LoopFinder> {
public:
  bool Endless = false;
  llvm::SmallVector<const FunctionDecl *, 8> Callees;

  bool VisitWhileStmt(WhileStmt *) { return !(Endless = true); }
  bool VisitDoStmt(DoStmt *) { return !(Endless = true); }
  bool VisitGotoStmt(GotoStmt *) { return !(Endless = true); }
  bool VisitIndirectGotoStmt(IndirectGotoStmt *) {
    return !(Endless = true);
  }
  bool VisitForStmt(ForStmt *S) {
    // A counted loop: a condition and an increment.
    if (!S->getCond() || !S->getInc())
      Endless = true;
    return !Endless;
  }
  bool VisitCallExpr(CallExpr *C) {
    if (const FunctionDecl *FD = C->getDirectCallee()) {
      const FunctionDecl *Def = nullptr;
      if (FD->hasBody(Def))
        Callees.push_back(Def);
    }
    return true;
  }
  bool VisitCXXConstructExpr(CXXConstructExpr *C) {
    if (const CXXConstructorDecl *Ctor = C->getConstructor()) {
      const FunctionDecl *Def = nullptr;
      if (Ctor->hasBody(Def))
        Callees.push_back(Def);
    }
    return true;
  }
  // A lambda defined in the body runs when it is called: its loops count.
  bool shouldVisitLambdaBody() const { return true; }
};

} // namespace

bool endsOnItsOwn(const FunctionDecl *FD) {
  if (!FD || !FD->hasBody())
    return false;
  llvm::SmallPtrSet<const FunctionDecl *, 16> Seen;
  llvm::SmallVector<std::pair<const FunctionDecl *, unsigned>, 16> Work;
  Work.push_back({FD, 0});
  while (!Work.empty()) {
    auto [F, Depth] = Work.pop_back_val();
    if (!Seen.insert(F->getCanonicalDecl()).second)
      continue;
    // Recursion may not end either.
    if (Depth > 0 && F->getCanonicalDecl() == FD->getCanonicalDecl())
      return false;
    LoopFinder LF;
    LF.TraverseStmt(const_cast<Stmt *>(F->getBody()));
    if (LF.Endless)
      return false;
    if (Depth >= 4)
      continue;
    for (const FunctionDecl *C : LF.Callees) {
      if (C->getCanonicalDecl() == FD->getCanonicalDecl())
        return false;
      // The standard library's loops end (its algorithms are bounded).
      if (C->isInStdNamespace())
        continue;
      Work.push_back({C, Depth + 1});
    }
  }
  return true;
}

CaptureSummary captures(const Expr *Callable) {
  CaptureSummary S;
  if (!Callable)
    return S;
  const auto *L = dyn_cast<LambdaExpr>(underlyingCallable(Callable));
  if (!L)
    return S;
  for (const LambdaCapture &C : L->captures()) {
    if (C.capturesThis())
      S.This = true;
    else if (C.capturesVariable() && C.getCaptureKind() == LCK_ByRef)
      S.ByReference = true;
  }
  return S;
}

std::optional<std::string> sourceText(SourceRange R, const ASTContext &Ctx) {
  const SourceManager &SM = Ctx.getSourceManager();
  CharSourceRange File = Lexer::makeFileCharRange(
      CharSourceRange::getTokenRange(R), SM, Ctx.getLangOpts());
  if (File.isInvalid())
    return std::nullopt;
  bool Invalid = false;
  StringRef Text = Lexer::getSourceText(File, SM, Ctx.getLangOpts(), &Invalid);
  if (Invalid)
    return std::nullopt;
  return Text.str();
}

std::optional<std::string> sourceText(const Expr *E, const ASTContext &Ctx) {
  if (!E || E->getBeginLoc().isMacroID() || E->getEndLoc().isMacroID())
    return std::nullopt;
  return sourceText(E->getSourceRange(), Ctx);
}

const FieldDecl *taskSupervisorMember(const CXXRecordDecl *RD) {
  if (!RD || !RD->hasDefinition())
    return nullptr;
  for (const FieldDecl *F : RD->fields()) {
    const auto *FR = F->getType()->getAsCXXRecordDecl();
    if (FR && qualifiedName(FR) == "tether::task_supervisor")
      return F;
  }
  return nullptr;
}

bool declaredLast(const FieldDecl *F) {
  const RecordDecl *RD = F ? F->getParent() : nullptr;
  if (!RD)
    return false;
  const FieldDecl *Last = nullptr;
  for (const FieldDecl *G : RD->fields())
    Last = G;
  return Last == F;
}

bool hasNoDerivedClasses(const CXXRecordDecl *RD, ASTContext &Ctx) {
  if (!RD || !RD->hasDefinition())
    return false;
  if (RD->hasAttr<FinalAttr>())
    return true;
  using namespace clang::ast_matchers;
  const CXXRecordDecl *Canon = RD->getCanonicalDecl();
  auto Derived = match(
      cxxRecordDecl(isDefinition(), isDerivedFrom(cxxRecordDecl(equalsNode(Canon))))
          .bind("d"),
      Ctx);
  if (!Derived.empty())
    return false;
  // A polymorphic class may be derived from in another file.
  return !RD->isPolymorphic();
}

} // namespace tether
