//===--- EscapingExceptionCheck.cpp - supervision-escaping-exception ------===//

#include "EscapingExceptionCheck.h"

#include "analysis/ThrowAnalysis.h"

#include "analysis/ExprUtils.h"
#include "analysis/SharedAnalyses.h"

#include "clang/AST/ASTContext.h"
#include "clang/AST/Decl.h"
#include "clang/AST/ExprCXX.h"
#include "clang/AST/ParentMapContext.h"

using namespace clang;
using namespace clang::ast_matchers;

namespace tether {

namespace {

/// The local future variable that keeps what an async call returns
/// (`auto f = std::async(...)`, `f = std::async(...)`), or null when the
/// future goes anywhere else (a member, a container, a return, an argument).
const VarDecl *futureVariable(const Expr *Call, const RuleSet &Rules,
                              ASTContext &Ctx) {
  const auto *VD = dyn_cast_or_null<VarDecl>(valueHolder(Call, Ctx));
  return VD && VD->hasLocalStorage() && !isa<ParmVarDecl>(VD) &&
                 futureRule(VD->getType(), Rules)
             ? VD
             : nullptr;
}

/// A future variable of the enclosing function that is never waited on
/// (no get(), wait*(), share() - the rule pack's `wait` methods) and never
/// handed to other code (moved, returned, passed by reference).
bool neverWaited(const VarDecl *V, const RuleSet &Rules, ASTContext &Ctx) {
  const auto *FD =
      dyn_cast_or_null<FunctionDecl>(V->getParentFunctionOrMethod());
  if (!FD || !FD->getBody())
    return false;
  const FutureTypeRule *Rule = futureRule(V->getType(), Rules);
  if (!Rule)
    return false;
  for (const Expr *Ref : referencesTo(V, FD->getBody(), Ctx)) {
    const CXXMemberCallExpr *MC = nullptr;
    UseKind K = classifyUse(Ref, Ctx, &MC);
    if (K == UseKind::Escaped || K == UseKind::Moved ||
        K == UseKind::Assigned)
      return false;
    if (K == UseKind::MethodCall && MC &&
        llvm::is_contained(Rule->Wait, calleeName(MC)))
      return false;
  }
  return true;
}

/// std::async(std::launch::deferred, f): the task runs only in get() or
/// wait(), on the waiter's thread; a future nobody waits on never runs it.
bool isDeferredOnly(const Expr *Site) {
  const auto *C = dyn_cast<CallExpr>(Site);
  if (!C)
    return false;
  for (const Expr *A : C->arguments()) {
    const auto *DRE = dyn_cast<DeclRefExpr>(A->IgnoreParenImpCasts());
    const auto *EC = DRE ? dyn_cast<EnumConstantDecl>(DRE->getDecl()) : nullptr;
    if (!EC)
      continue;
    const auto *ED = dyn_cast<EnumDecl>(EC->getDeclContext());
    if (ED && ED->getName() == "launch" && EC->getName() == "deferred")
      return true;
  }
  return false;
}

std::string entryName(const FunctionDecl *Entry) {
  return ThreadContext::chainText({Entry});
}

} // namespace

void EscapingExceptionCheck::registerMatchers(MatchFinder *Finder) {
  // The analysis is whole-TU: one match to run it once.
  Finder->addMatcher(translationUnitDecl().bind("tu"), this);
}

void EscapingExceptionCheck::check(const MatchFinder::MatchResult &R) {
  ASTContext &Ctx = *R.Context;
  ThrowAnalysis &Throws = throwAnalysis(context());
  for (const SpawnSite &S : spawnSites(context())) {
    // Where does an exception that leaves the entry go?
    //  - a thread: std::terminate;
    //  - an executor task: out of the executor's worker loop;
    //  - std::async: into the future, which rethrows it in get(); lost only
    //    when nobody ever reads the future.
    //  - an executor method that returns a future (BS::thread_pool's
    //    submit_task): into that future, as for std::async.
    const VarDecl *Future = nullptr;
    bool Executor = S.Kind == SpawnKind::Executor ||
                    S.Kind == SpawnKind::HeuristicExecutor;
    bool ToFuture = S.Kind == SpawnKind::Async ||
                    (Executor && futureRule(S.Site->getType(), rules()));
    if (ToFuture) {
      if (S.Kind == SpawnKind::Async && isDeferredOnly(S.Site))
        continue; // runs in the waiter, or never
      if (S.Fate != HandleFate::Discarded &&
          !(Executor && isDiscarded(S.Site, Ctx))) {
        Future = futureVariable(S.Site, rules(), Ctx);
        if (!Future || !neverWaited(Future, rules(), Ctx))
          continue; // someone waits (or may): the exception reaches them
      }
    }
    for (const FunctionDecl *Entry : S.Entries) {
      // A handler that rethrows (`catch (...) { log(); throw; }`) tells
      // that its author expects the try block to throw: there a call whose
      // targets are not visible may throw (the note says so).
      const ThrowOrigin *O =
          Throws.escapesBody(Entry, UnseenCalls::UnderRethrow);
      if (!O)
        continue;
      std::string Name = entryName(Entry);
      std::string Note = O->What;
      if (O->Chain.size() > 1)
        Note += " (reached via " + ThreadContext::chainText(O->Chain) + ")";
      std::string Msg, Cure;
      switch (ToFuture ? SpawnKind::Async : S.Kind) {
      case SpawnKind::ThreadObject:
      case SpawnKind::ThreadFunction:
        Note += " and is not caught before it leaves the thread entry";
        Msg = "an exception can escape thread entry '" + Name + "' (" +
              S.Spawner + "), which calls std::terminate";
        Cure = "catch and report it in the entry, or run the work as a "
               "tether::task_supervisor::async task: task<T>::await returns "
               "the exception as errc::exception";
        break;
      case SpawnKind::Executor:
      case SpawnKind::HeuristicExecutor:
        Note += " and is not caught before it leaves the task";
        Msg = "an exception can escape task '" + Name + "' handed to '" +
              S.Spawner + "': it leaves the executor's worker loop";
        Cure = "catch and report it in the task, or submit the work to a "
               "tether::task_supervisor (task<T>::await returns the "
               "exception as errc::exception); depending on the executor, "
               "an escaping exception kills the worker thread "
               "(std::terminate, as on a boost::asio::thread_pool) or is "
               "swallowed, and the submitter never learns of it";
        break;
      case SpawnKind::Async:
        Note += " and is not caught before it leaves the task";
        Msg = "an exception can escape task '" + Name + "' (" + S.Spawner +
              ") into a future nobody reads";
        Cure = "get() the future where the result is needed, or run the "
               "work as a tether::task_supervisor::async task and await its "
               "result<T>";
        break;
      }
      auto B = diag(S.Site->getBeginLoc(), Msg);
      B.cure(Cure);
      B.note(O->Site->getBeginLoc(), Note);
      if (Future)
        B.note(Future->getLocation(),
               "the future is kept in '" + Future->getNameAsString() +
                   "', which is never waited on (no get() or wait()) nor "
                   "handed on");
    }
  }
}

} // namespace tether
