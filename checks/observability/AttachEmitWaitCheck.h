//===--- AttachEmitWaitCheck.h - observability-attach-emit-wait -----------===//
#ifndef TETHER_CHECKS_OBSERVABILITY_ATTACHEMITWAITCHECK_H
#define TETHER_CHECKS_OBSERVABILITY_ATTACHEMITWAITCHECK_H

#include "core/Check.h"

namespace tether {

/// Finds functions that attach a handler to an observability API and then
/// block until that handler signals them, so that the event can fire before
/// the handler is attached or after the wait gave up.
///
/// For every registration inside a function, the signals of its handler
/// (ObserverApis::signalsOf) are matched with the waits of the same function
/// after the registration: a condition-variable wait, a future obtained from
/// the signalled promise, a semaphore acquire or latch wait, a loop polling
/// the stored flag. A wait in a helper that the function calls after the
/// registration counts too: the helper's parameters are mapped to the
/// caller's arguments (`wait_on(f)` for `f = p.get_future()`). Detaching the
/// handler before the wait does not make it safe: the event can still fire
/// before the attach or after the detach.
class AttachEmitWaitCheck : public Check {
public:
  using Check::Check;
  void registerMatchers(clang::ast_matchers::MatchFinder *Finder) override;
  void check(const clang::ast_matchers::MatchFinder::MatchResult &R) override;
  void onEndOfTranslationUnit() override;
};

} // namespace tether

#endif
