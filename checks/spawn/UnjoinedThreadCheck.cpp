//===--- UnjoinedThreadCheck.cpp - spawn-unjoined-thread ------------------===//

#include "UnjoinedThreadCheck.h"

#include "analysis/CfgDataflow.h"
#include "analysis/ExprUtils.h"
#include "analysis/FixSafety.h"
#include "analysis/ThrowAnalysis.h"

#include "clang/AST/ASTContext.h"
#include "clang/AST/ExprCXX.h"
#include "clang/AST/ParentMapContext.h"
#include "clang/AST/StmtCXX.h"
#include "clang/Analysis/CFG.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/SmallPtrSet.h"

using namespace clang;
using namespace clang::ast_matchers;

namespace tether {

namespace {

// The states a thread variable can be in on one path, as bits so that the
// state at a join point is the union of the paths reaching it.
enum : uint8_t {
  Joinable = 1,    // owns a running thread
  NotJoinable = 2, // empty, joined or detached
  Elsewhere = 4,   // moved away or handed to code we do not follow
};

using VarStates = llvm::SmallDenseMap<const VarDecl *, uint8_t, 4>;

std::vector<StringRef> names(const std::vector<std::string> &V) {
  return std::vector<StringRef>(V.begin(), V.end());
}

bool contains(const std::vector<std::string> &V, const std::string &S) {
  return std::find(V.begin(), V.end(), S) != V.end();
}

const char *consequence(const ThreadTypeRule &R) {
  return R.OnDestroy == OnDestroyJoinable::Detach
             ? "which silently detaches it"
             : "which calls std::terminate";
}


/// The state a thread object has right after being initialized from `Init`.
uint8_t initialState(const Expr *Init) {
  if (!Init)
    return NotJoinable;
  Init = ignoreWrappers(Init);
  if (const auto *CE = dyn_cast<CXXConstructExpr>(Init)) {
    unsigned Explicit = 0;
    for (const Expr *A : CE->arguments())
      if (!isa<CXXDefaultArgExpr>(A))
        ++Explicit;
    if (Explicit == 0)
      return NotJoinable;
    if (CE->getConstructor()->isMoveConstructor() && Explicit == 1)
      return initialState(CE->getArg(0));
    return Joinable;
  }
  if (isa<InitListExpr>(Init) && cast<InitListExpr>(Init)->getNumInits() == 0)
    return NotJoinable;
  return Joinable; // a call returning a thread, a conversion: assume running
}

class Dataflow {
public:
  Dataflow(ASTContext &Ctx, const RuleSet &Rules, const FunctionDecl *FD,
           llvm::ArrayRef<const VarDecl *> Tracked)
      : Ctx(Ctx), Rules(Rules), FD(FD),
        Tracked(Tracked.begin(), Tracked.end()) {}

  struct Exit {
    SourceLocation Loc;
    std::string What;
  };
  /// The first path found for each variable that reaches destruction while
  /// joinable.
  llvm::MapVector<const VarDecl *, Exit> Findings;

  void run() {
    std::unique_ptr<CFG> G = buildTrackingCFG(FD, Ctx);
    if (!G)
      return;
    runForwardDataflow<VarStates>(
        *G, [this](const CFGElement &E, VarStates &S) { transfer(E, S); },
        [this](const CFGBlock *From, const CFGBlock *To, VarStates &S) {
          refineOnEdge(From, To, S);
        });
  }

private:
  ASTContext &Ctx;
  const RuleSet &Rules;
  const FunctionDecl *FD;
  llvm::SmallPtrSet<const VarDecl *, 4> Tracked;

  const ThreadTypeRule *rule(const VarDecl *V) const {
    return threadRule(V->getType(), Rules);
  }

  /// `if (t.joinable())`: on the false edge the thread is not joinable.
  void refineOnEdge(const CFGBlock *From, const CFGBlock *To, VarStates &S) {
    bool Negated = false;
    const Expr *Handle = joinableTest(From->getTerminatorCondition(), Negated);
    if (!Handle || From->succ_size() != 2)
      return;
    const VarDecl *V = directVar(Handle);
    if (!V || !S.count(V))
      return;
    const CFGBlock *FalseSucc = *(From->succ_begin() + (Negated ? 0 : 1));
    const CFGBlock *TrueSucc = *(From->succ_begin() + (Negated ? 1 : 0));
    if (To == FalseSucc && To != TrueSucc)
      S[V] = NotJoinable;
  }

  bool feedsTrackedVar(const Expr *Ref) {
    return tether::feedsTrackedVar(Ref, Ctx, Tracked);
  }

  void report(const VarDecl *V, SourceLocation Loc, std::string What) {
    if (!Findings.count(V))
      Findings.insert({V, Exit{Loc, std::move(What)}});
  }

  /// Does an exception thrown at `Throw` leave the scope of `V`? Typed: a
  /// handler that cannot catch the thrown type does not keep `V` alive.
  bool throwLeavesScope(const CXXThrowExpr *Throw, const VarDecl *V) {
    QualType T = Throw->getSubExpr() ? Throw->getSubExpr()->getType()
                                     : QualType();
    return ThrowAnalysis::leavesScope(Throw, T, V, Ctx);
  }

  void transfer(const CFGElement &E, VarStates &S) {
    if (auto Dtor = E.getAs<CFGAutomaticObjDtor>()) {
      const VarDecl *V = Dtor->getVarDecl();
      auto It = S.find(V);
      if (It == S.end())
        return;
      if (It->second & Joinable) {
        ScopeExit X = scopeExit(*Dtor, "while still joinable",
                                "while it is still joinable");
        report(V, X.Loc, X.What);
      }
      S.erase(It);
      return;
    }
    auto CS = E.getAs<CFGStmt>();
    if (!CS)
      return;
    const Stmt *St = CS->getStmt();
    if (const auto *DS = dyn_cast<DeclStmt>(St)) {
      if (!DS->isSingleDecl())
        return;
      const auto *V = dyn_cast<VarDecl>(DS->getSingleDecl());
      if (!V || !Tracked.count(V))
        return;
      const Expr *Init = V->getInit();
      uint8_t State = initialState(Init);
      if (Init) {
        const Expr *I = ignoreWrappers(Init);
        const Expr *Src = nullptr;
        if (const auto *CE = dyn_cast<CXXConstructExpr>(I))
          if (CE->getConstructor()->isMoveConstructor() && CE->getNumArgs())
            Src = CE->getArg(0);
        if (Src)
          if (const Expr *M = movedArgument(ignoreWrappers(Src)))
            if (const VarDecl *W = directVar(M); W && S.count(W)) {
              State = S[W];
              S[W] = NotJoinable;
            }
      }
      S[V] = State;
      return;
    }
    if (const auto *MC = dyn_cast<CXXMemberCallExpr>(St)) {
      const VarDecl *V = directVar(MC->getImplicitObjectArgument());
      if (!V || !S.count(V))
        return;
      const ThreadTypeRule *R = rule(V);
      std::string N = calleeName(MC);
      if (R && (contains(R->Join, N) || contains(R->Detach, N)))
        S[V] = NotJoinable;
      else if (N == "swap") {
        // t.swap(u) with both followed: they exchange states.
        const VarDecl *W =
            MC->getNumArgs() == 1 ? directVar(MC->getArg(0)) : nullptr;
        if (W && S.count(W))
          std::swap(S[V], S[W]);
        else
          S[V] = Elsewhere;
      }
      return;
    }
    if (const auto *OC = dyn_cast<CXXOperatorCallExpr>(St)) {
      if (OC->getOperator() != OO_Equal || OC->getNumArgs() != 2)
        return;
      const VarDecl *V = directVar(OC->getArg(0));
      if (!V || !S.count(V))
        return;
      // Move-assigning to a joinable thread ends its thread like the
      // destructor does ([thread.thread.assign]: std::terminate).
      if (S[V] & Joinable)
        report(V, OC->getOperatorLoc(),
               "assigning to '" + V->getNameAsString() +
                   "' here while it is still joinable has the same effect");
      const Expr *Rhs = ignoreWrappers(OC->getArg(1));
      if (const Expr *M = movedArgument(Rhs)) {
        if (const VarDecl *W = directVar(M); W && S.count(W)) {
          uint8_t St2 = S[W];
          S[W] = NotJoinable;
          S[V] = St2;
          return;
        }
        S[V] = Joinable;
        return;
      }
      S[V] = initialState(Rhs);
      return;
    }
    if (const auto *Throw = dyn_cast<CXXThrowExpr>(St)) {
      for (auto &[V, State] : S)
        if ((State & Joinable) && throwLeavesScope(Throw, V))
          report(V, Throw->getBeginLoc(),
                 "an exception thrown here destroys '" + V->getNameAsString() +
                     "' while it is still joinable");
      return;
    }
    if (const auto *DRE = dyn_cast<DeclRefExpr>(St)) {
      const auto *V = dyn_cast<VarDecl>(DRE->getDecl());
      if (!V || !S.count(V))
        return;
      UseKind K = classifyUse(DRE, Ctx);
      if ((K == UseKind::Escaped || K == UseKind::Moved) &&
          !feedsTrackedVar(DRE))
        S[V] = Elsewhere;
    }
  }
};

} // namespace

void UnjoinedThreadCheck::registerMatchers(MatchFinder *Finder) {
  std::vector<std::string> Types;
  for (const auto &R : rules().ThreadTypes)
    if (R.OnDestroy != OnDestroyJoinable::Join)
      Types.push_back(R.Type);
  std::vector<std::string> All;
  for (const auto &R : rules().ThreadTypes)
    All.push_back(R.Type);
  if (All.empty())
    return;
  auto AnyThread = cxxRecordDecl(hasAnyName(names(All)));
  // Join/detach calls anywhere: what counts as handled for heap and
  // container threads.
  Finder->addMatcher(
      cxxMemberCallExpr(callee(cxxMethodDecl(ofClass(AnyThread))))
          .bind("handled"),
      this);
  if (Types.empty())
    return;
  auto ThreadRecord = cxxRecordDecl(hasAnyName(names(Types)));
  auto ThreadType =
      qualType(hasUnqualifiedDesugaredType(recordType(hasDeclaration(ThreadRecord))));
  Finder->addMatcher(
      varDecl(hasLocalStorage(), unless(parmVarDecl()), hasType(ThreadType))
          .bind("local"),
      this);
  Finder->addMatcher(cxxConstructExpr(hasType(ThreadType)).bind("temp"), this);
  Finder->addMatcher(
      cxxNewExpr(hasType(pointerType(pointee(ThreadType)))).bind("new"), this);
  Finder->addMatcher(
      callExpr(callee(functionDecl(hasAnyName("::std::make_unique",
                                              "::std::make_shared"))))
          .bind("make"),
      this);
  if (!rules().Containers.empty())
    Finder->addMatcher(
        varDecl(hasLocalStorage(), unless(parmVarDecl()),
                hasType(qualType(hasUnqualifiedDesugaredType(recordType(
                    hasDeclaration(classTemplateSpecializationDecl(
                        hasAnyName(names(rules().Containers)),
                        hasTemplateArgument(0, refersToType(ThreadType)))))))))
            .bind("container"),
        this);
}

void UnjoinedThreadCheck::check(const MatchFinder::MatchResult &R) {
  Ctx = R.Context;
  if (const auto *MC = R.Nodes.getNodeAs<CXXMemberCallExpr>("handled")) {
    if (const ValueDecl *D = joinedOrDetachedHandle(MC, rules(), *Ctx))
      Handled.insert(D);
    return;
  }
  if (const auto *V = R.Nodes.getNodeAs<VarDecl>("local")) {
    const auto *FD =
        dyn_cast_or_null<FunctionDecl>(V->getParentFunctionOrMethod());
    if (!FD || FD->isDependentContext() || !FD->hasBody() ||
        V->getType()->isReferenceType())
      return;
    auto &Vec = Locals[FD];
    if (std::find(Vec.begin(), Vec.end(), V) == Vec.end())
      Vec.push_back(V);
    return;
  }
  if (const auto *CE = R.Nodes.getNodeAs<CXXConstructExpr>("temp")) {
    if (CE->getNumArgs() == 0 || isa<CXXDefaultArgExpr>(CE->getArg(0)) ||
        CE->getConstructor()->isMoveConstructor() ||
        !isDiscarded(CE, *Ctx))
      return;
    const ThreadTypeRule *Rule = threadRule(CE->getType(), rules());
    if (!Rule)
      return;
    diag(CE->getBeginLoc(),
         "this temporary " + Rule->Type + " is destroyed while still joinable, " +
             consequence(*Rule))
        .cure("keep the handle and join it, or run the work as a task of a "
              "tether::task_supervisor");
    return;
  }
  if (const auto *NE = R.Nodes.getNodeAs<CXXNewExpr>("new")) {
    Heap.push_back({NE, NE->getAllocatedType()});
    return;
  }
  if (const auto *C = R.Nodes.getNodeAs<CallExpr>("make")) {
    // std::make_unique<std::thread>(f): the pointee is a thread type.
    const auto *FD = C->getDirectCallee();
    if (!FD || !FD->getTemplateSpecializationArgs() ||
        FD->getTemplateSpecializationArgs()->size() == 0)
      return;
    const TemplateArgument &A = FD->getTemplateSpecializationArgs()->get(0);
    if (A.getKind() == TemplateArgument::Type &&
        threadRule(A.getAsType(), rules()) &&
        threadRule(A.getAsType(), rules())->OnDestroy !=
            OnDestroyJoinable::Join)
      Heap.push_back({C, A.getAsType()});
    return;
  }
  if (const auto *V = R.Nodes.getNodeAs<VarDecl>("container")) {
    const auto *FD =
        dyn_cast_or_null<FunctionDecl>(V->getParentFunctionOrMethod());
    if (FD && !FD->isDependentContext())
      Containers.insert(V);
  }
}

/// The variable or field that receives a newly allocated thread, or null if
/// the pointer is thrown away. `Discarded` tells the two apart from "handed
/// to something we do not follow".
static const ValueDecl *ownerOf(const Expr *Alloc, ASTContext &Ctx,
                                bool &Discarded) {
  Discarded = false;
  const Expr *Cur = Alloc;
  for (int Depth = 0; Depth < 6; ++Depth) {
    auto Parents = Ctx.getParents(*Cur);
    if (Parents.empty())
      return nullptr;
    if (const auto *VD = Parents[0].get<VarDecl>())
      return VD;
    if (const CXXCtorInitializer *Init = ctorInitializerOf(Cur, Parents[0]))
      return Init->getMember();
    const auto *P = Parents[0].get<Stmt>();
    if (!P)
      return nullptr;
    if (isa<CompoundStmt>(P)) {
      Discarded = true;
      return nullptr;
    }
    if (const auto *BO = dyn_cast<BinaryOperator>(P)) {
      if (BO->isAssignmentOp() && BO->getRHS()->IgnoreParenImpCasts() ==
                                      Cur->IgnoreParenImpCasts())
        return rootDecl(BO->getLHS());
      return nullptr;
    }
    if (const auto *OC = dyn_cast<CXXOperatorCallExpr>(P)) {
      if (OC->getOperator() == OO_Equal && OC->getNumArgs() == 2)
        return rootDecl(OC->getArg(0));
      return nullptr;
    }
    if (const auto *MC = dyn_cast<CXXMemberCallExpr>(P)) {
      if (calleeName(MC) == "reset") // p.reset(new std::thread(f))
        return rootDecl(MC->getImplicitObjectArgument());
      return nullptr;
    }
    if (isa<CXXConstructExpr, ImplicitCastExpr, ParenExpr, ExprWithCleanups,
            CXXBindTemporaryExpr, MaterializeTemporaryExpr,
            CXXFunctionalCastExpr>(P)) {
      // Also the smart pointer's constructor: unique_ptr<thread> p(new ...).
      Cur = cast<Expr>(P);
      continue;
    }
    return nullptr;
  }
  return nullptr;
}

bool UnjoinedThreadCheck::ownerIsHandled(const ValueDecl *Owner,
                                         const Stmt *Scope) {
  if (Handled.count(Owner))
    return true;
  for (const Expr *Ref : referencesTo(Owner, Scope, *Ctx)) {
    UseKind K = classifyUse(Ref, *Ctx, nullptr, /*CopiesEscape=*/true);
    if (K == UseKind::Escaped || K == UseKind::Moved)
      return true;
  }
  return false;
}

void UnjoinedThreadCheck::checkHeapThread(const Expr *Alloc, QualType T) {
  const ThreadTypeRule *Rule = threadRule(T, rules());
  if (!Rule)
    return;
  bool Discarded = false;
  const ValueDecl *Owner = ownerOf(Alloc, *Ctx, Discarded);
  if (Discarded) {
    diag(Alloc->getBeginLoc(),
         "this " + Rule->Type +
             " is allocated and its pointer thrown away: nothing can join it "
             "or see it fail")
        .cure("keep the handle and join it, or run the work as a task of a "
              "tether::task_supervisor");
    return;
  }
  if (!Owner || isa<ParmVarDecl>(Owner))
    return;
  const Stmt *Scope = nullptr;
  if (const auto *VD = dyn_cast<VarDecl>(Owner))
    if (VD->hasLocalStorage())
      if (const auto *FD = dyn_cast_or_null<FunctionDecl>(
              VD->getParentFunctionOrMethod()))
        Scope = FD->getBody();
  if (ownerIsHandled(Owner, Scope))
    return;
  diag(Alloc->getBeginLoc(),
       "this heap-allocated " + Rule->Type + " is never joined through '" +
           Owner->getNameAsString() +
           "': deleting it " +
           (Rule->OnDestroy == OnDestroyJoinable::Detach
                ? std::string("silently detaches it")
                : std::string("calls std::terminate")))
      .cure("join it on the owner's shutdown path, or run the work as a task "
            "of a tether::task_supervisor")
      .note(Owner->getLocation(), "the thread is owned by '" +
                                      Owner->getNameAsString() +
                                      "', declared here");
}

void UnjoinedThreadCheck::checkContainer(const VarDecl *Container) {
  if (Handled.count(Container))
    return;
  const auto *FD =
      dyn_cast_or_null<FunctionDecl>(Container->getParentFunctionOrMethod());
  if (!FD || !FD->getBody())
    return;
  bool Added = false;
  for (const Expr *Ref : referencesTo(Container, FD->getBody(), *Ctx)) {
    const CXXMemberCallExpr *MC = nullptr;
    UseKind K = classifyUse(Ref, *Ctx, &MC);
    if (K == UseKind::Escaped || K == UseKind::Moved)
      return;
    if (K == UseKind::MethodCall && MC) {
      if (isContainerInsertion(calleeName(MC)))
        Added = true;
      // Iterators handed to an algorithm (std::for_each(v.begin(), ...)).
      if (iteratorsHandedOn(MC, *Ctx))
        return;
    } else if (K == UseKind::Read) {
      // v[i] = std::thread(f)
      auto P = Ctx->getParents(*Ref);
      if (!P.empty())
        if (const auto *OC = P[0].get<CXXOperatorCallExpr>())
          if (OC->getOperator() == OO_Subscript)
            Added = true;
    }
  }
  if (!Added)
    return;
  QualType Elem = containerElement(Container->getType(), rules());
  const ThreadTypeRule *Rule = threadRule(Elem, rules());
  if (!Rule)
    return;
  diag(Container->getLocation(),
       "threads added to '" + Container->getNameAsString() +
           "' are never joined: destroying a joinable " + Rule->Type + ", " +
           consequence(*Rule))
      .cure("join every element before '" + Container->getNameAsString() +
            "' goes out of scope, or run the work as tasks of a "
            "tether::task_supervisor");
}

/// The rewrite (docs/checks/spawn-unjoined-thread.md#fix): `std::thread t(f)`
/// becomes `std::jthread t(f)`, whose destructor joins (after asking a
/// stop-token-taking body to stop). Only in C++20, for a local declared with
/// the type spelled `std::thread` (not an alias others share), constructed
/// from one callable whose work ends on its own (or takes a stop token),
/// and used only through members std::jthread has with the same meaning.
static void addJThreadFix(DiagBuilder &D, const VarDecl *V, ASTContext &Ctx) {
  if (!Ctx.getLangOpts().CPlusPlus20 || !V->getTypeSourceInfo())
    return;
  const auto *Ctor = dyn_cast_or_null<CXXConstructExpr>(
      V->getInit() ? ignoreWrappers(V->getInit()) : nullptr);
  if (!Ctor || Ctor->getNumArgs() != 1 ||
      Ctor->getConstructor()->isCopyOrMoveConstructor())
    return;
  const FunctionDecl *Body = callableBody(Ctor->getArg(0)->IgnoreImplicit());
  if (!Body || (!takesStopToken(Body) && !endsOnItsOwn(Body)))
    return;
  TypeLoc TL = V->getTypeSourceInfo()->getTypeLoc();
  std::optional<std::string> Spelled = sourceText(TL.getSourceRange(), Ctx);
  if (!Spelled || (*Spelled != "std::thread" && *Spelled != "::std::thread"))
    return;
  const auto *FD = dyn_cast_or_null<FunctionDecl>(V->getDeclContext());
  if (!FD || !FD->getBody())
    return;
  for (const Expr *Ref : referencesTo(V, FD->getBody(), Ctx)) {
    DynTypedNodeList Parents = Ctx.getParents(*Ref);
    // `w.joinable()` reaches a const member through a no-op cast.
    while (!Parents.empty() && Parents[0].get<ImplicitCastExpr>())
      Parents = Ctx.getParents(Parents[0]);
    const auto *ME = Parents.empty() ? nullptr : Parents[0].get<MemberExpr>();
    if (!ME)
      return; // passed on, moved, assigned: std::jthread may not fit
    StringRef Name = ME->getMemberDecl()->getName();
    if (Name != "join" && Name != "joinable" && Name != "detach" &&
        Name != "get_id")
      return;
  }
  D.replace(CharSourceRange::getTokenRange(TL.getSourceRange()),
            Spelled->front() == ':' ? "::std::jthread" : "std::jthread");
}

void UnjoinedThreadCheck::analyzeFunction(const FunctionDecl *FD,
                                          llvm::ArrayRef<const VarDecl *> Vars) {
  Dataflow DF(*Ctx, rules(), FD, Vars);
  DF.run();
  for (auto &[V, Exit] : DF.Findings) {
    const ThreadTypeRule *Rule = threadRule(V->getType(), rules());
    if (!Rule)
      continue;
    auto D = diag(V->getLocation(),
                  "thread '" + V->getNameAsString() +
                      "' can be destroyed while still joinable, " +
                      consequence(*Rule));
    D.cure("join it on every path, use std::jthread, or run the work as a "
           "task of a tether::task_supervisor");
    if (Rule->Type == "std::thread")
      addJThreadFix(D, V, *Ctx);
    D.note(Exit.Loc, Exit.What);
  }
}

void UnjoinedThreadCheck::onEndOfTranslationUnit() {
  if (Ctx) {
    for (auto &[FD, Vars] : Locals)
      analyzeFunction(FD, Vars);
    for (auto &[Alloc, T] : Heap)
      checkHeapThread(Alloc, T);
    for (const VarDecl *C : Containers)
      checkContainer(C);
  }
  Locals.clear();
  Heap.clear();
  Containers.clear();
  Handled.clear();
}

} // namespace tether
