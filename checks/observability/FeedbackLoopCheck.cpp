//===--- FeedbackLoopCheck.cpp - observability-feedback-loop --------------===//

#include "FeedbackLoopCheck.h"

#include "ObserverApis.h"

#include "clang/AST/Expr.h"
#include "clang/ASTMatchers/ASTMatchers.h"

#include "llvm/ADT/DenseSet.h"

using namespace clang;
using namespace clang::ast_matchers;

namespace tether {

// The analysis runs once per TU; a matcher is needed for MatchFinder to
// call onEndOfTranslationUnit().
void FeedbackLoopCheck::registerMatchers(MatchFinder *Finder) {
  Finder->addMatcher(translationUnitDecl().bind("tu"), this);
}
void FeedbackLoopCheck::check(const MatchFinder::MatchResult &) {}

void FeedbackLoopCheck::onEndOfTranslationUnit() {
  if (!context().astContext())
    return;
  ObserverApis &A = observerApis(context());
  llvm::DenseSet<SourceLocation> Reported;
  for (const Registration &R : A.registrations()) {
    std::vector<Emit> Emits = A.emitsOf(R);
    if (Emits.empty())
      continue;
    SourceLocation Loc = registrationLoc(R);
    if (!Reported.insert(Loc).second)
      continue;
    const Emit &E = Emits.front();
    std::string Who = R.How == Registration::BaseOverride
                          ? "handler overriding '" + R.Api + "'"
                          : "handler attached to '" + R.Api + "'";
    diag(Loc, Who + " emits through the same API ('" + E.Callee +
                  "'): events beget events")
        .cure("handlers only observe: emit from the code they observe, not "
              "from a handler (tether::telemetry_bus observers)")
        .note(E.Where->getExprLoc(),
              "the handler emits here" + throughText(E.Chain));
  }
}

} // namespace tether
