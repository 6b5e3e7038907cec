//===--- HandlerSignalsCheck.cpp - observability-handler-signals ----------===//

#include "HandlerSignalsCheck.h"

#include "ObserverApis.h"

#include "clang/AST/DeclCXX.h"
#include "clang/AST/Expr.h"
#include "clang/ASTMatchers/ASTMatchers.h"

#include "llvm/ADT/DenseSet.h"

using namespace clang;
using namespace clang::ast_matchers;

namespace tether {

// The analysis runs once per TU; a matcher is needed for MatchFinder to
// call onEndOfTranslationUnit().
void HandlerSignalsCheck::registerMatchers(MatchFinder *Finder) {
  Finder->addMatcher(translationUnitDecl().bind("tu"), this);
}
void HandlerSignalsCheck::check(const MatchFinder::MatchResult &) {}

void HandlerSignalsCheck::onEndOfTranslationUnit() {
  if (!context().astContext())
    return;
  ObserverApis &A = observerApis(context());
  llvm::DenseSet<SourceLocation> Reported;
  for (const Registration &R : A.registrations()) {
    std::vector<Signal> Signals = A.signalsOf(R);
    if (Signals.empty())
      continue;
    SourceLocation Loc = registrationLoc(R);
    if (!Reported.insert(Loc).second)
      continue;
    const Signal &S = Signals.front();
    std::string Who = R.How == Registration::BaseOverride
                          ? "handler overriding '" + R.Api + "'"
                          : "handler attached to '" + R.Api + "'";
    diag(Loc, Who + " " + S.What + ": a reply through telemetry")
        .cure("return the result from a tether::task_supervisor::async task "
              "awaited with task<T>::await(timeout), or a "
              "tether::server::call(request, timeout); telemetry only "
              "observes")
        .note(S.Where->getExprLoc(),
              "the handler " + S.What + " here" + throughText(S.Chain));
  }
}

} // namespace tether
