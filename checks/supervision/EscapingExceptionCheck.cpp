//===--- EscapingExceptionCheck.cpp - supervision-escaping-exception ------===//

#include "EscapingExceptionCheck.h"

#include "ThrowAnalysis.h"

#include "analysis/SharedAnalyses.h"

#include "clang/AST/Decl.h"
#include "clang/AST/Expr.h"

using namespace clang;
using namespace clang::ast_matchers;

namespace tether {

void EscapingExceptionCheck::registerMatchers(MatchFinder *Finder) {
  // The analysis is whole-TU: one match to run it once.
  Finder->addMatcher(translationUnitDecl().bind("tu"), this);
}

void EscapingExceptionCheck::check(const MatchFinder::MatchResult &) {
  ThrowAnalysis &Throws = throwAnalysis(context());
  for (const SpawnSite &S : spawnSites(context())) {
    // std::async stores the exception in its future; executors decide for
    // themselves. A thread has nobody to hand it to.
    if (S.Kind != SpawnKind::ThreadObject &&
        S.Kind != SpawnKind::ThreadFunction)
      continue;
    for (const FunctionDecl *Entry : S.Entries) {
      const ThrowOrigin *O = Throws.escapesBody(Entry);
      if (!O)
        continue;
      std::string Name = ThreadContext::chainText({Entry});
      std::string Note = O->What;
      if (O->Chain.size() > 1)
        Note += " (reached via " + ThreadContext::chainText(O->Chain) + ")";
      Note += " and is not caught before it leaves the thread entry";
      diag(S.Site->getBeginLoc(),
           "an exception can escape thread entry '" + Name + "' (" +
               S.Spawner +
               "), which calls std::terminate and ends the whole process; "
               "run the work as a task of a tether task_supervisor "
               "(task_supervisor::async, then task<T>::await returns the "
               "exception as errc::exception) or catch and report it in "
               "the entry")
          .note(O->Site->getBeginLoc(), Note);
    }
  }
}

} // namespace tether
