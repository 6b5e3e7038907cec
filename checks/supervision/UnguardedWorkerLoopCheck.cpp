//===--- UnguardedWorkerLoopCheck.cpp - supervision-unguarded-worker-loop -===//

#include "UnguardedWorkerLoopCheck.h"

#include "analysis/ExprUtils.h"
#include "analysis/SharedAnalyses.h"
#include "analysis/ThrowAnalysis.h"

#include "clang/AST/ASTContext.h"
#include "clang/AST/ExprCXX.h"
#include "clang/AST/StmtCXX.h"
#include "clang/Basic/SourceManager.h"
#include "llvm/ADT/SmallPtrSet.h"

using namespace clang;
using namespace clang::ast_matchers;

namespace tether {

namespace {

/// A condition that is a constant false: `do { ... } while (0)` (a
/// statement macro's wrapper) runs once and is not a loop.
bool isFalse(const Expr *Cond, const ASTContext &Ctx) {
  if (!Cond || Cond->isValueDependent())
    return false;
  bool V = true;
  return Cond->EvaluateAsBooleanCondition(V, Ctx) && !V;
}

/// A `while (running)`-style loop: no condition, a constant, or a flag;
/// not a counted `for`, a range-for, nor a loop that never repeats.
bool isWorkerLoop(const Stmt *S, const ASTContext &Ctx) {
  if (const auto *W = dyn_cast<WhileStmt>(S))
    return !isFalse(W->getCond(), Ctx);
  if (const auto *D = dyn_cast<DoStmt>(S))
    return !isFalse(D->getCond(), Ctx);
  if (const auto *F = dyn_cast<ForStmt>(S))
    return (!F->getCond() || !F->getInc()) && !isFalse(F->getCond(), Ctx);
  return false;
}

/// The statements of an entry's body where a worker loop may stand: the
/// body's own, and those of a block or a `do { } while (0)` (a macro's
/// wrapper) among them.
void topStatements(const Stmt *S, const ASTContext &Ctx,
                   llvm::SmallVectorImpl<const Stmt *> &Out, int Depth = 0) {
  if (!S || Depth > 8)
    return;
  if (const auto *CS = dyn_cast<CompoundStmt>(S)) {
    for (const Stmt *C : CS->body())
      topStatements(C, Ctx, Out, Depth + 1);
    return;
  }
  if (const auto *D = dyn_cast<DoStmt>(S); D && isFalse(D->getCond(), Ctx)) {
    topStatements(D->getBody(), Ctx, Out, Depth + 1);
    return;
  }
  Out.push_back(S);
}

} // namespace

void UnguardedWorkerLoopCheck::registerMatchers(MatchFinder *Finder) {
  Finder->addMatcher(translationUnitDecl().bind("tu"), this);
}

void UnguardedWorkerLoopCheck::check(const MatchFinder::MatchResult &R) {
  // C has no exceptions: a C worker loop cannot die of one (found on
  // sogou/workflow's thrdpool.c and poller.c).
  if (!R.Context->getLangOpts().CPlusPlus)
    return;
  llvm::SmallPtrSet<const Stmt *, 8> Reported;
  ThrowAnalysis &Throws = throwAnalysis(context());
  for (const SpawnSite &S : spawnSites(context())) {
    if (S.Kind != SpawnKind::ThreadObject &&
        S.Kind != SpawnKind::ThreadFunction)
      continue;
    for (const FunctionDecl *Entry : S.Entries) {
      const FunctionDecl *Def = Entry->getDefinition();
      if (!Def || !Def->hasBody())
        continue;
      const Stmt *Body = Def->getBody();
      if (isa<CXXTryStmt>(Body))
        continue; // a function-try-block guards everything
      llvm::SmallVector<const Stmt *, 8> Top;
      topStatements(Body, *R.Context, Top);
      for (const Stmt *Child : Top) {
        if (!isWorkerLoop(Child, *R.Context) || !Reported.insert(Child).second)
          continue;
        // What can leave the loop uncaught: a throw, a throwing callee, or
        // a call whose targets are not visible (it may throw).
        std::optional<ThrowOrigin> Fail =
            Throws.escapesStmt(Child, Def, UnseenCalls::MayThrow);
        if (!Fail)
          continue;
        std::string Note = Fail->What;
        if (Fail->Chain.size() > 1)
          Note +=
              " (reached via " + ThreadContext::chainText(Fail->Chain) + ")";
        std::string Name = ThreadContext::chainText({Entry});
        diag(Child->getBeginLoc(),
             "the worker loop of thread entry '" + Name +
                 "' has no error path: one failure ends the process or the "
                 "worker")
            .cure("run it as a worker child of a tether::supervisor "
                  "(restarted and reported on failure), or catch, report "
                  "and decide in the loop")
            .note(Fail->Site->getBeginLoc(), Note)
            .note(S.Site->getBeginLoc(),
                  "the thread is started here (" + S.Spawner + ")");
      }
    }
  }
}

} // namespace tether
