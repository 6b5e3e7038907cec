//===--- HandlerSignalsCheck.h - observability-handler-signals ------------===//
#ifndef TETHER_CHECKS_OBSERVABILITY_HANDLERSIGNALSCHECK_H
#define TETHER_CHECKS_OBSERVABILITY_HANDLERSIGNALSCHECK_H

#include "core/Check.h"

namespace tether {

/// Finds handlers attached to a telemetry, logging or metrics API that hand
/// a result to a waiting thread (set a promise, notify a condition variable,
/// release a semaphore or latch, store a flag another thread waits on), so
/// that an observer becomes a hidden request/reply channel.
///
/// Handlers are found by ObserverApis (rule-pack registrations, handler base
/// classes, and the documented name heuristics); their bodies are followed
/// through calls over the thread-context call graph. Handlers that only
/// record, count, format or export stay silent, and so does a component that
/// wakes its own worker (a member of the handler's class that only that
/// class uses).
class HandlerSignalsCheck : public Check {
public:
  using Check::Check;
  void registerMatchers(clang::ast_matchers::MatchFinder *Finder) override;
  void check(const clang::ast_matchers::MatchFinder::MatchResult &R) override;
  void onEndOfTranslationUnit() override;
};

} // namespace tether

#endif
