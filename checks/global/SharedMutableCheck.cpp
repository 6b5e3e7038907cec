//===--- SharedMutableCheck.cpp - global-shared-mutable -------------------===//

#include "SharedMutableCheck.h"

#include "analysis/GlobalAccess.h"
#include "analysis/StmtParents.h"

#include "analysis/ExprUtils.h"
#include "analysis/SharedAnalyses.h"
#include "analysis/SpawnSites.h"

#include "clang/AST/ASTContext.h"
#include "clang/AST/DeclCXX.h"
#include "clang/AST/ParentMapContext.h"
#include "clang/Basic/SourceManager.h"
#include "clang/Index/USRGeneration.h"
#include "llvm/ADT/SmallString.h"

#include <optional>

using namespace clang;
using namespace clang::ast_matchers;

namespace tether {

static constexpr llvm::StringLiteral Cure =
    "give the state one owner, a tether::server that holds it and answers "
    "calls, or keep it in a tether::state_store";

void SharedMutableCheck::registerMatchers(MatchFinder *Finder) {
  auto Global = varDecl(hasGlobalStorage());
  Finder->addMatcher(declRefExpr(to(Global)).bind("ref"), this);
  Finder->addMatcher(memberExpr(member(Global)).bind("ref"), this);
  Finder->addMatcher(varDecl(hasGlobalStorage(), isDefinition()).bind("def"),
                     this);
  std::vector<std::string> Once;
  for (const OnceFunctionRule &R : rules().OnceFunctions)
    Once.push_back(R.Function);
  if (!Once.empty())
    Finder->addMatcher(
        callExpr(callee(functionDecl(hasAnyName(
                     std::vector<StringRef>(Once.begin(), Once.end())))))
            .bind("once"),
        this);
}

/// A variable this check is about: mutable, shared storage, user code.
static bool isCandidate(const VarDecl *VD, const RuleSet &Rules,
                        const SourceManager &SM) {
  if (!VD || VD->isConstexpr() || VD->getTLSKind() != VarDecl::TLS_None ||
      !VD->hasGlobalStorage() || VD->getType()->isReferenceType() ||
      VD->getType()->isDependentType() || VD->isImplicit())
    return false;
  ASTContext &Ctx = VD->getASTContext();
  if (Ctx.getBaseElementType(VD->getType()).isConstQualified())
    return false;
  SourceLocation L = SM.getExpansionLoc(VD->getLocation());
  if (L.isInvalid() || SM.isInSystemHeader(L))
    return false;
  if (const auto *DC = VD->getDeclContext())
    if (DC->isDependentContext())
      return false;
  return !isSelfSynchronizedType(VD->getType(), Rules);
}

void SharedMutableCheck::check(const MatchFinder::MatchResult &R) {
  if (const auto *C = R.Nodes.getNodeAs<CallExpr>("once")) {
    // std::call_once(flag, init): init's writes happen before every caller
    // goes on, so they need no lock.
    const OnceFunctionRule *Rule =
        rules().onceFunction(qualifiedName(C->getDirectCallee()));
    if (Rule && Rule->EntryArg < C->getNumArgs())
      for (const FunctionDecl *FD :
           resolveCallable(C->getArg(Rule->EntryArg), *R.Context))
        OnceEntries.insert(FD->getCanonicalDecl());
    return;
  }
  if (const auto *VD = R.Nodes.getNodeAs<VarDecl>("def")) {
    if (isCandidate(VD, rules(), *R.SourceManager))
      Definitions.insert(VD->getCanonicalDecl());
    return;
  }
  const auto *E = R.Nodes.getNodeAs<Expr>("ref");
  const ValueDecl *D = nullptr;
  if (const auto *DRE = dyn_cast<DeclRefExpr>(E))
    D = DRE->getDecl();
  else if (const auto *ME = dyn_cast<MemberExpr>(E))
    D = ME->getMemberDecl();
  const auto *VD = dyn_cast_or_null<VarDecl>(D);
  if (!VD || !isCandidate(VD, rules(), *R.SourceManager))
    return;
  SourceLocation L = R.SourceManager->getExpansionLoc(E->getBeginLoc());
  if (R.SourceManager->isInSystemHeader(L))
    return;
  Refs[VD->getCanonicalDecl()].push_back(E);
}

namespace {

std::string accessWord(bool Write) { return Write ? "written" : "read"; }

/// The note that says how a context reaches an access.
void chainNote(DiagBuilder &D, const ThreadContext &TC, const Reach &R,
               bool Write) {
  const ExecContext &C = TC.context(R.Context);
  std::string Chain = ThreadContext::chainText(R.Chain);
  std::string What = Write ? "the write" : "the read";
  if (C.isThread()) {
    D.note(C.Site->Site->getBeginLoc(),
           "thread entry started here" +
               std::string(C.Multi ? " (several times)" : "") +
               "; it reaches " + What + " through " + Chain);
    return;
  }
  D.note(R.Chain.front()->getLocation(),
         "non-thread code reaches " + What + " through " + Chain);
}

/// `g[i] = ...` with a non-constant index into an array or a sequence
/// container from the rule packs (std::vector, std::array, std::deque):
/// each thread may own a slot. Not std::map: its operator[] inserts.
bool writesIndexedElement(const Expr *Ref, ASTContext &Ctx,
                          const RuleSet &Rules) {
  auto Parents = Ctx.getParents(*Ref);
  while (!Parents.empty()) {
    const auto *P = Parents[0].get<Expr>();
    if (!P)
      return false;
    if (isa<ImplicitCastExpr, ParenExpr>(P)) {
      Parents = Ctx.getParents(*P);
      continue;
    }
    const Expr *Index = nullptr;
    if (const auto *ASE = dyn_cast<ArraySubscriptExpr>(P))
      Index = ASE->getIdx();
    else if (const auto *OC = dyn_cast<CXXOperatorCallExpr>(P))
      if (OC->getOperator() == OO_Subscript && OC->getNumArgs() == 2 &&
          !containerElement(OC->getArg(0)->getType(), Rules).isNull())
        Index = OC->getArg(1);
    return Index && !Index->isValueDependent() &&
           !Index->isIntegerConstantExpr(Ctx);
  }
  return false;
}

/// The lifetime of a thread started into a local handle that one statement
/// of the same block joins (or a std::jthread, joined when its block
/// ends), with nothing else done to the handle: the thread runs only
/// between Begin and End, in function Fn.
struct ScopedWindow {
  const FunctionDecl *Fn = nullptr;
  SourceLocation Begin, End;
};

std::optional<ScopedWindow> scopedWindow(const SpawnSite &S,
                                         const RuleSet &Rules,
                                         ASTContext &Ctx) {
  if (S.Kind != SpawnKind::ThreadObject || S.Fate == HandleFate::Detached)
    return std::nullopt;
  const auto *V = dyn_cast_or_null<VarDecl>(valueHolder(S.Site, Ctx));
  if (!V || !V->hasLocalStorage() || isa<ParmVarDecl>(V) ||
      V->getType()->isReferenceType())
    return std::nullopt;
  const ThreadTypeRule *Rule = threadRule(V->getType(), Rules);
  const auto *Fn = dyn_cast_or_null<FunctionDecl>(V->getParentFunctionOrMethod());
  if (!Rule || !Fn || !Fn->getBody())
    return std::nullopt;
  // The block that declares the handle.
  const CompoundStmt *Block = nullptr;
  for (const auto &P : Ctx.getParents(*V))
    if (const auto *DS = P.get<DeclStmt>())
      for (const auto &PP : Ctx.getParents(*DS))
        Block = PP.get<CompoundStmt>();
  if (!Block)
    return std::nullopt;
  ScopedWindow W;
  W.Fn = Fn;
  W.Begin = S.Site->getBeginLoc();
  const Expr *Join = nullptr;
  for (const Expr *Ref : referencesTo(V, Fn->getBody(), Ctx)) {
    const CXXMemberCallExpr *MC = nullptr;
    if (classifyUse(Ref, Ctx, &MC) != UseKind::MethodCall || !MC)
      return std::nullopt; // moved, escaped, reassigned: not followed
    std::string M = calleeName(MC);
    if (llvm::is_contained(Rule->Detach, M))
      return std::nullopt;
    if (!llvm::is_contained(Rule->Join, M))
      continue; // joinable(), get_id(), request_stop(), ...
    // Only a join that is a statement of the handle's own block: one that
    // runs on every path through it.
    const Stmt *Cur = MC;
    for (int Depth = 0; Depth < 4; ++Depth) {
      auto Parents = Ctx.getParents(*Cur);
      const Stmt *P = Parents.empty() ? nullptr : Parents[0].get<Stmt>();
      if (!P)
        break;
      if (P == Block) {
        Join = MC;
        break;
      }
      if (!isa<ExprWithCleanups, ImplicitCastExpr, CStyleCastExpr>(P))
        break;
      Cur = P;
    }
  }
  if (Join)
    W.End = Join->getEndLoc();
  else if (Rule->OnDestroy == OnDestroyJoinable::Join)
    W.End = Block->getEndLoc(); // std::jthread: joined when its block ends
  else
    return std::nullopt;
  return W;
}

} // namespace

void SharedMutableCheck::onEndOfTranslationUnit() {
  ASTContext *Ctx = context().astContext();
  bool Strict = context().options().StrictGlobals;
  auto It = context().options().Values.find("global-shared-mutable.Strict");
  if (It != context().options().Values.end())
    Strict = It->second == "true" || It->second == "1";
  if (!Ctx || (Refs.empty() && (!Strict || Definitions.empty()))) {
    Refs.clear();
    Definitions.clear();
    OnceEntries.clear();
    return;
  }
  ThreadContext &TC = threadContext(context()); // shared by all checks
  llvm::DenseMap<const SpawnSite *, std::optional<ScopedWindow>> Windows;
  // A once entry, or a function only once entries call.
  auto runsOnce = [this](const FunctionDecl *FD, const ThreadContext &TC) {
    if (OnceEntries.count(FD->getCanonicalDecl()))
      return true;
    auto Callers = TC.callers(FD);
    return !Callers.empty() &&
           llvm::all_of(Callers, [this](const auto &C) {
             return OnceEntries.count(C.first->getCanonicalDecl()) != 0;
           });
  };
  LockAnalysis Locks(*Ctx, rules(), TC);
  llvm::DenseSet<const VarDecl *> Reported;

  for (auto &[VD, Exprs] : Refs) {
    if (TC.sites().empty())
      break;
    std::vector<GlobalAccess> Concurrent;
    for (const Expr *E : Exprs)
      for (const FunctionDecl *FD : TC.enclosingFunctions(E)) {
      if (usesSynchronizedMember(E, *Ctx, rules()))
        break; // locking `&s.mutex` is not an access of `s`'s data
      if (TC.orderedWithThreads(E, FD) || runsOnce(FD, TC))
        continue;
      GlobalAccess A;
      A.Ref = E;
      A.Function = FD;
      A.Write = isWriteAccess(E, *Ctx, &rules());
      A.Atomic = isAtomicAccess(E, *Ctx, rules());
      A.Held = Locks.heldAt(E, FD);
      A.Path = memberPath(E, *Ctx);
      Concurrent.push_back(std::move(A));
    }
    // A thread whose lifetime is scoped to one stretch of one function
    // (started into a local, joined in the same block) runs beside other
    // code only while that stretch runs: an access of the other code
    // outside it, and outside what it calls, is ordered with the thread.
    // An access of non-thread code that precedes, in the same function,
    // the start of a thread, outside any loop around that start, happens
    // before the thread runs (the start synchronizes with the thread's
    // first statement): `init()` fills a queue, then creates its workers.
    // Only for a function called at most once in the file.
    auto startsAfter = [&](const GlobalAccess &Acc, const ExecContext &T) {
      return T.Site && TC.callers(Acc.Function).size() <= 1 &&
             precedesThreadStart(Acc.Ref, Acc.Function, T.Site->Site, TC,
                                 *Ctx);
    };
    auto overlaps = [&](const GlobalAccess &A, const Reach &Ra,
                        const GlobalAccess &B, const Reach &Rb) {
      const ExecContext &Ca = TC.context(Ra.Context);
      const ExecContext &Cb = TC.context(Rb.Context);
      if ((!Ca.isThread() && Cb.isThread() && startsAfter(A, Cb)) ||
          (!Cb.isThread() && Ca.isThread() && startsAfter(B, Ca)))
        return false;
      // The window of a thread context, when its function runs only in
      // non-thread code (sequentially, on the thread that calls main).
      auto WindowOf = [&](const ExecContext &C) -> const ScopedWindow * {
        auto It = Windows.find(C.Site);
        if (It == Windows.end())
          It = Windows.try_emplace(C.Site, scopedWindow(*C.Site, rules(), *Ctx))
                   .first;
        if (!It->second)
          return nullptr;
        for (const Reach &R : TC.reaches(It->second->Fn))
          if (TC.context(R.Context).isThread())
            return nullptr;
        return &*It->second;
      };
      const SourceManager &SM = Ctx->getSourceManager();
      // Does code at `L` in `Fn` run while the thread of window `W` runs:
      // inside the window, or in something called from inside it?
      auto During = [&](const ScopedWindow &W, const FunctionDecl *Fn,
                        SourceLocation L) {
        auto Inside = [&](SourceLocation X) {
          X = SM.getExpansionLoc(X);
          return SM.isBeforeInTranslationUnit(SM.getExpansionLoc(W.Begin),
                                              X) &&
                 SM.isBeforeInTranslationUnit(X, SM.getExpansionLoc(W.End));
        };
        if (Fn == W.Fn && Inside(L))
          return true;
        for (const CallEdge &E : TC.callees(W.Fn))
          if (E.Where && Inside(E.Where->getBeginLoc()) &&
              (E.Callee == Fn || TC.calls(E.Callee, Fn)))
            return true;
        return false;
      };
      if (Ca.isThread() && Cb.isThread()) {
        // Two scoped threads started one after the other do not overlap.
        const ScopedWindow *Wa = WindowOf(Ca), *Wb = WindowOf(Cb);
        if (!Wa || !Wb)
          return true;
        return During(*Wa, Wb->Fn, Wb->Begin) ||
               During(*Wb, Wa->Fn, Wa->Begin);
      }
      if (!Ca.isThread() && !Cb.isThread())
        return true;
      const ExecContext &Thread = Ca.isThread() ? Ca : Cb;
      const GlobalAccess &Other = Ca.isThread() ? B : A;
      const ScopedWindow *W = WindowOf(Thread);
      if (!W)
        return true;
      return During(*W, Other.Function, Other.Ref->getBeginLoc());
    };
    // Two accesses race unless both are atomic or they hold a common lock:
    // lock sets are compared per pair, not over all accesses.
    auto Unordered = [](const GlobalAccess &A, const GlobalAccess &B) {
      if (A.Atomic && B.Atomic)
        return false;
      // Different members are different memory locations.
      if (!samePlace(A.Path, B.Path))
        return false;
      for (const ValueDecl *M : A.Held)
        if (llvm::is_contained(B.Held, M))
          return false;
      return true;
    };
    // Find a write and an access in another context (or the same write on
    // several threads running one entry) that race.
    const GlobalAccess *W = nullptr, *X = nullptr;
    const Reach *RW = nullptr, *RX = nullptr;
    for (const GlobalAccess &A : Concurrent) {
      if (!A.Write || (W && X != W))
        continue;
      for (const Reach &Ra : TC.reaches(A.Function)) {
        for (const GlobalAccess &B : Concurrent)
          for (const Reach &Rb : TC.reaches(B.Function)) {
            // One write racing with itself on another thread: a slot
            // per thread (`results[i] = ...`) is assumed, not a race.
            if (&A == &B && writesIndexedElement(A.Ref, *Ctx, rules()))
              continue;
            bool Differ = Ra.Context != Rb.Context;
            bool SelfRace = !Differ && TC.context(Ra.Context).Multi;
            if (!Differ && !SelfRace)
              continue;
            if (!TC.context(Ra.Context).isThread() &&
                !TC.context(Rb.Context).isThread())
              continue;
            if (!Unordered(A, B))
              continue;
            if (Differ && !overlaps(A, Ra, B, Rb))
              continue;
            // Prefer a pair of two accesses in two contexts.
            if (!W || (X == W && &B != &A && Differ)) {
              W = &A;
              X = &B;
              RW = &Ra;
              RX = &Rb;
            }
          }
      }
    }
    if (!W)
      continue;
    // The primary location is the access that takes no lock (the write
    // when both take none); the other is a note.
    auto Bare = [](const GlobalAccess *A) {
      return A->Held.empty() && !A->Atomic;
    };
    if (X != W && !Bare(W) && Bare(X)) {
      std::swap(W, X);
      std::swap(RW, RX);
    }

    std::string Var = VD->getNameAsString();
    // The memory location both touch: `stats.bytes` when both select it.
    std::string Name = Var;
    for (size_t I = 0; I < W->Path.size() && I < X->Path.size() &&
                       W->Path[I] == X->Path[I];
         ++I)
      Name += "." + W->Path[I]->getNameAsString();
    std::string Msg;
    if (RW->Context == RX->Context)
      Msg = "data race: '" + Name + "' is written here by every thread that "
            "runs " + TC.context(RW->Context).Short + ", with no lock";
    else
      Msg = "data race: '" + Name + "' is " + accessWord(W->Write) +
            " here on " + TC.context(RW->Context).Short + " and " +
            accessWord(X->Write) + " on " + TC.context(RX->Context).Short +
            " with no common lock";
    DiagBuilder D = diag(W->Ref->getBeginLoc(), Msg);
    D.cure(Cure);
    D.note(VD->getLocation(), "'" + Var + "' is declared here");
    if (X->Ref != W->Ref)
      D.note(X->Ref->getBeginLoc(),
             "the conflicting " + std::string(X->Write ? "write" : "read") +
                 " is here" +
                 (X->Held.empty() ? std::string()
                                  : ", under a lock the other access does "
                                    "not hold"));
    chainNote(D, TC, *RW, W->Write);
    if (RX->Context != RW->Context)
      chainNote(D, TC, *RX, X->Write);
    Reported.insert(VD);
    llvm::SmallString<128> USR;
    if (!index::generateUSRForDecl(VD, USR))
      context().markReported(std::string(USR));
  }

  if (Strict)
    for (const VarDecl *VD : Definitions) {
      if (Reported.count(VD->getCanonicalDecl()))
        continue;
      const VarDecl *Def = VD->getDefinition() ? VD->getDefinition() : VD;
      diag(Def->getLocation(),
           "'" + Def->getNameAsString() +
               "' is mutable state with static storage (--strict-globals): "
               "any thread can reach it")
          .cure(Cure);
    }
  Refs.clear();
  Definitions.clear();
  OnceEntries.clear();
}

} // namespace tether
