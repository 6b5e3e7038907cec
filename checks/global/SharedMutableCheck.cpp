//===--- SharedMutableCheck.cpp - global-shared-mutable -------------------===//

#include "SharedMutableCheck.h"

#include "GlobalAccess.h"

#include "analysis/ExprUtils.h"
#include "analysis/SharedAnalyses.h"
#include "analysis/SpawnSites.h"

#include "clang/AST/ASTContext.h"
#include "clang/AST/DeclCXX.h"
#include "clang/Basic/SourceManager.h"

using namespace clang;
using namespace clang::ast_matchers;

namespace tether {

static constexpr llvm::StringLiteral Advice =
    "give the state one owner (a tether::server that holds it and answers "
    "calls) or keep it in a tether::state_store";

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
      if (TC.orderedWithThreads(E, FD) || runsOnce(FD, TC))
        continue;
      GlobalAccess A;
      A.Ref = E;
      A.Function = FD;
      A.Write = isWriteAccess(E, *Ctx);
      A.Atomic = isAtomicAccess(E, *Ctx, rules());
      A.Held = Locks.heldAt(E, FD);
      Concurrent.push_back(std::move(A));
    }
    // Find a write and an access in another context (or the same write on
    // several threads running one entry).
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
    // Synchronized: every concurrent access atomic, or one mutex held by all.
    bool AllAtomic = llvm::all_of(
        Concurrent, [](const GlobalAccess &A) { return A.Atomic; });
    if (AllAtomic)
      continue;
    llvm::SmallVector<const ValueDecl *, 2> Common = Concurrent[0].Held;
    for (const GlobalAccess &A : Concurrent)
      llvm::erase_if(Common, [&](const ValueDecl *M) {
        return !llvm::is_contained(A.Held, M);
      });
    if (!Common.empty())
      continue;

    std::string Name = VD->getNameAsString();
    std::string Msg;
    if (RW->Context == RX->Context)
      Msg = "'" + Name + "' is written here by every thread that runs " +
            TC.context(RW->Context).Label +
            ", which is started several times, with no common lock: a data "
            "race, which is undefined behaviour (lost updates, torn values); " +
            Advice.str();
    else
      Msg = "'" + Name + "' is written here on " +
            TC.context(RW->Context).Label + " and " + accessWord(X->Write) +
            " on " + TC.context(RX->Context).Label +
            " with no common lock: a data race, which is undefined "
            "behaviour (lost updates, torn values); " +
            Advice.str();
    DiagBuilder D = diag(W->Ref->getBeginLoc(), Msg);
    D.note(VD->getLocation(), "'" + Name + "' is declared here");
    if (X->Ref != W->Ref)
      D.note(X->Ref->getBeginLoc(),
             "the conflicting " + std::string(X->Write ? "write" : "read") +
                 " is here");
    chainNote(D, TC, *RW, true);
    if (RX->Context != RW->Context)
      chainNote(D, TC, *RX, X->Write);
    Reported.insert(VD);
  }

  if (Strict)
    for (const VarDecl *VD : Definitions) {
      if (Reported.count(VD->getCanonicalDecl()))
        continue;
      const VarDecl *Def = VD->getDefinition() ? VD->getDefinition() : VD;
      diag(Def->getLocation(),
           "'" + Def->getNameAsString() +
               "' is mutable state with static storage (--strict-globals): "
               "any thread can reach it, and nothing says which may; " +
               Advice.str());
    }
  Refs.clear();
  Definitions.clear();
  OnceEntries.clear();
}

} // namespace tether
