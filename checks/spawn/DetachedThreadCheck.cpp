//===--- DetachedThreadCheck.cpp - spawn-detached-thread ------------------===//

#include "DetachedThreadCheck.h"

#include "analysis/ExprUtils.h"
#include "analysis/FixSafety.h"
#include "analysis/StmtParents.h"

#include "clang/AST/ASTContext.h"
#include "clang/AST/ExprCXX.h"
#include "clang/Lex/Lexer.h"

using namespace clang;
using namespace clang::ast_matchers;

namespace tether {

static constexpr llvm::StringLiteral Cure =
    "start the work as a task of a tether::task_supervisor "
    "(tether::root_task_supervisor().start(f)), which joins it at shutdown "
    "and reports its failure";

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
  if (!ThreadTypes.empty()) {
    auto ThreadMethod =
        cxxMethodDecl(ofClass(cxxRecordDecl(hasAnyName(Names(ThreadTypes)))));
    Finder->addMatcher(cxxMemberCallExpr(callee(ThreadMethod)).bind("member"),
                       this);
    // std::mem_fn(&std::thread::detach), std::bind(&std::thread::detach, _1):
    // the detach is applied to whatever the callable is given.
    Finder->addMatcher(
        unaryOperator(hasOperatorName("&"),
                      hasUnaryOperand(declRefExpr(to(ThreadMethod))))
            .bind("memptr"),
        this);
  }
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

/// True if `Init` constructs a thread object that owns no thread: default
/// construction, `{}`.
static bool constructsEmpty(const Expr *Init) {
  Init = ignoreWrappers(Init);
  if (const auto *CE = dyn_cast<CXXConstructExpr>(Init))
    return CE->getNumArgs() == 0 || isa<CXXDefaultArgExpr>(CE->getArg(0));
  if (const auto *IL = dyn_cast<InitListExpr>(Init))
    return IL->getNumInits() == 0;
  return false;
}

/// Where the thread object that `Obj` refers to was started, if visible in
/// its function: the initializer of the local it names (through pointers,
/// references and range-for variables, see resolveAlias), followed through
/// `std::move` from another local, or the single assignment that starts a
/// default-constructed one. Null for members, parameters and anything
/// ambiguous: a note is better missing than wrong.
static const Expr *startOf(const Expr *Obj, ASTContext &Ctx) {
  const ValueDecl *D = rootDecl(Obj);
  for (int Depth = 0; D && Depth < 4; ++Depth) {
    D = resolveAlias(D, Ctx);
    const auto *VD = dyn_cast<VarDecl>(D);
    if (!VD || !VD->hasLocalStorage() || isa<ParmVarDecl>(VD) ||
        VD->getType()->isReferenceType() || VD->getType()->isPointerType() ||
        !VD->getInit())
      return nullptr;
    const Expr *Init = ignoreWrappers(VD->getInit());
    if (constructsEmpty(Init)) {
      // std::thread t; ... t = std::thread(f);
      const auto *FD =
          dyn_cast_or_null<FunctionDecl>(VD->getParentFunctionOrMethod());
      if (!FD || !FD->getBody())
        return nullptr;
      const Expr *Assign = nullptr;
      for (const Expr *Ref : referencesTo(VD, FD->getBody(), Ctx))
        if (classifyUse(Ref, Ctx) == UseKind::Assigned) {
          if (Assign)
            return nullptr; // started more than once: which one?
          Assign = Ref;
        }
      return Assign;
    }
    // std::thread u(std::move(t)): started where t was.
    if (const auto *CE = dyn_cast<CXXConstructExpr>(Init))
      if (CE->getConstructor()->isMoveConstructor() && CE->getNumArgs() >= 1)
        if (const Expr *M = movedArgument(ignoreWrappers(CE->getArg(0)))) {
          D = rootDecl(M);
          continue;
        }
    return VD->getInit();
  }
  return nullptr;
}

/// The rewrite onto the runtime (docs/checks/spawn-detached-thread.md#fix):
/// `std::thread(f).detach()`, and `std::thread t(f); t.detach();` with the
/// declaration right before the detach and `t` used nowhere else, become
/// `(void)S.start(f)`, where S is the enclosing class's task_supervisor
/// member or tether::root_task_supervisor(). Only when the move keeps the
/// program: the work ends on its own (or takes a std::stop_token), since the
/// supervisor joins it at shutdown; it captures nothing by reference; and it
/// captures `this` only when the supervisor member is declared last, so it is
/// destroyed, and joins the task, before the members the task uses.
static void addTaskFix(DiagBuilder &D, const CXXMemberCallExpr *MC,
                       const ThreadTypeRule &Rule, ASTContext &Ctx) {
  if (Rule.Type != "std::thread" && Rule.Type != "std::jthread")
    return;
  const Expr *Obj = ignoreWrappers(MC->getImplicitObjectArgument());
  const CXXConstructExpr *Ctor = dyn_cast<CXXConstructExpr>(Obj);
  const DeclStmt *Decl = nullptr;
  if (!Ctor) {
    const auto *DRE = dyn_cast<DeclRefExpr>(Obj);
    const auto *VD = DRE ? dyn_cast<VarDecl>(DRE->getDecl()) : nullptr;
    if (!VD || !VD->hasLocalStorage() || isa<ParmVarDecl>(VD) ||
        VD->getType()->isReferenceType() || !VD->getInit())
      return;
    Ctor = dyn_cast<CXXConstructExpr>(ignoreWrappers(VD->getInit()));
    const FunctionDecl *FD = enclosingFunction(MC, Ctx);
    if (!Ctor || !FD || !FD->getBody() ||
        referencesTo(VD, FD->getBody(), Ctx).size() != 1)
      return;
    // `t.detach();` right after `std::thread t(f);` in the same block.
    const Stmt *Use = MC;
    const Stmt *Up = enclosingStmt(Use, Ctx);
    while (Up && isa<ExprWithCleanups, ParenExpr, ImplicitCastExpr>(Up)) {
      Use = Up;
      Up = enclosingStmt(Use, Ctx);
    }
    const auto *Block = dyn_cast_or_null<CompoundStmt>(Up);
    if (!Block)
      return;
    const Stmt *Prev = nullptr;
    for (const Stmt *S : Block->body()) {
      if (S == Use)
        break;
      Prev = S;
    }
    Decl = dyn_cast_or_null<DeclStmt>(Prev);
    if (!Decl || !Decl->isSingleDecl() || Decl->getSingleDecl() != VD)
      return;
  }
  if (Ctor->getNumArgs() != 1 || isa<CXXDefaultArgExpr>(Ctor->getArg(0)) ||
      Ctor->getConstructor()->isCopyOrMoveConstructor())
    return;
  const Expr *Callable = Ctor->getArg(0)->IgnoreImplicit();
  const FunctionDecl *Body = callableBody(Callable);
  if (!Body || (!takesStopToken(Body) && !endsOnItsOwn(Body)))
    return;
  CaptureSummary Cap = captures(Callable);
  if (Cap.ByReference)
    return;
  std::string Supervisor = "tether::root_task_supervisor()";
  const auto *Method =
      dyn_cast_or_null<CXXMethodDecl>(enclosingFunction(MC, Ctx));
  if (Method && !Method->isStatic() && !Method->getParent()->isLambda())
    if (const FieldDecl *F = taskSupervisorMember(Method->getParent())) {
      if (Cap.This && !declaredLast(F))
        return;
      Supervisor = F->getNameAsString();
      Cap.This = false;
    }
  if (Cap.This)
    return;
  std::optional<std::string> Text = sourceText(Callable, Ctx);
  if (!Text)
    return;
  D.replace(CharSourceRange::getTokenRange(MC->getSourceRange()),
            "(void)" + Supervisor + ".start(" + *Text + ")");
  if (Decl) {
    // Remove the declaration with the rest of its line.
    const SourceManager &SM = Ctx.getSourceManager();
    SourceLocation Begin = Decl->getBeginLoc();
    SourceLocation End = Lexer::getLocForEndOfToken(Decl->getEndLoc(), 0, SM,
                                                    Ctx.getLangOpts());
    if (Begin.isMacroID() || End.isInvalid()) {
      D.dropFixes();
      return;
    }
    StringRef Rest = SM.getCharacterData(End);
    size_t Blank = Rest.find_first_not_of(" \t");
    if (Blank != StringRef::npos && Rest[Blank] == '\n') {
      End = End.getLocWithOffset(Blank + 1);
      // And the indentation before it.
      unsigned Col = SM.getSpellingColumnNumber(Begin);
      StringRef Line(SM.getCharacterData(Begin) - (Col - 1), Col - 1);
      if (Line.find_first_not_of(" \t") == StringRef::npos)
        Begin = Begin.getLocWithOffset(-static_cast<int>(Col - 1));
    }
    D.replace(CharSourceRange::getCharRange(Begin, End), "");
  }
  D.include("tether/task_supervisor.hpp");
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
    if (!firstAt(Loc))
      return; // the same call in another template instantiation
    auto D = diag(Loc, "'" + Name + "' leaves this " + Rule->Type +
                           " unowned: nothing joins it or sees it fail");
    D.cure(Cure);
    addTaskFix(D, MC, *Rule, Ctx);
    if (const Expr *Start = startOf(MC->getImplicitObjectArgument(), Ctx))
      D.note(Start->getBeginLoc(), "the thread is started here");
    return;
  }
  if (const auto *UO = R.Nodes.getNodeAs<UnaryOperator>("memptr")) {
    const auto *MD = dyn_cast<CXXMethodDecl>(
        cast<DeclRefExpr>(UO->getSubExpr()->IgnoreParens())->getDecl());
    const ThreadTypeRule *Rule =
        MD ? rules().threadType(qualifiedName(MD->getParent())) : nullptr;
    if (!Rule || std::find(Rule->Detach.begin(), Rule->Detach.end(),
                           MD->getNameAsString()) == Rule->Detach.end() ||
        !firstAt(UO->getBeginLoc()))
      return;
    diag(UO->getBeginLoc(),
         "'" + MD->getNameAsString() + "' taken as a member pointer leaves "
         "every " + Rule->Type + " it is applied to unowned")
        .cure(Cure);
    return;
  }
  if (const auto *C = R.Nodes.getNodeAs<CallExpr>("detachfn")) {
    const FunctionDecl *FD = C->getDirectCallee();
    if (!firstAt(C->getBeginLoc()))
      return;
    diag(C->getBeginLoc(), "'" + FD->getNameAsString() +
                               "' leaves the thread unowned: nothing joins "
                               "it or sees it fail")
        .cure(Cure);
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

bool DetachedThreadCheck::firstAt(SourceLocation Loc) {
  return Reported.insert(Loc.getRawEncoding()).second;
}

void DetachedThreadCheck::onEndOfTranslationUnit() {
  for (const auto &[Call, Attr] : Creations) {
    auto It = DetachedAttrs.find(Attr);
    if (It == DetachedAttrs.end() || !firstAt(Call->getBeginLoc()))
      continue;
    diag(Call->getBeginLoc(),
         "this thread is created detached: nothing joins it or sees it fail")
        .cure(Cure)
        .note(It->second->getBeginLoc(),
              "the attribute '" + Attr->getNameAsString() +
                  "' is set to detached here");
  }
  DetachedAttrs.clear();
  Creations.clear();
  Reported.clear();
}

} // namespace tether
