//===--- ObservabilityModule.cpp - The observability-* family -------------===//
//
// observability-*: telemetry is for watching, not for steering. In OTP
// :telemetry handlers observe events; a result goes back through a call to a
// process (gen_server:call/3 with its timeout) or a monitored task. These
// checks find logging, tracing and metrics handlers used as a hidden
// request/reply channel, the attach-emit-wait race, and handlers that feed
// events back into their own API.
//
//===----------------------------------------------------------------------===//

#include "AttachEmitWaitCheck.h"
#include "FeedbackLoopCheck.h"
#include "HandlerSignalsCheck.h"

#include "core/CheckRegistry.h"

namespace tether {

void registerObservabilityModule(CheckRegistry &R) {
  R.add<HandlerSignalsCheck>(
      "observability-handler-signals",
      "Finds handlers attached to a telemetry, logging or metrics API that "
      "hand a result to a waiting thread, so that an observer becomes a "
      "hidden request/reply channel.",
      // Rule-pack APIs are certain; the name heuristics are not.
      Confidence::Medium);
  R.add<AttachEmitWaitCheck>(
      "observability-attach-emit-wait",
      "Finds functions that attach a handler to an observability API and "
      "then block until that handler signals them, so that the event can "
      "fire before the handler is attached or after the wait gave up.",
      Confidence::Medium);
  R.add<FeedbackLoopCheck>(
      "observability-feedback-loop",
      "Finds handlers attached to an observability API that emit through "
      "the same API, so that every event they handle produces another one.",
      Confidence::Medium);
}

} // namespace tether
