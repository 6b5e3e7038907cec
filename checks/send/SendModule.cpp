//===--- SendModule.cpp - The send-* family -------------------------------===//
//
// send-*: unreliable communication. In OTP a message goes to a live mailbox
// or becomes a dead letter that someone can see; these checks find C++ work
// posted to objects that may be dead, wake-ups that can be lost, and
// deliveries whose failure nobody looks at.
//
//===----------------------------------------------------------------------===//

#include "DanglingCaptureCheck.h"
#include "IgnoredDeliveryCheck.h"
#include "LostWakeupCheck.h"
#include "NotifyOneMultipleConditionsCheck.h"
#include "WaitWithoutPredicateCheck.h"

#include "core/CheckRegistry.h"

namespace tether {

void registerSendModule(CheckRegistry &R) {
  R.add<DanglingCaptureCheck>(
      "send-dangling-capture",
      "Finds callables handed to a detached thread or an executor that "
      "capture this, a reference to a local or a pointer to one, so that "
      "they can run after the receiver is dead.",
      // Detached threads are certain; executors' lifetimes are not.
      Confidence::Medium);
  R.add<LostWakeupCheck>(
      "send-lost-wakeup",
      "Finds condition-variable notifications that are not preceded by a "
      "change of the shared state under the waiter's mutex, so that the "
      "wake-up can be lost.",
      // Straight-line scan of one function; trusts calls that may lock.
      Confidence::Medium);
  R.add<WaitWithoutPredicateCheck>(
      "send-wait-without-predicate",
      "Finds condition-variable waits without a predicate outside a loop, "
      "which return on a spurious wake-up and block for good after a notify "
      "they missed.");
  R.add<NotifyOneMultipleConditionsCheck>(
      "send-notify-one-multiple-conditions",
      "Finds notify_one calls on a condition variable whose waiters wait for "
      "different conditions, so that the one woken may not be the one the "
      "change was for and the wake-up is lost.",
      // Conditions are compared structurally: two spellings of one
      // condition count as two.
      Confidence::Medium);
  R.add<IgnoredDeliveryCheck>(
      "send-ignored-delivery",
      "Finds calls that post work or a message to another thread and ignore "
      "the result that says whether it was delivered.",
      // Rule-pack entries are certain; the name heuristic is not.
      Confidence::Medium);
}

} // namespace tether
