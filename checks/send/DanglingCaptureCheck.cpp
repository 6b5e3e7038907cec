//===--- DanglingCaptureCheck.cpp - send-dangling-capture -----------------===//
//
// FIXME: switch site finding to findSpawnSites() (analysis/SpawnSites.h)
// once SpawnSites.cpp has landed; the minimal resolution below covers thread
// objects whose thread is detached and executor methods.
//
//===----------------------------------------------------------------------===//

#include "DanglingCaptureCheck.h"

#include "analysis/ExprUtils.h"

#include "clang/AST/ASTContext.h"
#include "clang/AST/ExprCXX.h"
#include "clang/AST/ParentMapContext.h"

#include <cctype>

using namespace clang;
using namespace clang::ast_matchers;

namespace tether {

namespace {

std::string lowerNoUnderscore(StringRef S) {
  std::string Out;
  for (char C : S)
    if (C != '_')
      Out += static_cast<char>(std::tolower(static_cast<unsigned char>(C)));
  return Out;
}

// The executor name heuristic of analysis/SpawnSites.h (looksLikeExecutor),
// with an optional try prefix. FIXME: call looksLikeExecutor once landed.
bool looksLikeExecutorMethod(StringRef ClassName, StringRef MethodName) {
  std::string C = lowerNoUnderscore(ClassName);
  std::string M = lowerNoUnderscore(MethodName);
  bool ClassOk = false;
  for (const char *K :
       {"pool", "executor", "queue", "scheduler", "worker", "strand"})
    ClassOk |= C.find(K) != std::string::npos;
  if (!ClassOk)
    return false;
  if (StringRef(M).starts_with("try"))
    M = M.substr(3);
  for (const char *K : {"post", "submit", "enqueue", "execute", "dispatch",
                        "schedule", "addtask"})
    if (M == K)
      return true;
  return false;
}

/// A local whose lifetime ends with its scope: not static, not a reference
/// (a reference's referent may live anywhere).
bool isScopedLocal(const ValueDecl *D) {
  const auto *V = dyn_cast_or_null<VarDecl>(D);
  return V && V->hasLocalStorage() && !V->getType()->isReferenceType();
}

/// The local `E` points to: `&x`, an array `x` decaying to a pointer.
const VarDecl *pointeeLocal(const Expr *E) {
  if (!E)
    return nullptr;
  E = ignoreWrappers(E);
  if (const auto *UO = dyn_cast<UnaryOperator>(E))
    if (UO->getOpcode() == UO_AddrOf) {
      const Expr *Sub = UO->getSubExpr()->IgnoreParenImpCasts();
      if (const auto *DRE = dyn_cast<DeclRefExpr>(Sub))
        if (isScopedLocal(DRE->getDecl()))
          return cast<VarDecl>(DRE->getDecl());
    }
  if (const auto *ICE = dyn_cast<ImplicitCastExpr>(E->IgnoreParens()))
    if (ICE->getCastKind() == CK_ArrayToPointerDecay)
      if (const auto *DRE =
              dyn_cast<DeclRefExpr>(ICE->getSubExpr()->IgnoreParens()))
        if (isScopedLocal(DRE->getDecl()))
          return cast<VarDecl>(DRE->getDecl());
  return nullptr;
}

/// std::ref(x) / std::cref(x) / boost::ref(x) of a scoped local.
const VarDecl *refOfLocal(const Expr *E) {
  const auto *C = dyn_cast_or_null<CallExpr>(ignoreWrappers(E));
  if (!C || C->getNumArgs() != 1 || !C->getDirectCallee())
    return nullptr;
  std::string N = qualifiedName(C->getDirectCallee());
  if (N != "std::ref" && N != "std::cref" && N != "boost::ref" &&
      N != "boost::cref")
    return nullptr;
  if (const auto *DRE =
          dyn_cast<DeclRefExpr>(C->getArg(0)->IgnoreParenImpCasts()))
    if (isScopedLocal(DRE->getDecl()))
      return cast<VarDecl>(DRE->getDecl());
  return nullptr;
}

bool callsKeepAlive(const Stmt *S) {
  if (!S)
    return false;
  if (const auto *MC = dyn_cast<CXXMemberCallExpr>(S)) {
    std::string N = calleeName(MC);
    if (N == "shared_from_this" || N == "weak_from_this")
      return true;
  }
  for (const Stmt *C : S->children())
    if (callsKeepAlive(C))
      return true;
  return false;
}

struct Danger {
  SourceLocation Loc;
  std::string Note;
};

/// The dangerous captures of a closure type.
llvm::SmallVector<Danger, 2> closureDangers(const CXXRecordDecl *Closure) {
  llvm::SmallVector<Danger, 2> Out;
  if (!Closure || !Closure->isLambda())
    return Out;
  bool KeptAlive = false;
  for (const LambdaCapture &C : Closure->captures()) {
    if (!C.capturesVariable())
      continue;
    const auto *V = dyn_cast<VarDecl>(C.getCapturedVar());
    if (!V)
      continue;
    if (V->isInitCapture() && callsKeepAlive(V->getInit()))
      KeptAlive = true;
    if (!V->isInitCapture() && V->getInit() && callsKeepAlive(V->getInit()))
      KeptAlive = true; // auto self = shared_from_this(); [this, self]
  }
  for (const LambdaCapture &C : Closure->captures()) {
    if (C.capturesThis()) {
      if (C.getCaptureKind() == LCK_This && !KeptAlive)
        Out.push_back({C.getLocation(), "'this' is captured here"});
      continue;
    }
    if (!C.capturesVariable())
      continue;
    const auto *V = dyn_cast<VarDecl>(C.getCapturedVar());
    if (!V)
      continue;
    std::string Name = "'" + V->getNameAsString() + "'";
    if (V->isInitCapture()) {
      const Expr *Init = V->getInit();
      if (V->getType()->isReferenceType()) {
        if (const auto *DRE =
                dyn_cast_or_null<DeclRefExpr>(ignoreWrappers(Init)))
          if (isScopedLocal(DRE->getDecl()))
            Out.push_back({C.getLocation(),
                           Name + " refers to the local '" +
                               DRE->getDecl()->getNameAsString() +
                               "', which can be destroyed first"});
      } else if (const VarDecl *L = pointeeLocal(Init)) {
        Out.push_back({C.getLocation(), Name + " points to the local '" +
                                            L->getNameAsString() +
                                            "', which can be destroyed first"});
      }
      continue;
    }
    if (C.getCaptureKind() == LCK_ByRef) {
      if (isScopedLocal(V))
        Out.push_back({C.getLocation(),
                       Name + " is captured by reference here; it is "
                              "destroyed when its scope ends"});
      continue;
    }
    if (C.getCaptureKind() == LCK_ByCopy && V->getType()->isPointerType() &&
        V->hasLocalStorage())
      if (const VarDecl *L = pointeeLocal(V->getInit()))
        Out.push_back({C.getLocation(), Name + " is captured here and points "
                                               "to the local '" +
                                               L->getNameAsString() +
                                               "', which can be destroyed "
                                               "first"});
  }
  return Out;
}

/// The closure type of a callable expression: a lambda in place, a variable
/// holding one, a template parameter instantiated with one.
const CXXRecordDecl *closureOf(const Expr *Callable) {
  if (!Callable)
    return nullptr;
  const Expr *E = ignoreWrappers(Callable);
  if (const Expr *M = movedArgument(E))
    E = ignoreWrappers(M);
  // A parameter of type std::function (or any wrapper) converted from the
  // lambda in place: the lambda is the converting constructor's argument.
  if (const auto *CE = dyn_cast<CXXConstructExpr>(E))
    if (CE->getNumArgs() >= 1 && !CE->getConstructor()->isCopyOrMoveConstructor())
      E = ignoreWrappers(CE->getArg(0));
  const CXXRecordDecl *RD = recordOf(E->getType());
  return RD && RD->isLambda() ? RD : nullptr;
}

bool isThisExpr(const Expr *E) {
  return E && isa<CXXThisExpr>(ignoreWrappers(E));
}

/// `&C::f` naming a non-static member function.
bool isMemberFunctionPointer(const Expr *E) {
  const auto *UO = dyn_cast_or_null<UnaryOperator>(ignoreWrappers(E));
  if (!UO || UO->getOpcode() != UO_AddrOf)
    return false;
  const auto *DRE = dyn_cast<DeclRefExpr>(UO->getSubExpr()->IgnoreParens());
  const auto *MD = DRE ? dyn_cast<CXXMethodDecl>(DRE->getDecl()) : nullptr;
  return MD && !MD->isStatic();
}

/// Dangers of arguments passed along with the entry: `this` as the object
/// of a member function entry, std::ref(local), &local.
void argumentDangers(const Expr *Entry, llvm::ArrayRef<const Expr *> Args,
                     llvm::SmallVector<Danger, 2> &Out) {
  bool MemberEntry = isMemberFunctionPointer(Entry);
  for (size_t I = 0; I < Args.size(); ++I) {
    const Expr *A = Args[I];
    if (I == 0 && MemberEntry && isThisExpr(A))
      Out.push_back({A->getBeginLoc(),
                     "'this' is the object of the member function entry"});
    else if (const VarDecl *L = refOfLocal(A))
      Out.push_back({A->getBeginLoc(), "a reference to the local '" +
                                           L->getNameAsString() +
                                           "' is passed here"});
    else if (const VarDecl *L = pointeeLocal(A))
      Out.push_back({A->getBeginLoc(), "a pointer to the local '" +
                                           L->getNameAsString() +
                                           "' is passed here"});
  }
}

/// std::bind(&C::f, this, ...) / boost::bind: its entry and arguments.
const CallExpr *bindCall(const Expr *E) {
  const auto *C = dyn_cast_or_null<CallExpr>(ignoreWrappers(E));
  if (!C || !C->getDirectCallee() || C->getNumArgs() == 0)
    return nullptr;
  std::string N = qualifiedName(C->getDirectCallee());
  return N == "std::bind" || N == "boost::bind" ? C : nullptr;
}

/// Is the thread started by the thread-object expression `CE` detached: the
/// temporary's detach, or the detach of the local it initializes?
bool isDetached(const Expr *CE, const ThreadTypeRule &Rule, ASTContext &Ctx) {
  const Expr *Cur = CE;
  for (int Depth = 0; Depth < 8; ++Depth) {
    auto Parents = Ctx.getParents(*Cur);
    if (Parents.empty())
      return false;
    if (const auto *V = Parents[0].get<VarDecl>()) {
      if (!V->hasLocalStorage() || V->getType()->isReferenceType())
        return false;
      const auto *FD =
          dyn_cast_or_null<FunctionDecl>(V->getParentFunctionOrMethod());
      for (const Expr *Ref : referencesTo(V, FD ? FD->getBody() : nullptr,
                                          Ctx)) {
        const CXXMemberCallExpr *MC = nullptr;
        if (classifyUse(Ref, Ctx, &MC) == UseKind::MethodCall && MC &&
            llvm::is_contained(Rule.Detach, calleeName(MC)))
          return true;
      }
      return false;
    }
    const auto *P = Parents[0].get<Expr>();
    if (!P)
      return false;
    if (const auto *ME = dyn_cast<MemberExpr>(P)) {
      auto PP = Ctx.getParents(*ME);
      if (!PP.empty())
        if (const auto *MC = PP[0].get<CXXMemberCallExpr>())
          return llvm::is_contained(Rule.Detach, calleeName(MC));
      return false;
    }
    if (isa<ImplicitCastExpr, ParenExpr, MaterializeTemporaryExpr,
            CXXBindTemporaryExpr, ExprWithCleanups, CXXFunctionalCastExpr>(P) ||
        (isa<CXXConstructExpr>(P) &&
         cast<CXXConstructExpr>(P)->getConstructor()->isMoveConstructor())) {
      Cur = P;
      continue;
    }
    return false;
  }
  return false;
}

} // namespace

void DanglingCaptureCheck::registerMatchers(MatchFinder *Finder) {
  std::vector<std::string> Threads;
  for (const auto &R : rules().ThreadTypes)
    Threads.push_back(R.Type);
  if (!Threads.empty())
    Finder->addMatcher(
        cxxConstructExpr(hasType(hasUnqualifiedDesugaredType(recordType(
                             hasDeclaration(cxxRecordDecl(hasAnyName(
                                 std::vector<StringRef>(Threads.begin(),
                                                        Threads.end()))))))),
                         argumentCountAtLeast(1))
            .bind("thread"),
        this);
  Finder->addMatcher(cxxMemberCallExpr(argumentCountAtLeast(1)).bind("call"),
                     this);
}

void DanglingCaptureCheck::check(const MatchFinder::MatchResult &R) {
  ASTContext &Ctx = *R.Context;
  if (const auto *CE = R.Nodes.getNodeAs<CXXConstructExpr>("thread")) {
    const ThreadTypeRule *Rule = threadRule(CE->getType(), rules());
    if (!Rule || CE->getConstructor()->isCopyOrMoveConstructor() ||
        static_cast<unsigned>(Rule->EntryArg) >= CE->getNumArgs())
      return;
    if (!isDetached(CE, *Rule, Ctx))
      return;
    llvm::SmallVector<const Expr *, 4> Extra;
    for (unsigned I = Rule->EntryArg + 1; I < CE->getNumArgs(); ++I)
      Extra.push_back(CE->getArg(I));
    analyze(CE, CE->getArg(Rule->EntryArg), Extra,
            "a detached " + qualifiedName(recordOf(CE->getType())), Ctx);
    return;
  }
  const auto *MC = R.Nodes.getNodeAs<CXXMemberCallExpr>("call");
  if (!MC || !MC->getMethodDecl())
    return;
  const CXXMethodDecl *MD = MC->getMethodDecl();
  std::string Method = MD->getNameAsString();
  const Expr *Obj = MC->getImplicitObjectArgument();
  llvm::SmallVector<const CXXRecordDecl *, 2> Classes = {MD->getParent()};
  if (Obj) {
    QualType OT = Obj->IgnoreParenImpCasts()->getType();
    if (OT->isPointerType())
      OT = OT->getPointeeType();
    if (const CXXRecordDecl *RD = recordOf(OT))
      if (RD != MD->getParent())
        Classes.push_back(RD);
  }
  int EntryArg = -1; // -1: every argument that is a closure
  bool Matched = false;
  for (const CXXRecordDecl *RD : Classes) {
    std::string Q = qualifiedName(RD);
    for (const ExecutorRule &E : rules().Executors)
      if (qualifiedNameMatches(E.Class, Q) &&
          llvm::is_contained(E.Methods, Method)) {
        Matched = true;
        EntryArg = E.EntryArg;
      }
    if (!Matched && rules().ExecutorNameHeuristics &&
        looksLikeExecutorMethod(RD->getName(), Method))
      Matched = true;
    if (Matched)
      break;
  }
  if (!Matched)
    return;
  // An executor that is a local, or a by-value member of this object, ends
  // (and joins or drops its work) before the locals it could outlive... a
  // conservative exemption: its lifetime is bounded by ours.
  if (Obj && !Obj->getType()->isPointerType()) {
    const ValueDecl *D = rootDecl(Obj);
    if (isScopedLocal(D))
      return;
    if (const auto *FD = dyn_cast_or_null<FieldDecl>(D))
      if (!FD->getType()->isReferenceType() &&
          !FD->getType()->isPointerType())
        return;
  }
  std::string Sink = qualifiedName(MD);
  if (EntryArg >= 0) {
    if (static_cast<unsigned>(EntryArg) < MC->getNumArgs())
      analyze(MC, MC->getArg(EntryArg), {}, Sink, Ctx);
    return;
  }
  for (const Expr *A : MC->arguments())
    if (closureOf(A) || bindCall(A)) {
      analyze(MC, A, {}, Sink, Ctx);
      return;
    }
}

void DanglingCaptureCheck::analyze(const Expr *Site, const Expr *Callable,
                                   llvm::ArrayRef<const Expr *> ExtraArgs,
                                   const std::string &Sink, ASTContext &Ctx) {
  (void)Ctx;
  llvm::SmallVector<Danger, 2> Dangers = closureDangers(closureOf(Callable));
  if (const CallExpr *B = bindCall(Callable)) {
    llvm::SmallVector<const Expr *, 4> BArgs;
    for (unsigned I = 1; I < B->getNumArgs(); ++I)
      BArgs.push_back(B->getArg(I));
    argumentDangers(B->getArg(0), BArgs, Dangers);
  }
  argumentDangers(Callable, ExtraArgs, Dangers);
  if (Dangers.empty())
    return;
  SourceLocation Loc = Site->getBeginLoc();
  if (const auto *MC = dyn_cast<CXXMemberCallExpr>(Site))
    Loc = MC->getExprLoc();
  if (!Reported.insert(Loc).second)
    return;
  auto D = diag(Loc, "work handed to " + Sink +
                         " can run after its receiver is gone: it uses "
                         "'this' or a local by reference or pointer, which "
                         "nothing keeps alive; capture shared_from_this() or "
                         "copies of the values, or send a message to a "
                         "tether server (cast/call) that owns the state");
  for (const Danger &Dg : Dangers)
    D.note(Dg.Loc, Dg.Note);
}

} // namespace tether
