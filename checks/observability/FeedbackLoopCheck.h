//===--- FeedbackLoopCheck.h - observability-feedback-loop ----------------===//
#ifndef TETHER_CHECKS_OBSERVABILITY_FEEDBACKLOOPCHECK_H
#define TETHER_CHECKS_OBSERVABILITY_FEEDBACKLOOPCHECK_H

#include "core/Check.h"

namespace tether {

/// Finds handlers attached to an observability API that emit through the
/// same API, directly or through calls, so that every event they handle
/// produces another one.
///
/// "The same API" is the rule entry's `emit` list, for the name heuristic an
/// emit-named function (emit, publish, fire, trigger, raise, log, trace...)
/// of the registering class or namespace, and for a handler list a function
/// that iterates over that list.
class FeedbackLoopCheck : public Check {
public:
  using Check::Check;
  void registerMatchers(clang::ast_matchers::MatchFinder *Finder) override;
  void check(const clang::ast_matchers::MatchFinder::MatchResult &R) override;
  void onEndOfTranslationUnit() override;
};

} // namespace tether

#endif
