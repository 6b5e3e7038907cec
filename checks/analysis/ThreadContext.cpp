//===--- ThreadContext.cpp - Which threads run which functions ------------===//

#include "ThreadContext.h"

#include "clang/ASTMatchers/ASTMatchFinder.h"
#include "clang/ASTMatchers/ASTMatchers.h"
#include "llvm/ADT/SmallPtrSet.h"

#include "ExprUtils.h"

#include "clang/AST/ASTContext.h"
#include "clang/AST/DeclCXX.h"
#include "clang/AST/DeclTemplate.h"
#include "clang/AST/ExprCXX.h"
#include "clang/AST/ParentMapContext.h"
#include "clang/AST/RecursiveASTVisitor.h"
#include "clang/AST/StmtCXX.h"
#include "clang/Basic/SourceManager.h"
#include "clang/Index/USRGeneration.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/SmallString.h"

#include <algorithm>
#include <deque>
#include <functional>

using namespace clang;

namespace tether {

namespace {

const FunctionDecl *canon(const FunctionDecl *FD) {
  return FD ? FD->getCanonicalDecl() : nullptr;
}

bool inSystemHeader(const Decl *D, const SourceManager &SM) {
  SourceLocation L = D->getLocation();
  return L.isValid() && SM.isInSystemHeader(SM.getExpansionLoc(L));
}

bool isLoop(const Stmt *S) {
  return isa<ForStmt, WhileStmt, DoStmt, CXXForRangeStmt>(S);
}

} // namespace

/// Builds the call graph: one traversal of the TU (instantiations included,
/// template patterns and system headers skipped).
class CallGraphBuilder : public RecursiveASTVisitor<CallGraphBuilder> {
public:
  CallGraphBuilder(ASTContext &Ctx,
                   const llvm::DenseSet<const FunctionDecl *> &Entries,
                   std::vector<const FunctionDecl *> &Functions,
                   llvm::DenseMap<const FunctionDecl *,
                                  llvm::SmallVector<CallEdge, 4>> &Edges,
                   std::vector<std::pair<const FunctionDecl *, const Stmt *>>
                       &StaticInit)
      : Ctx(Ctx), SM(Ctx.getSourceManager()), Entries(Entries),
        Functions(Functions), Edges(Edges), StaticInit(StaticInit) {}

  bool shouldVisitTemplateInstantiations() const { return true; }
  bool shouldVisitImplicitCode() const { return false; }

  bool TraverseDecl(Decl *D) {
    if (!D)
      return true;
    if (isa<FunctionDecl, CXXRecordDecl>(D) &&
        cast<DeclContext>(D)->isDependentContext())
      return true;
    if (!isa<TranslationUnitDecl>(D) && inSystemHeader(D, SM))
      return true;
    auto *FD = dyn_cast<FunctionDecl>(D);
    if (FD && FD->doesThisDeclarationHaveABody()) {
      const FunctionDecl *Saved = Current;
      Current = canon(FD);
      addFunction(Current);
      bool R = RecursiveASTVisitor::TraverseDecl(D);
      Current = Saved;
      return R;
    }
    return RecursiveASTVisitor::TraverseDecl(D);
  }

  bool TraverseLambdaExpr(LambdaExpr *L) {
    llvm::SmallVector<const FunctionDecl *, 2> Ops;
    if (const FunctionTemplateDecl *FT = L->getDependentCallOperator())
      for (const FunctionDecl *Spec : FT->specializations())
        Ops.push_back(Spec);
    else
      Ops.push_back(L->getCallOperator());
    for (const FunctionDecl *Op : Ops) {
      Op = canon(Op);
      addFunction(Op);
      // A lambda runs where it is created (called here, or by an algorithm
      // it is given), unless it is handed to a thread.
      if (!Entries.count(Op))
        addEdge(Op, L);
    }
    const FunctionDecl *Saved = Current;
    // Captures are initialized in the enclosing function.
    for (const LambdaCapture &C : L->captures())
      if (L->isInitCapture(&C))
        TraverseDecl(C.getCapturedVar());
    if (L->getDependentCallOperator()) {
      for (const FunctionDecl *Op : Ops) {
        Current = canon(Op);
        if (const Stmt *Body = Op->getBody())
          TraverseStmt(const_cast<Stmt *>(Body));
      }
    } else {
      Current = canon(L->getCallOperator());
      TraverseStmt(L->getBody());
    }
    Current = Saved;
    return true;
  }

  bool VisitCallExpr(CallExpr *C) {
    if (const FunctionDecl *Callee = C->getDirectCallee()) {
      bool Virtual = false;
      if (const auto *MC = dyn_cast<CXXMemberCallExpr>(C))
        if (const auto *MD = MC->getMethodDecl())
          if (MD->isVirtual())
            if (const auto *ME =
                    dyn_cast<MemberExpr>(MC->getCallee()->IgnoreParens()))
              Virtual = !ME->hasQualifier();
      if (const auto *OC = dyn_cast<CXXOperatorCallExpr>(C))
        if (const auto *MD = dyn_cast<CXXMethodDecl>(Callee))
          Virtual = MD->isVirtual();
      addEdge(Callee, C, Virtual);
      return true;
    }
    // A call through a variable holding a function pointer or a callable.
    if (const Expr *Callee = C->getCallee())
      for (const FunctionDecl *FD : resolveCallable(Callee, Ctx))
        addEdge(FD, C);
    return true;
  }

  bool VisitCXXConstructExpr(CXXConstructExpr *CE) {
    if (const CXXConstructorDecl *Ctor = CE->getConstructor())
      if (!Ctor->isImplicit())
        addEdge(Ctor, CE);
    return true;
  }

  bool VisitDeclRefExpr(DeclRefExpr *DRE) {
    // A function named as a value (a callback, a member pointer) runs where
    // whoever receives it calls it: assume here, unless it is a thread entry.
    if (const auto *FD = dyn_cast<FunctionDecl>(DRE->getDecl()))
      if (!Entries.count(canon(FD)))
        addEdge(FD, DRE);
    return true;
  }

private:
  void addFunction(const FunctionDecl *FD) {
    if (Seen.insert(FD).second)
      Functions.push_back(FD);
  }

  void addEdge(const FunctionDecl *Callee, const Stmt *Where,
               bool Virtual = false) {
    Callee = canon(Callee);
    if (!Callee || inSystemHeader(Callee, SM))
      return;
    if (!Current) {
      StaticInit.push_back({Callee, Where});
      return;
    }
    auto &V = Edges[Current];
    for (CallEdge &E : V)
      if (E.Callee == Callee) {
        E.Virtual |= Virtual;
        return;
      }
    V.push_back({Callee, Where, Virtual});
  }

  ASTContext &Ctx;
  const SourceManager &SM;
  const llvm::DenseSet<const FunctionDecl *> &Entries;
  std::vector<const FunctionDecl *> &Functions;
  llvm::DenseMap<const FunctionDecl *, llvm::SmallVector<CallEdge, 4>> &Edges;
  std::vector<std::pair<const FunctionDecl *, const Stmt *>> &StaticInit;
  llvm::DenseSet<const FunctionDecl *> Seen;
  const FunctionDecl *Current = nullptr;
};

ThreadContext::ThreadContext(ASTContext &Ctx, const RuleSet &Rules)
    : Ctx(Ctx), Rules(Rules), Sites(findSpawnSites(Ctx, Rules)) {
  buildGraph();
  addVirtualEdges();
  computeReach();
  computeOrdering();
}

void ThreadContext::buildGraph() {
  llvm::DenseSet<const FunctionDecl *> Entries;
  for (const SpawnSite &S : Sites)
    for (const FunctionDecl *FD : S.Entries)
      Entries.insert(canon(FD));
  std::vector<std::pair<const FunctionDecl *, const Stmt *>> StaticInit;
  CallGraphBuilder B(Ctx, Entries, Functions, Edges, StaticInit);
  B.TraverseAST(Ctx);
  for (const auto &[Caller, V] : Edges)
    for (const CallEdge &E : V)
      Callers[E.Callee].push_back({Caller, E.Where});
  for (const auto &[Callee, Where] : StaticInit)
    Callers[Callee].push_back({nullptr, Where});
}

void ThreadContext::addVirtualEdges() {
  // Every override of a method, transitively.
  llvm::DenseMap<const FunctionDecl *, llvm::SmallVector<const FunctionDecl *, 2>>
      Overriders;
  for (const FunctionDecl *FD : Functions) {
    const auto *MD = dyn_cast<CXXMethodDecl>(FD);
    if (!MD || !MD->isVirtual())
      continue;
    llvm::SmallVector<const CXXMethodDecl *, 4> Work(MD->overridden_methods());
    llvm::DenseSet<const CXXMethodDecl *> Done;
    while (!Work.empty()) {
      const CXXMethodDecl *O = Work.pop_back_val();
      if (!Done.insert(O).second)
        continue;
      Overriders[canon(O)].push_back(FD);
      for (const CXXMethodDecl *OO : O->overridden_methods())
        Work.push_back(OO);
    }
  }
  for (auto &[Caller, V] : Edges) {
    llvm::SmallVector<CallEdge, 4> Extra;
    for (const CallEdge &E : V)
      if (E.Virtual)
        for (const FunctionDecl *O : Overriders.lookup(E.Callee))
          Extra.push_back({O, E.Where, true});
    for (const CallEdge &X : Extra) {
      if (llvm::any_of(V, [&](const CallEdge &E) { return E.Callee == X.Callee; }))
        continue;
      V.push_back(X);
      Callers[X.Callee].push_back({Caller, X.Where});
    }
  }
  // An entry that is a virtual method runs its overrides too
  // (std::thread(&Base::run, this)).
  for (SpawnSite &S : Sites) {
    llvm::SmallVector<const FunctionDecl *, 2> More;
    for (const FunctionDecl *FD : S.Entries)
      if (const auto *MD = dyn_cast<CXXMethodDecl>(FD))
        if (MD->isVirtual())
          for (const FunctionDecl *O : Overriders.lookup(canon(FD)))
            More.push_back(O);
    for (const FunctionDecl *O : More)
      if (!llvm::is_contained(S.Entries, O))
        S.Entries.push_back(O);
  }
}

void ThreadContext::computeReach() {
  const SourceManager &SM = Ctx.getSourceManager();
  llvm::DenseSet<const FunctionDecl *> EntrySet;
  for (const SpawnSite &S : Sites)
    for (const FunctionDecl *FD : S.Entries)
      EntrySet.insert(canon(FD));

  auto BFS = [&](unsigned Id, llvm::ArrayRef<const FunctionDecl *> Roots) {
    llvm::DenseMap<const FunctionDecl *, const FunctionDecl *> Parent;
    std::deque<const FunctionDecl *> Queue;
    for (const FunctionDecl *R : Roots)
      if (Parent.try_emplace(R, nullptr).second)
        Queue.push_back(R);
    std::vector<const FunctionDecl *> Order;
    while (!Queue.empty()) {
      const FunctionDecl *F = Queue.front();
      Queue.pop_front();
      Order.push_back(F);
      auto It = Edges.find(F);
      if (It == Edges.end())
        continue;
      for (const CallEdge &E : It->second)
        if (Parent.try_emplace(E.Callee, F).second)
          Queue.push_back(E.Callee);
    }
    for (const FunctionDecl *F : Order) {
      Reach R;
      R.Context = Id;
      for (const FunctionDecl *P = F; P; P = Parent.lookup(P))
        R.Chain.push_back(P);
      std::reverse(R.Chain.begin(), R.Chain.end());
      Reaches[F].push_back(std::move(R));
    }
  };

  // Context 0: main and every uncalled non-entry function.
  ExecContext Other;
  Other.Id = OtherCode;
  Other.Label = "main and other non-thread code";
  Other.Short = "non-thread code";
  Contexts.push_back(Other);
  std::vector<const FunctionDecl *> Roots;
  for (const FunctionDecl *FD : Functions) {
    if (FD->isMain()) {
      Main = FD;
      Roots.insert(Roots.begin(), FD);
      continue;
    }
    if (EntrySet.count(FD))
      continue;
    auto It = Callers.find(FD);
    bool Called = false;
    if (It != Callers.end())
      for (const auto &[Caller, Where] : It->second)
        Called |= Caller != FD && Caller != nullptr;
    if (!Called)
      Roots.push_back(FD);
  }
  BFS(OtherCode, Roots);

  for (const SpawnSite &S : Sites) {
    bool InLoop = false;
    const FunctionDecl *Encl = enclosingFunction(S.Site);
    if (Encl)
      InLoop = inLoopWithin(S.Site, Encl);
    // The function that spawns is itself run more than once: called from
    // two or more places, or from a loop (Coordinator::start called for
    // each workflow). Each call starts another thread running the entry.
    if (!InLoop && Encl) {
      auto It = Callers.find(canon(Encl));
      if (It != Callers.end()) {
        // The graph keeps one edge per caller; count the calls themselves.
        unsigned Calls = 0;
        llvm::SmallPtrSet<const FunctionDecl *, 4> Seen;
        for (const auto &[Caller, Where] : It->second) {
          if (!Caller || !Caller->getBody() || !Seen.insert(Caller).second)
            continue;
          using namespace ast_matchers;
          for (const auto &N : match(
                   findAll(callExpr(callee(functionDecl(equalsNode(Encl))))
                               .bind("call")),
                   *Caller->getBody(), Ctx)) {
            ++Calls;
            if (inLoopWithin(N.getNodeAs<CallExpr>("call"), Caller))
              InLoop = true;
          }
        }
        if (Calls >= 2)
          InLoop = true;
      }
    }
    for (const FunctionDecl *FD : S.Entries) {
      ExecContext C;
      C.Id = Contexts.size();
      C.Site = &S;
      C.Entry = canon(FD);
      C.Multi = InLoop;
      std::string Name = FD->getNameAsString();
      if (const auto *MD = dyn_cast<CXXMethodDecl>(FD))
        if (MD->getParent()->isLambda())
          Name = "lambda";
      if (const auto *MD = dyn_cast<CXXMethodDecl>(FD))
        if (!MD->getParent()->isLambda() && MD->getOverloadedOperator() == OO_None)
          Name = MD->getParent()->getNameAsString() + "::" + Name;
      if (const auto *MD = dyn_cast<CXXMethodDecl>(FD))
        if (!MD->getParent()->isLambda() &&
            MD->getOverloadedOperator() == OO_Call)
          Name = MD->getParent()->getNameAsString() + "::operator()";
      C.Short = "thread entry '" + Name + "'";
      C.Label = "thread entry '" + Name + "' (" + S.Spawner + ", line " +
                std::to_string(SM.getExpansionLineNumber(S.Site->getBeginLoc())) +
                ")";
      Contexts.push_back(C);
      BFS(C.Id, {C.Entry});
    }
  }
}

bool ThreadContext::isBefore(const Stmt *A, const Stmt *B) const {
  const SourceManager &SM = Ctx.getSourceManager();
  return SM.isBeforeInTranslationUnit(SM.getExpansionLoc(A->getBeginLoc()),
                                      SM.getExpansionLoc(B->getBeginLoc()));
}

/// Walks the parents of `S` up to the body of `FD`; `Visit` sees each
/// ancestor statement and the child it came from.
template <typename Fn>
static void forEachAncestor(ASTContext &Ctx, const Stmt *S, Fn Visit) {
  DynTypedNode N = DynTypedNode::create(*S);
  for (int Depth = 0; Depth < 256; ++Depth) {
    auto Parents = Ctx.getParents(N);
    if (Parents.empty())
      return;
    const DynTypedNode &P = Parents[0];
    if (P.get<FunctionDecl>() || P.get<LambdaExpr>())
      return;
    if (const Stmt *PS = P.get<Stmt>())
      if (!Visit(PS, N.get<Stmt>()))
        return;
    N = P;
  }
}

bool ThreadContext::inLoopWithin(const Stmt *S, const FunctionDecl *) const {
  bool Loop = false;
  forEachAncestor(Ctx, S, [&](const Stmt *P, const Stmt *Child) {
    if (isLoop(P)) {
      // The init of a for loop and the range of a range-for run once.
      if (const auto *F = dyn_cast<ForStmt>(P))
        if (F->getInit() == Child)
          return true;
      if (const auto *RF = dyn_cast<CXXForRangeStmt>(P))
        if (RF->getRangeInit() == Child || RF->getRangeStmt() == Child)
          return true;
      Loop = true;
      return false;
    }
    return true;
  });
  return Loop;
}

const FunctionDecl *ThreadContext::enclosingFunction(const Stmt *S) const {
  if (!S)
    return nullptr;
  auto Cached = EnclosingCache.find(S);
  if (Cached != EnclosingCache.end())
    return Cached->second;
  const FunctionDecl *Result = nullptr;
  DynTypedNode N = DynTypedNode::create(*S);
  for (int Depth = 0; Depth < 512; ++Depth) {
    auto Parents = Ctx.getParents(N);
    if (Parents.empty())
      break;
    const DynTypedNode &P = Parents[0];
    if (const auto *FD = P.get<FunctionDecl>()) {
      Result = canon(FD);
      break;
    }
    if (const auto *L = P.get<LambdaExpr>())
      if (N.get<Stmt>() && N.get<Stmt>() == L->getBody()) {
        Result = canon(L->getCallOperator());
        break;
      }
    N = P;
  }
  EnclosingCache[S] = Result;
  return Result;
}

llvm::SmallVector<const FunctionDecl *, 2>
ThreadContext::enclosingFunctions(const Stmt *S) const {
  llvm::SmallVector<const FunctionDecl *, 2> Out;
  if (!S)
    return Out;
  llvm::SmallVector<DynTypedNode, 8> Work{DynTypedNode::create(*S)};
  for (int Steps = 0; !Work.empty() && Steps < 4096; ++Steps) {
    DynTypedNode N = Work.pop_back_val();
    for (const DynTypedNode &P : Ctx.getParents(N)) {
      const FunctionDecl *Found = nullptr;
      if (const auto *FD = P.get<FunctionDecl>())
        Found = FD;
      else if (const auto *L = P.get<LambdaExpr>();
               L && N.get<Stmt>() && N.get<Stmt>() == L->getBody())
        Found = L->getCallOperator();
      if (Found) {
        if (!Found->isDependentContext() &&
            !llvm::is_contained(Out, canon(Found)))
          Out.push_back(canon(Found));
        continue;
      }
      Work.push_back(P);
    }
  }
  return Out;
}

void ThreadContext::computeOrdering() {
  // Functions that start threads, directly or through callees.
  std::deque<const FunctionDecl *> Work;
  for (const SpawnSite &S : Sites)
    if (const FunctionDecl *F = enclosingFunction(S.Site))
      if (!Spawning.lookup(F)) {
        Spawning[F] = true;
        Work.push_back(F);
      }
  while (!Work.empty()) {
    const FunctionDecl *F = Work.front();
    Work.pop_front();
    for (const auto &[Caller, Where] : callers(F))
      if (Caller && !Spawning.lookup(Caller)) {
        Spawning[Caller] = true;
        Work.push_back(Caller);
      }
  }
  if (!Main || !Main->getDefinition() || !Main->getDefinition()->getBody())
    return;
  const FunctionDecl *MainDef = Main->getDefinition();
  const auto *Body = dyn_cast<CompoundStmt>(MainDef->getBody());
  if (!Body)
    return;

  // Spawning points of main: its own spawn sites, calls of spawning functions.
  std::vector<const Stmt *> Points;
  bool ThreadsSpawn = false, Executors = false, Detached = false;
  for (const SpawnSite &S : Sites) {
    const FunctionDecl *F = enclosingFunction(S.Site);
    if (F == Main)
      Points.push_back(S.Site);
    for (const Reach &R : reaches(F))
      ThreadsSpawn |= Contexts[R.Context].isThread();
    Executors |= S.Kind == SpawnKind::Executor ||
                 S.Kind == SpawnKind::HeuristicExecutor;
    Detached |= S.Fate == HandleFate::Detached;
  }
  for (const CallEdge &E : callees(Main))
    if (Spawning.lookup(E.Callee))
      Points.push_back(E.Where);
  if (Points.empty())
    return;
  const Stmt *First = Points[0], *Last = Points[0];
  for (const Stmt *P : Points) {
    if (isBefore(P, First))
      First = P;
    if (isBefore(Last, P))
      Last = P;
  }
  FirstSpawnInMain = First;

  // After the last spawning point, the last top-level statement of main
  // that joins (a join or wait call, or a call of a function that joins).
  if (ThreadsSpawn || Executors || Detached)
    return;
  auto IsJoinCall = [&](const CallExpr *C) {
    std::string N = calleeName(C);
    if (isa<CXXMemberCallExpr>(C)) {
      for (const ThreadTypeRule &R : Rules.ThreadTypes)
        if (llvm::is_contained(R.Join, N))
          return true;
      for (const FutureTypeRule &R : Rules.FutureTypes)
        if (llvm::is_contained(R.Wait, N))
          return true;
      return false;
    }
    for (const ThreadFunctionRule &R : Rules.ThreadFunctions)
      if (llvm::is_contained(R.Join, N))
        return true;
    return false;
  };
  struct CallFinder : RecursiveASTVisitor<CallFinder> {
    std::function<bool(const CallExpr *)> Is;
    bool Found = false;
    bool VisitCallExpr(CallExpr *C) {
      Found |= Is(C);
      return !Found;
    }
  };
  llvm::DenseMap<const FunctionDecl *, bool> Joining;
  for (const FunctionDecl *F : Functions) {
    const FunctionDecl *Def = F->getDefinition();
    if (!Def || !Def->getBody())
      continue;
    CallFinder Fd;
    Fd.Is = IsJoinCall;
    Fd.TraverseStmt(const_cast<Stmt *>(Def->getBody()));
    if (Fd.Found)
      Joining[F] = true;
  }
  // Propagate to callers (only functions not started as threads matter).
  std::deque<const FunctionDecl *> JW;
  for (const auto &[F, B] : Joining)
    JW.push_back(F);
  while (!JW.empty()) {
    const FunctionDecl *F = JW.front();
    JW.pop_front();
    for (const auto &[Caller, Where] : callers(F))
      if (Caller && !Joining.lookup(Caller)) {
        Joining[Caller] = true;
        JW.push_back(Caller);
      }
  }
  // Does statement `Top` join: a join or wait, or a call of a function
  // that joins without spawning?
  auto JoinsIn = [&](const Stmt *Top) {
    CallFinder Fd;
    Fd.Is = [&](const CallExpr *C) {
      if (IsJoinCall(C))
        return true;
      const FunctionDecl *Callee = canon(C->getDirectCallee());
      return Callee && Joining.lookup(Callee) && !Spawning.lookup(Callee);
    };
    Fd.TraverseStmt(const_cast<Stmt *>(Top));
    return Fd.Found;
  };
  for (const Stmt *Top : Body->body()) {
    if (!isBefore(Last, Top) && Top != Last)
      continue;
    bool Joins = JoinsIn(Top);
    // The spawning point itself may be in this statement (a loop that
    // starts and joins): only a statement wholly after it counts.
    if (Joins && isBefore(Last, Top))
      JoinedInMain = Top;
  }

  // Batches: the innermost loop whose body holds every spawning point of
  // main and, after the last one, a statement that joins. Each iteration
  // then starts its threads and joins them before the next begins.
  forEachAncestor(Ctx, First, [&](const Stmt *P, const Stmt *Child) {
    if (!isLoop(P))
      return true;
    const Stmt *B = nullptr;
    if (const auto *F = dyn_cast<ForStmt>(P))
      B = F->getBody();
    else if (const auto *W = dyn_cast<WhileStmt>(P))
      B = W->getBody();
    else if (const auto *D = dyn_cast<DoStmt>(P))
      B = D->getBody();
    else if (const auto *R = dyn_cast<CXXForRangeStmt>(P))
      B = R->getBody();
    const auto *Block = dyn_cast_or_null<CompoundStmt>(B);
    if (!Block || B != Child)
      return true;
    const Stmt *FirstTop = topIn(Block, First);
    const Stmt *LastTop = topIn(Block, Last);
    bool AllInside = FirstTop && LastTop;
    for (const Stmt *Pt : Points)
      AllInside = AllInside && topIn(Block, Pt) != nullptr;
    if (!AllInside)
      return true;
    for (const Stmt *Top : Block->body()) {
      if (!isBefore(LastTop, Top) || Top == LastTop)
        continue;
      if (JoinsIn(Top)) {
        BatchLoop = P;
        BatchBody = Block;
        BatchFirst = FirstTop;
        BatchJoin = Top;
        return false;
      }
    }
    return true;
  });
}

const Stmt *ThreadContext::topIn(const Stmt *Block, const Stmt *S) const {
  if (S == Block)
    return nullptr;
  const Stmt *Top = nullptr;
  forEachAncestor(Ctx, S, [&](const Stmt *P, const Stmt *Child) {
    if (P == Block) {
      Top = Child;
      return false;
    }
    return true;
  });
  return Top;
}

bool ThreadContext::orderedWithThreads(const Stmt *S,
                                       const FunctionDecl *FD) const {
  FD = canon(FD);
  if (!FD)
    return true; // static initialization, before main
  for (const Reach &R : reaches(FD))
    if (Contexts[R.Context].isThread())
      return false;
  if (FD == Main) {
    if (FirstSpawnInMain && isBefore(S, FirstSpawnInMain)) {
      // Not in a loop that also contains the first spawn.
      bool SharedLoop = false;
      const SourceManager &SM = Ctx.getSourceManager();
      SourceLocation SpawnLoc =
          SM.getExpansionLoc(FirstSpawnInMain->getBeginLoc());
      forEachAncestor(Ctx, S, [&](const Stmt *P, const Stmt *) {
        if (isLoop(P)) {
          SourceLocation B = SM.getExpansionLoc(P->getBeginLoc());
          SourceLocation E = SM.getExpansionLoc(P->getEndLoc());
          if (!SM.isBeforeInTranslationUnit(SpawnLoc, B) &&
              !SM.isBeforeInTranslationUnit(E, SpawnLoc))
            SharedLoop = true;
        }
        return !SharedLoop;
      });
      if (!SharedLoop)
        return true;
    }
    if (BatchBody) {
      // Between batches: before the body's first spawning statement, or
      // after its joining one; or after the loop, when every batch is
      // joined.
      if (const Stmt *T = topIn(BatchBody, S))
        if (isBefore(T, BatchFirst) ||
            (T != BatchJoin && isBefore(BatchJoin, T)))
          return true;
      const SourceManager &SM = Ctx.getSourceManager();
      bool InLoop = false;
      forEachAncestor(Ctx, BatchLoop, [&](const Stmt *P, const Stmt *) {
        InLoop |= isLoop(P);
        return !InLoop;
      });
      if (!InLoop && SM.isBeforeInTranslationUnit(
                         SM.getExpansionLoc(BatchLoop->getEndLoc()),
                         SM.getExpansionLoc(S->getBeginLoc())))
        return true;
    }
    if (JoinedInMain && isBefore(JoinedInMain, S)) {
      const SourceManager &SM = Ctx.getSourceManager();
      if (SM.isBeforeInTranslationUnit(
              SM.getExpansionLoc(JoinedInMain->getEndLoc()),
              SM.getExpansionLoc(S->getBeginLoc())))
        return true;
    }
    return false;
  }
  // A function every caller of which calls it at an ordered point.
  auto Cs = callers(FD);
  if (Cs.empty())
    return false;
  // Guard against recursion with a depth-limited walk.
  struct Walk {
    const ThreadContext &TC;
    llvm::DenseSet<const FunctionDecl *> Visiting;
    bool ordered(const FunctionDecl *F) {
      if (!Visiting.insert(F).second)
        return false;
      auto Cs = TC.callers(F);
      if (Cs.empty())
        return false;
      for (const auto &[Caller, Where] : Cs) {
        if (!Caller)
          continue;
        if (Caller == TC.Main) {
          if (!TC.orderedWithThreads(Where, Caller))
            return false;
          continue;
        }
        for (const Reach &R : TC.reaches(Caller))
          if (TC.Contexts[R.Context].isThread())
            return false;
        if (!ordered(Caller))
          return false;
      }
      return true;
    }
  } W{*this, {}};
  return W.ordered(FD);
}

llvm::ArrayRef<Reach> ThreadContext::reaches(const FunctionDecl *FD) const {
  auto It = Reaches.find(canon(FD));
  if (It == Reaches.end())
    return {};
  return It->second;
}

llvm::ArrayRef<CallEdge> ThreadContext::callees(const FunctionDecl *FD) const {
  auto It = Edges.find(canon(FD));
  if (It == Edges.end())
    return {};
  return It->second;
}

llvm::ArrayRef<std::pair<const FunctionDecl *, const Stmt *>>
ThreadContext::callers(const FunctionDecl *FD) const {
  auto It = Callers.find(canon(FD));
  if (It == Callers.end())
    return {};
  return It->second;
}

bool ThreadContext::calls(
    const FunctionDecl *From, const FunctionDecl *To,
    llvm::SmallVectorImpl<const FunctionDecl *> *Chain) const {
  From = canon(From);
  To = canon(To);
  llvm::DenseMap<const FunctionDecl *, const FunctionDecl *> Parent;
  std::deque<const FunctionDecl *> Queue{From};
  Parent[From] = nullptr;
  bool Found = false;
  while (!Queue.empty() && !Found) {
    const FunctionDecl *F = Queue.front();
    Queue.pop_front();
    for (const CallEdge &E : callees(F)) {
      if (E.Callee == To) {
        Parent.try_emplace(To, F);
        if (To == From)
          Parent[To] = F;
        Found = true;
        break;
      }
      if (Parent.try_emplace(E.Callee, F).second)
        Queue.push_back(E.Callee);
    }
  }
  if (Found && Chain) {
    Chain->clear();
    Chain->push_back(To);
    for (const FunctionDecl *P = Parent.lookup(To); P && P != From;
         P = Parent.lookup(P))
      Chain->push_back(P);
    Chain->push_back(From);
    std::reverse(Chain->begin(), Chain->end());
  }
  return Found;
}

std::string
ThreadContext::chainText(llvm::ArrayRef<const FunctionDecl *> Chain) {
  std::string S;
  for (const FunctionDecl *F : Chain) {
    if (!S.empty())
      S += " -> ";
    const auto *MD = dyn_cast<CXXMethodDecl>(F);
    if (MD && MD->getParent()->isLambda())
      S += "lambda";
    else if (MD && MD->getOverloadedOperator() == OO_Call)
      S += MD->getParent()->getNameAsString() + "::operator()";
    else if (MD)
      S += MD->getParent()->getNameAsString() + "::" + MD->getNameAsString();
    else
      S += F->getNameAsString();
  }
  return S;
}

ContextSummary ThreadContext::exportSummary() const {
  ContextSummary Out;
  auto USR = [](const Decl *D) {
    llvm::SmallString<128> Buf;
    if (index::generateUSRForDecl(D, Buf))
      return std::string();
    return std::string(Buf.str());
  };
  for (const FunctionDecl *F : Functions) {
    ContextSummary::Function Fn;
    Fn.USR = USR(F);
    Fn.Name = F->getQualifiedNameAsString();
    for (const CallEdge &E : callees(F))
      Fn.Callees.push_back(USR(E.Callee));
    Out.Functions.push_back(std::move(Fn));
  }
  for (const SpawnSite &S : Sites)
    for (const FunctionDecl *FD : S.Entries)
      Out.Entries.push_back({USR(FD), S.Spawner});
  return Out;
}

} // namespace tether
