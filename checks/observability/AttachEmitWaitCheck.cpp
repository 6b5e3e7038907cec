//===--- AttachEmitWaitCheck.cpp - observability-attach-emit-wait ---------===//

#include "AttachEmitWaitCheck.h"

#include "ObserverApis.h"

#include "clang/AST/ASTContext.h"
#include "clang/AST/Expr.h"
#include "clang/ASTMatchers/ASTMatchers.h"

#include "llvm/ADT/DenseSet.h"

using namespace clang;
using namespace clang::ast_matchers;

namespace tether {

// The analysis runs once per TU; a matcher is needed for MatchFinder to
// call onEndOfTranslationUnit().
void AttachEmitWaitCheck::registerMatchers(MatchFinder *Finder) {
  Finder->addMatcher(translationUnitDecl().bind("tu"), this);
}
void AttachEmitWaitCheck::check(const MatchFinder::MatchResult &) {}

void AttachEmitWaitCheck::onEndOfTranslationUnit() {
  ASTContext *Ctx = context().astContext();
  if (!Ctx)
    return;
  const SourceManager &SM = Ctx->getSourceManager();
  ObserverApis &A = observerApis(context());
  llvm::DenseSet<SourceLocation> Reported;
  for (const Registration &R : A.registrations()) {
    if (!R.Site || !R.Enclosing)
      continue;
    for (const Signal &S : A.signalsOf(R)) {
      if (!S.Object)
        continue;
      for (const Wait &W : A.waitsOn(S.Object)) {
        if (!W.Function || W.Function->getCanonicalDecl() !=
                               R.Enclosing->getCanonicalDecl())
          continue;
        if (!SM.isBeforeInTranslationUnit(R.Site->getEndLoc(),
                                          W.Where->getBeginLoc()))
          continue;
        if (!Reported.insert(W.Where->getExprLoc()).second)
          continue;
        diag(W.Where->getExprLoc(),
             "waits for a handler this function attached to '" + R.Api +
                 "': the event can fire before the handler is attached, or "
                 "after the wait gave up and the handler was detached; "
                 "start the work as a tether::task_supervisor::async task "
                 "and task<T>::await(timeout) its result, or ask with "
                 "tether::server::call(request, timeout)")
            .note(registrationLoc(R), "the handler is attached here")
            .note(S.Where->getExprLoc(),
                  "the handler " + S.What + " here" + throughText(S.Chain));
      }
    }
  }
}

} // namespace tether
