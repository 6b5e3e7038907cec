//===--- UnjoinedMemberCheck.cpp - supervision-unjoined-member ------------===//

#include "UnjoinedMemberCheck.h"

#include "analysis/CfgDataflow.h"
#include "analysis/ExprUtils.h"
#include "analysis/FixSafety.h"
#include "analysis/StmtParents.h"

#include "clang/AST/ASTContext.h"
#include "clang/AST/DeclCXX.h"
#include "clang/AST/ExprCXX.h"
#include "clang/AST/ParentMapContext.h"
#include "clang/AST/StmtCXX.h"
#include "clang/Analysis/CFG.h"
#include "llvm/ADT/DenseSet.h"

#include <optional>

using namespace clang;
using namespace clang::ast_matchers;

namespace tether {

namespace {

/// The thread rule of a member's type, or of its container's elements
/// (`IsContainer` tells which); null for types that join on destruction.
const ThreadTypeRule *memberRule(const FieldDecl *F, const RuleSet &Rules,
                                 bool &IsContainer) {
  IsContainer = false;
  if (const ThreadTypeRule *R = threadRule(F->getType(), Rules))
    return R->OnDestroy == OnDestroyJoinable::Join ? nullptr : R;
  QualType Elem = containerElement(F->getType(), Rules);
  if (Elem.isNull())
    return nullptr;
  const ThreadTypeRule *R = threadRule(Elem, Rules);
  if (!R || R->OnDestroy == OnDestroyJoinable::Join)
    return nullptr;
  IsContainer = true;
  return R;
}

/// A member initializer or assignment source that starts a thread: a
/// construction with arguments, or anything that is not a default
/// construction (a call returning a thread, a moved-in thread).
bool startsThread(const Expr *Init) {
  if (!Init)
    return false;
  Init = ignoreWrappers(Init);
  if (const auto *CE = dyn_cast<CXXConstructExpr>(Init)) {
    for (const Expr *A : CE->arguments())
      if (!isa<CXXDefaultArgExpr>(A))
        return true;
    return false;
  }
  if (const auto *IL = dyn_cast<InitListExpr>(Init))
    return IL->getNumInits() > 0;
  return !isa<CXXScalarValueInitExpr, ImplicitValueInitExpr>(Init);
}

/// The constructors of `RD` as defined (with their member initializers,
/// also when defined outside the class body), constructor templates'
/// patterns included.
llvm::SmallVector<const CXXConstructorDecl *, 4>
constructorDefinitions(const CXXRecordDecl *RD) {
  llvm::SmallVector<const CXXConstructorDecl *, 4> Out;
  auto Add = [&](const CXXConstructorDecl *C) {
    const FunctionDecl *Def = nullptr;
    if (C && C->hasBody(Def))
      if (const auto *D = dyn_cast<CXXConstructorDecl>(Def);
          D && !llvm::is_contained(Out, D))
        Out.push_back(D);
  };
  for (const CXXConstructorDecl *C : RD->ctors())
    Add(C);
  for (const Decl *D : RD->decls())
    if (const auto *FT = dyn_cast<FunctionTemplateDecl>(D))
      Add(dyn_cast<CXXConstructorDecl>(FT->getTemplatedDecl()));
  return Out;
}

/// Member functions of `RD` (with a body in this TU) that call a method of
/// `Fns` on this object.
llvm::SmallVector<const FunctionDecl *, 4>
callersOnThis(const CXXRecordDecl *RD,
              const llvm::DenseSet<const FunctionDecl *> &Fns) {
  llvm::SmallVector<const FunctionDecl *, 4> Out;
  struct Finder {
    const llvm::DenseSet<const FunctionDecl *> &Fns;
    bool found(const Stmt *S) const {
      if (!S)
        return false;
      if (const auto *MC = dyn_cast<CXXMemberCallExpr>(S)) {
        const Expr *Obj = MC->getImplicitObjectArgument();
        const CXXMethodDecl *MD = MC->getMethodDecl();
        if (Obj && isa<CXXThisExpr>(Obj->IgnoreParenImpCasts()) && MD &&
            Fns.count(MD->getCanonicalDecl()))
          return true;
      }
      for (const Stmt *C : S->children())
        if (found(C))
          return true;
      return false;
    }
  } F{Fns};
  for (const Decl *D : RD->decls()) {
    const auto *M = dyn_cast<CXXMethodDecl>(D);
    if (const auto *FT = dyn_cast<FunctionTemplateDecl>(D))
      M = dyn_cast<CXXMethodDecl>(FT->getTemplatedDecl());
    const FunctionDecl *Def = nullptr;
    if (!M || !M->hasBody(Def) || Fns.count(M->getCanonicalDecl()))
      continue;
    if (F.found(Def->getBody()))
      Out.push_back(Def);
  }
  return Out;
}

/// Every user-provided member function of `RD` has a body in this TU: its
/// destructor and stop path are all visible.
bool fullyDefined(const CXXRecordDecl *RD) {
  for (const CXXMethodDecl *M : RD->methods()) {
    if (M->isImplicit() || M->isDeleted() || M->isDefaulted() ||
        M->isPureVirtual())
      continue;
    if (!M->hasBody() && !M->getTemplateInstantiationPattern() &&
        !M->getDescribedFunctionTemplate())
      return false;
  }
  return true;
}


// The states of the thread member on one path through a function.
enum : uint8_t {
  MayRun = 1,  // not joined yet: still joinable if it was started
  Stopped = 2, // joined, detached, handed on, or known not joinable
};
using FieldStates = llvm::SmallDenseMap<const FieldDecl *, uint8_t, 1>;

/// Where a function skips the join of a member.
struct Gap {
  SourceLocation Loc;
  std::string What;
};

/// Follows thread member `F` through `FD`, which joins it somewhere: is it
/// joined (or detached, or handed on, or tested not joinable) on every path
/// to the function's exit? Returns where a path skips it, or nothing.
/// `Joiners` are the functions that join `F`: a call of one of them on the
/// same object counts as the join.
class MemberJoinPaths {
public:
  MemberJoinPaths(const FunctionDecl *FD, const FieldDecl *F,
                  const RuleSet &Rules, ASTContext &Ctx,
                  const llvm::DenseSet<const FunctionDecl *> &Joiners)
      : FD(FD), F(F), Rules(Rules), Ctx(Ctx), Joiners(Joiners) {}

  std::optional<Gap> run() {
    std::unique_ptr<CFG> G = buildTrackingCFG(FD, Ctx);
    if (!G)
      return std::nullopt; // cannot tell: assume it joins
    const CFGBlock *Entry = &G->getEntry();
    runForwardDataflow<FieldStates>(
        *G,
        [this](const CFGElement &E, FieldStates &S) {
          if (stops(E))
            S[F] = Stopped;
        },
        [&](const CFGBlock *From, const CFGBlock *To, FieldStates &S) {
          if (From == Entry)
            S[F] = MayRun;
          // Exceptions are not modeled: a handler is not a path that skips
          // the join (try { t_.join(); } catch (...) {}).
          if (isa_and_nonnull<CXXCatchStmt>(To->getLabel()))
            S[F] = Stopped;
          bool Negated = false;
          const Expr *H = joinableTest(From->getTerminatorCondition(), Negated);
          if (H && From->succ_size() == 2 && rootDecl(H) == F) {
            const CFGBlock *FalseSucc = *(From->succ_begin() + (Negated ? 0 : 1));
            const CFGBlock *TrueSucc = *(From->succ_begin() + (Negated ? 1 : 0));
            if (To == FalseSucc && To != TrueSucc)
              S[F] = Stopped;
          }
          EdgeState[{From, To}] = S.lookup(F);
        });
    return findGap(*G);
  }

private:
  const FunctionDecl *FD;
  const FieldDecl *F;
  const RuleSet &Rules;
  ASTContext &Ctx;
  const llvm::DenseSet<const FunctionDecl *> &Joiners;
  llvm::DenseMap<std::pair<const CFGBlock *, const CFGBlock *>, uint8_t>
      EdgeState;

  bool rootedInField(const Expr *E) const {
    return E && rootDecl(E) == F;
  }

  /// Does this element end the member's thread on its path?
  bool stops(const CFGElement &E) const {
    auto CS = E.getAs<CFGStmt>();
    if (!CS)
      return false;
    const auto *C = dyn_cast<CallExpr>(CS->getStmt());
    if (!C)
      return false;
    if (const auto *MC = dyn_cast<CXXMemberCallExpr>(C)) {
      if (joinedOrDetachedHandle(MC, Rules, Ctx) == F)
        return true;
      if (rootedInField(MC->getImplicitObjectArgument()) &&
          calleeName(MC) == "swap")
        return true;
      // stop() from the destructor: another function of the class that
      // joins the member, called on this object.
      const Expr *Obj = MC->getImplicitObjectArgument();
      if (Obj && isa<CXXThisExpr>(Obj->IgnoreParenImpCasts()))
        if (const CXXMethodDecl *MD = MC->getMethodDecl())
          if (Joiners.count(MD->getCanonicalDecl()))
            return true;
    }
    // Handed to other code: std::move(t_), stop_thread(t_).
    for (const Expr *A : C->arguments())
      if (rootedInField(ignoreWrappers(A)) ||
          rootedInField(movedArgument(ignoreWrappers(A))))
        return true;
    return false;
  }

  bool blockStops(const CFGBlock *B) const {
    for (const CFGElement &E : *B)
      if (stops(E))
        return true;
    return false;
  }

  uint8_t edge(const CFGBlock *From, const CFGBlock *To) const {
    auto It = EdgeState.find({From, To});
    return It == EdgeState.end() ? 0 : It->second;
  }

  std::optional<Gap> findGap(const CFG &G) {
    const CFGBlock *Exit = &G.getExit();
    llvm::SmallVector<const CFGBlock *, 4> BadPreds;
    for (auto It = Exit->pred_begin(); It != Exit->pred_end(); ++It)
      if (const CFGBlock *P = It->getReachableBlock())
        if (edge(P, Exit) & MayRun)
          BadPreds.push_back(P);
    if (BadPreds.empty())
      return std::nullopt;
    std::string N = F->getNameAsString();
    // An early return: a return that is not the last statement.
    const Stmt *Last = nullptr;
    if (const auto *Body = dyn_cast_or_null<CompoundStmt>(FD->getBody()))
      if (!Body->body_empty())
        Last = Body->body_back();
    for (const CFGBlock *P : BadPreds)
      for (const CFGElement &E : *P)
        if (auto CS = E.getAs<CFGStmt>())
          if (const auto *R = dyn_cast<ReturnStmt>(CS->getStmt()))
            if (R != Last)
              return Gap{R->getBeginLoc(),
                         "returning here skips the join of '" + N + "'"};
    // A branch one side of which joins and the other reaches the exit
    // without joining.
    llvm::DenseSet<const CFGBlock *> Skips{Exit};
    for (bool Changed = true; Changed;) {
      Changed = false;
      for (const CFGBlock *B : G) {
        if (!B || Skips.count(B) || blockStops(B))
          continue;
        for (auto It = B->succ_begin(); It != B->succ_end(); ++It) {
          const CFGBlock *S = It->getReachableBlock();
          if (S && Skips.count(S) && (edge(B, S) & MayRun)) {
            Skips.insert(B);
            Changed = true;
            break;
          }
        }
      }
    }
    for (const CFGBlock *B : llvm::reverse(G)) {
      if (!B || B->succ_size() != 2 || !B->getTerminatorCondition())
        continue;
      const CFGBlock *S0 = B->succ_begin()->getReachableBlock();
      const CFGBlock *S1 = (B->succ_begin() + 1)->getReachableBlock();
      if (!S0 || !S1)
        continue;
      bool Skip0 = Skips.count(S0) && (edge(B, S0) & MayRun);
      bool Skip1 = Skips.count(S1) && (edge(B, S1) & MayRun);
      if (Skip0 == Skip1)
        continue;
      const Stmt *T = B->getTerminatorStmt();
      return Gap{T->getBeginLoc(), std::string("when this condition is ") +
                                       (Skip0 ? "true" : "false") + ", '" +
                                       N + "' is not joined"};
    }
    return Gap{FD->getLocation(),
               "'" + N + "' is not joined on every path through this function"};
  }
};

} // namespace

void UnjoinedMemberCheck::registerMatchers(MatchFinder *Finder) {
  std::vector<std::string> All;
  for (const auto &R : rules().ThreadTypes)
    All.push_back(R.Type);
  if (All.empty())
    return;
  std::vector<StringRef> Names(All.begin(), All.end());
  Finder->addMatcher(
      cxxMemberCallExpr(callee(cxxMethodDecl(ofClass(
                            cxxRecordDecl(hasAnyName(Names))))))
          .bind("handled"),
      this);
  Finder->addMatcher(fieldDecl().bind("field"), this);
}

void UnjoinedMemberCheck::check(const MatchFinder::MatchResult &R) {
  Ctx = R.Context;
  if (const auto *MC = R.Nodes.getNodeAs<CXXMemberCallExpr>("handled")) {
    if (const ValueDecl *D = joinedOrDetachedHandle(MC, rules(), *Ctx))
      if (!llvm::is_contained(Handled[D], MC))
        Handled[D].push_back(MC);
    return;
  }
  if (const auto *F = R.Nodes.getNodeAs<FieldDecl>("field")) {
    const auto *RD = dyn_cast<CXXRecordDecl>(F->getParent());
    // A class template is judged once, on its pattern (where every member
    // function's body is, instantiated or not).
    if (!RD || isa<ClassTemplateSpecializationDecl>(RD) || RD->isLambda() ||
        RD->isUnion())
      return;
    bool IsContainer = false;
    if (memberRule(F, rules(), IsContainer))
      Fields.insert(F);
  }
}

/// The function a member thread started by `CE` runs, when its body is in
/// this file: `std::thread(f)`, `std::thread([this] {...})`,
/// `std::thread(&C::run, this)`.
static const FunctionDecl *memberThreadBody(const CXXConstructExpr *CE) {
  if (!CE)
    return nullptr;
  if (CE->getNumArgs() == 1)
    return callableBody(CE->getArg(0)->IgnoreImplicit());
  if (CE->getNumArgs() != 2 ||
      !isa<CXXThisExpr>(CE->getArg(1)->IgnoreParenImpCasts()))
    return nullptr;
  const auto *UO = dyn_cast<UnaryOperator>(CE->getArg(0)->IgnoreParenImpCasts());
  if (!UO || UO->getOpcode() != UO_AddrOf)
    return nullptr;
  const auto *DRE = dyn_cast<DeclRefExpr>(UO->getSubExpr()->IgnoreParenImpCasts());
  const auto *MD = DRE ? dyn_cast<CXXMethodDecl>(DRE->getDecl()) : nullptr;
  const FunctionDecl *Def = nullptr;
  if (!MD || MD->isStatic() || MD->getNumParams() != 0 || !MD->hasBody(Def))
    return nullptr;
  return Def;
}

/// The rewrite (docs/checks/supervision-unjoined-member.md#fix): a
/// `std::thread` member becomes a `std::jthread`, whose destructor joins,
/// and so do the `std::thread(...)` temporaries assigned to it. Only in
/// C++20, for a member whose type is spelled `std::thread`, declared last
/// (destroyed first: it joins while the members its thread uses still
/// live), in a class nothing derives from, used only through join,
/// joinable, detach, get_id and assignments of new threads, each running
/// work that ends on its own.
static void addMemberJThreadFix(DiagBuilder &D, const FieldDecl *F,
                                const Stmt *Start, ASTContext &Ctx) {
  const auto *RD = dyn_cast<CXXRecordDecl>(F->getParent());
  if (!Ctx.getLangOpts().CPlusPlus20 || !RD || !declaredLast(F) ||
      !hasNoDerivedClasses(RD, Ctx) || !F->getTypeSourceInfo())
    return;
  auto Spelled = [&](TypeLoc TL) {
    std::optional<std::string> T = sourceText(TL.getSourceRange(), Ctx);
    return T && (*T == "std::thread" || *T == "::std::thread");
  };
  TypeLoc FieldType = F->getTypeSourceInfo()->getTypeLoc();
  if (!Spelled(FieldType))
    return;
  auto Construction = [](const Expr *E) {
    return dyn_cast_or_null<CXXConstructExpr>(E ? ignoreWrappers(E) : nullptr);
  };
  auto Finite = [](const FunctionDecl *Body) {
    return Body && (takesStopToken(Body) || endsOnItsOwn(Body));
  };
  // The start in a constructor's initializer or the member's own.
  if (const auto *E = dyn_cast<Expr>(Start); E && !isa<CXXOperatorCallExpr>(E))
    if (!Finite(memberThreadBody(Construction(E))))
      return;
  llvm::SmallVector<TypeLoc, 2> Temporaries;
  for (const Expr *Ref : referencesTo(F, nullptr, Ctx)) {
    DynTypedNodeList Parents = Ctx.getParents(*Ref);
    while (!Parents.empty() && Parents[0].get<ImplicitCastExpr>())
      Parents = Ctx.getParents(Parents[0]);
    if (Parents.empty())
      return;
    if (const auto *ME = Parents[0].get<MemberExpr>()) {
      StringRef N = ME->getMemberDecl()->getName();
      if (N != "join" && N != "joinable" && N != "detach" && N != "get_id")
        return;
      continue;
    }
    const auto *OC = Parents[0].get<CXXOperatorCallExpr>();
    if (!OC || OC->getOperator() != OO_Equal || OC->getNumArgs() != 2)
      return;
    const Expr *RHS = OC->getArg(1)->IgnoreImplicit();
    if (const auto *MTE = dyn_cast<MaterializeTemporaryExpr>(RHS))
      RHS = MTE->getSubExpr()->IgnoreImplicit();
    TypeLoc TL;
    if (const auto *TO = dyn_cast<CXXTemporaryObjectExpr>(RHS))
      TL = TO->getTypeSourceInfo()->getTypeLoc();
    else if (const auto *FC = dyn_cast<CXXFunctionalCastExpr>(RHS))
      TL = FC->getTypeInfoAsWritten()->getTypeLoc();
    if (TL.isNull() || !Spelled(TL) || !Finite(memberThreadBody(Construction(RHS))))
      return;
    Temporaries.push_back(TL);
  }
  D.replace(CharSourceRange::getTokenRange(FieldType.getSourceRange()),
            "std::jthread");
  for (TypeLoc TL : Temporaries)
    D.replace(CharSourceRange::getTokenRange(TL.getSourceRange()),
              "std::jthread");
}

void UnjoinedMemberCheck::checkField(const FieldDecl *F) {
  bool IsContainer = false;
  const ThreadTypeRule *Rule = memberRule(F, rules(), IsContainer);
  const auto *RD = cast<CXXRecordDecl>(F->getParent());
  if (!Rule || !fullyDefined(RD))
    return;
  auto HandledIt = Handled.find(F);
  // A container is handled by any join of its elements (a loop over an
  // empty container joins nothing and needs nothing).
  if (HandledIt != Handled.end() && IsContainer)
    return;
  const Stmt *Start = nullptr;
  // Started in a constructor's member initializer? The initializers are on
  // the definition (`Foo::Foo() : t_(...) {}` outside the class body), and
  // a constructor template's pattern has them too, instantiated or not.
  // Every place that starts one, with the function it is in.
  llvm::SmallVector<std::pair<const Stmt *, const FunctionDecl *>, 2> Starts;
  for (const CXXConstructorDecl *C : constructorDefinitions(RD))
    for (const CXXCtorInitializer *I : C->inits())
      if (I->isWritten() && I->getMember() == F && !IsContainer &&
          startsThread(I->getInit())) {
        Starts.push_back({I->getInit(), C});
        if (!Start)
          Start = I->getInit();
      }
  if (!Start && F->hasInClassInitializer() && !IsContainer &&
      startsThread(F->getInClassInitializer())) {
    Start = F->getInClassInitializer();
    Starts.push_back({Start, nullptr});
  }
  for (const Expr *Ref : referencesTo(F, nullptr, *Ctx)) {
    const CXXMemberCallExpr *MC = nullptr;
    UseKind K = classifyUse(Ref, *Ctx, &MC);
    if (K == UseKind::Escaped || K == UseKind::Moved)
      return; // someone else owns it now
    if (K == UseKind::MethodCall && MC) {
      std::string N = calleeName(MC);
      if (N == "swap")
        return;
      if (IsContainer && isContainerInsertion(N)) {
        if (!Start)
          Start = MC;
        Starts.push_back({MC, enclosingFunction(MC, *Ctx)});
        continue;
      }
      // Iterators handed to an algorithm (std::for_each(v.begin(), ...)).
      if (IsContainer && iteratorsHandedOn(MC, *Ctx))
        return;
    }
    // t_ = std::thread(f); workers_[i] = std::thread(f);
    const Expr *Cur = Ref;
    for (int Depth = 0; Depth < 4; ++Depth) {
      auto P = Ctx->getParents(*Cur);
      if (P.empty())
        break;
      const auto *OC = P[0].get<CXXOperatorCallExpr>();
      if (OC && OC->getOperator() == OO_Equal && OC->getNumArgs() == 2 &&
          OC->getArg(0)->IgnoreParenImpCasts() == Cur->IgnoreParenImpCasts()) {
        if (startsThread(OC->getArg(1))) {
          if (!Start)
            Start = OC;
          Starts.push_back({OC, enclosingFunction(OC, *Ctx)});
        }
        break;
      }
      const auto *PE = P[0].get<Expr>();
      if (!PE || !(isa<ImplicitCastExpr, ParenExpr>(PE) ||
                   (isa<CXXOperatorCallExpr>(PE) &&
                    cast<CXXOperatorCallExpr>(PE)->getOperator() ==
                        OO_Subscript)))
        break;
      Cur = PE;
    }
  }
  if (!Start)
    return;
  // The destructor (a class template's pattern included, where lookup
  // does not find it).
  const CXXDestructorDecl *Dtor = RD->getDestructor();
  if (!Dtor)
    for (const CXXMethodDecl *M : RD->methods())
      if (const auto *D = dyn_cast<CXXDestructorDecl>(M))
        Dtor = D;
  bool UserDtor = Dtor && Dtor->isUserProvided();
  if (HandledIt != Handled.end()) {
    // Joined somewhere: is there one function that joins on every path?
    llvm::SmallVector<const FunctionDecl *, 2> Fns;
    llvm::DenseSet<const FunctionDecl *> Joiners;
    for (const CXXMemberCallExpr *MC : HandledIt->second)
      if (const FunctionDecl *FD = enclosingFunction(MC, *Ctx))
        if (Joiners.insert(FD->getCanonicalDecl()).second)
          Fns.push_back(FD);
    // The functions that join it on every path: the complete stop paths.
    llvm::DenseSet<const FunctionDecl *> Full;
    std::optional<Gap> First;
    const FunctionDecl *FirstFn = nullptr;
    for (const FunctionDecl *FD : Fns) {
      if (!FD->hasBody())
        return;
      std::optional<Gap> G =
          MemberJoinPaths(FD, F, rules(), *Ctx, Joiners).run();
      if (!G) {
        Full.insert(FD->getCanonicalDecl());
        continue;
      }
      // Prefer the destructor's gap: that is where the object dies.
      if (!First || isa<CXXDestructorDecl>(FD)) {
        First = G;
        FirstFn = FD;
      }
    }
    // A lambda that joins runs in the function that holds it
    // (~Pool() { auto finish = [this] { t_.join(); }; finish(); }).
    for (const FunctionDecl *FD : Fns)
      if (Full.count(FD->getCanonicalDecl()))
        if (const auto *MD = dyn_cast<CXXMethodDecl>(FD);
            MD && MD->getParent()->isLambda())
          for (const DeclContext *DC = MD->getParent()->getDeclContext(); DC;
               DC = DC->getParent())
            if (const auto *Outer = dyn_cast<FunctionDecl>(DC)) {
              const auto *OM = dyn_cast<CXXMethodDecl>(Outer);
              if (OM && OM->getParent()->isLambda())
                continue;
              Full.insert(Outer->getCanonicalDecl());
              break;
            }
    for (const FunctionDecl *FD : Fns) {
      if (!Full.count(FD->getCanonicalDecl()))
        continue;
      const auto *MD = dyn_cast<CXXMethodDecl>(FD);
      // A complete join outside the class's own member functions (a free
      // function joining `o.inner.t`): whoever owns the object stops it
      // there; who calls it is not followed.
      if (!MD || (MD->getParent() != RD && !MD->getParent()->isLambda()))
        return;
      // A function that starts the thread and joins or detaches it after,
      // on every path (a constructor that detaches, a run_once()): the
      // thread does not outlive it.
      bool AllStartsHere = !Starts.empty();
      for (auto &[St, SF] : Starts) {
        bool JoinedAfter = false;
        if (SF && SF->getCanonicalDecl() == FD->getCanonicalDecl())
          for (const CXXMemberCallExpr *MC : HandledIt->second)
            if (enclosingFunction(MC, *Ctx) == FD &&
                Ctx->getSourceManager().isBeforeInTranslationUnit(
                    St->getBeginLoc(), MC->getBeginLoc()))
              JoinedAfter = true;
        AllStartsHere &= JoinedAfter;
      }
      if (AllStartsHere)
        return;
    }
    if (!Full.empty()) {
      // A complete stop path counts only when the destructor takes it:
      // directly, or through a chain of member functions that call one on
      // this object on every path (~Pool() { shutdown(); } and shutdown()
      // calls stop()).
      const FunctionDecl *Stop = nullptr;
      for (const FunctionDecl *FD : Fns)
        if (Full.count(FD->getCanonicalDecl()) && !Stop)
          Stop = FD;
      for (bool Changed = true; Changed;) {
        Changed = false;
        for (const FunctionDecl *Caller : callersOnThis(RD, Full))
          if (!MemberJoinPaths(Caller, F, rules(), *Ctx, Full).run()) {
            Full.insert(Caller->getCanonicalDecl());
            Changed = true;
          }
      }
      if (UserDtor && Full.count(Dtor->getCanonicalDecl()))
        return;
      const FunctionDecl *DtorDef = nullptr;
      bool DtorStops = UserDtor && Dtor->hasBody(DtorDef) &&
                       !callersOnThis(RD, Full).empty() &&
                       llvm::is_contained(callersOnThis(RD, Full), DtorDef);
      if (DtorStops) {
        // The destructor takes a stop path on some paths only.
        llvm::DenseSet<const FunctionDecl *> All = Full;
        All.insert(Joiners.begin(), Joiners.end());
        if (std::optional<Gap> G =
                MemberJoinPaths(DtorDef, F, rules(), *Ctx, All).run()) {
          First = G;
          FirstFn = DtorDef;
        } else {
          return;
        }
      } else if (!First || !isa<CXXDestructorDecl>(FirstFn)) {
        std::string Owner = RD->getNameAsString();
        std::string StopName = Stop->getNameAsString();
        std::string Consequence = Rule->OnDestroy == OnDestroyJoinable::Detach
                                      ? "detached silently"
                                      : "std::terminate";
        auto B = diag(UserDtor ? Dtor->getLocation() : RD->getLocation(),
                      "'" + StopName + "' joins thread member '" +
                          F->getNameAsString() + "' but '~" + Owner +
                          "' never calls it: " + Consequence +
                          " if destroyed running");
        B.cure("call '" + StopName +
               "' from the destructor, or make the "
               "worker a child of a tether::supervisor (a child spec), "
               "which stops and joins it");
        if (Rule->Type == "std::thread")
          addMemberJThreadFix(B, F, Start, *Ctx);
        B.note(Stop->getLocation(),
               "'" + StopName + "' joins '" + F->getNameAsString() +
                   "' on every path, but only if someone calls it before "
                   "the object is destroyed")
            .note(F->getLocation(),
                  "'" + F->getNameAsString() + "' is declared here")
            .note(Start->getBeginLoc(), "a thread is started here");
        return;
      }
    }
    if (!First)
      return;
    std::string Owner = RD->getNameAsString();
    std::string FnName = isa<CXXDestructorDecl>(FirstFn)
                             ? "the destructor of '" + Owner + "'"
                             : "'" + FirstFn->getNameAsString() + "'";
    std::string Consequence = Rule->OnDestroy == OnDestroyJoinable::Detach
                                  ? "else it is detached silently"
                                  : "else std::terminate";
    auto B = diag(UserDtor ? Dtor->getLocation() : RD->getLocation(),
                  FnName + " joins thread member '" + F->getNameAsString() +
                      "' (" + Rule->Type + ") only on some paths, " +
                      Consequence);
    B.cure("join on every path (test joinable() rather than another flag), "
           "or make the worker a child of a tether::supervisor (a child "
           "spec), which stops and joins it");
    if (Rule->Type == "std::thread")
      addMemberJThreadFix(B, F, Start, *Ctx);
    B.note(First->Loc, First->What)
        .note(F->getLocation(),
              "'" + F->getNameAsString() + "' is declared here")
        .note(Start->getBeginLoc(), "a thread is started here");
    return;
  }
  SourceLocation Where =
      UserDtor ? Dtor->getLocation() : RD->getLocation();
  std::string Owner = RD->getNameAsString();
  std::string Consequence = Rule->OnDestroy == OnDestroyJoinable::Detach
                                ? "detached silently if destroyed while running"
                                : "std::terminate if destroyed while running";
  std::string What =
      IsContainer ? "threads added to member '" + F->getNameAsString() + "'"
                  : "thread member '" + F->getNameAsString() + "'";
  // Where the class has a destructor, the finding is on it.
  std::string Msg = "'" + Owner + "' never joins " + What + " (" +
                    Rule->Type + "): " + Consequence;
  auto B = diag(Where, Msg);
  B.cure("join in the destructor or in a stop() the destructor calls, or "
         "make the worker a child of a tether::supervisor (a child spec), "
         "which stops and joins it");
  if (!IsContainer && Rule->Type == "std::thread")
    addMemberJThreadFix(B, F, Start, *Ctx);
  B.note(F->getLocation(),
            "'" + F->getNameAsString() + "' is declared here")
      .note(Start->getBeginLoc(), IsContainer ? "a thread is added here"
                                              : "a thread is started here");
}

void UnjoinedMemberCheck::onEndOfTranslationUnit() {
  if (Ctx)
    for (const FieldDecl *F : Fields)
      checkField(F);
  Fields.clear();
  Handled.clear();
}

} // namespace tether
