//===--- UnguardedWorkerLoopCheck.cpp - supervision-unguarded-worker-loop -===//

#include "UnguardedWorkerLoopCheck.h"

#include "analysis/ExprUtils.h"
#include "analysis/SharedAnalyses.h"

#include "clang/AST/ASTContext.h"
#include "clang/AST/ExprCXX.h"
#include "clang/AST/StmtCXX.h"
#include "clang/Basic/SourceManager.h"
#include "llvm/ADT/SmallPtrSet.h"

using namespace clang;
using namespace clang::ast_matchers;

namespace tether {

namespace {

class LoopFacts {
public:
  LoopFacts(ASTContext &Ctx, const RuleSet &Rules) : Ctx(Ctx), Rules(Rules) {}

  /// A `try` in `S` or in any function it calls that is defined in the
  /// translation unit (an error path somewhere).
  bool hasTry(const Stmt *S) {
    if (!S)
      return false;
    if (isa<CXXTryStmt>(S))
      return true;
    if (const FunctionDecl *Callee = calleeOf(S))
      if (const FunctionDecl *Def = Callee->getDefinition())
        if (Def->hasBody() && !inSystemHeader(Def) &&
            Visited.insert(Def).second && hasTry(Def->getBody()))
          return true;
    for (const Stmt *C : S->children())
      if (hasTry(C))
        return true;
    return false;
  }

  /// Code in `S` that can fail: a throw, a rule-pack throwing function, or
  /// a call of a function from outside the system headers that may throw.
  const Stmt *mayFail(const Stmt *S) {
    if (!S || isa<LambdaExpr>(S))
      return nullptr;
    if (isa<CXXThrowExpr>(S))
      return S;
    if (const FunctionDecl *Callee = calleeOf(S)) {
      std::string Name = functionQualifiedName(Callee);
      const auto *FPT = Callee->getType()->getAs<FunctionProtoType>();
      bool Nothrow = (FPT && FPT->isNothrow()) || Callee->isExternC() ||
                     Rules.isNothrowFunction(Name);
      if (!Nothrow &&
          (Rules.throwingFunction(Name) || !inSystemHeader(Callee)))
        return S;
    }
    for (const Stmt *C : S->children())
      if (const Stmt *F = mayFail(C))
        return F;
    return nullptr;
  }

private:
  const FunctionDecl *calleeOf(const Stmt *S) {
    if (const auto *C = dyn_cast<CallExpr>(S))
      return C->getDirectCallee();
    if (const auto *CE = dyn_cast<CXXConstructExpr>(S))
      return CE->getConstructor()->isTrivial() ? nullptr
                                               : CE->getConstructor();
    return nullptr;
  }
  bool inSystemHeader(const Decl *D) {
    return Ctx.getSourceManager().isInSystemHeader(D->getLocation());
  }

  ASTContext &Ctx;
  const RuleSet &Rules;
  llvm::SmallPtrSet<const FunctionDecl *, 16> Visited;
};

/// A `while (running)`-style loop: no condition, a constant, or a flag;
/// not a counted `for` nor a range-for.
bool isWorkerLoop(const Stmt *S) {
  if (isa<WhileStmt, DoStmt>(S))
    return true;
  if (const auto *F = dyn_cast<ForStmt>(S))
    return !F->getCond() || !F->getInc();
  return false;
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
      const auto *CS = dyn_cast<CompoundStmt>(Body);
      if (!CS)
        continue;
      LoopFacts Facts(*R.Context, rules());
      if (Facts.hasTry(CS))
        continue;
      for (const Stmt *Child : CS->body()) {
        if (!isWorkerLoop(Child) || !Reported.insert(Child).second)
          continue;
        const Stmt *Fail = Facts.mayFail(Child);
        if (!Fail)
          continue;
        std::string Name = ThreadContext::chainText({Entry});
        diag(Child->getBeginLoc(),
             "the worker loop of thread entry '" + Name +
                 "' has no error path: one failure ends the process or the "
                 "worker")
            .cure("run it as a worker child of a tether::supervisor "
                  "(restarted and reported on failure), or catch, report "
                  "and decide in the loop")
            .note(Fail->getBeginLoc(), "this can fail")
            .note(S.Site->getBeginLoc(),
                  "the thread is started here (" + S.Spawner + ")");
      }
    }
  }
}

} // namespace tether
