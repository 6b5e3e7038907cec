//===--- SupervisionModule.cpp - The supervision-* family -----------------===//
//
// supervision-*: missing supervision. OTP lets a process crash because a
// supervisor sees the crash and acts on it; these checks find C++ failures
// that reach nobody: exceptions that escape a thread and terminate the
// process, thread members nobody joins, promises that break, handlers that
// swallow errors on worker threads, worker loops without an error path.
//
//===----------------------------------------------------------------------===//

#include "BrokenPromiseCheck.h"
#include "EscapingExceptionCheck.h"
#include "SwallowedErrorCheck.h"
#include "UnguardedWorkerLoopCheck.h"
#include "UnjoinedMemberCheck.h"

#include "core/CheckRegistry.h"

namespace tether {

void registerSupervisionModule(CheckRegistry &R) {
  R.add<EscapingExceptionCheck>(
      "supervision-escaping-exception",
      "Finds thread entry points that an exception can escape, which calls "
      "std::terminate and takes the whole process down.",
      // Follows calls in the TU only; does not prune impossible paths.
      Confidence::Medium);
  R.add<UnjoinedMemberCheck>(
      "supervision-unjoined-member",
      "Finds classes with a thread member (or a container of them) that a "
      "thread is started in but that neither the destructor nor any stop path "
      "joins, so that destroying the object calls std::terminate.",
      // A join anywhere in the TU counts; not path-sensitive.
      Confidence::Medium);
  R.add<BrokenPromiseCheck>(
      "supervision-broken-promise",
      "Finds promises whose future is taken but that can go out of scope "
      "unsatisfied on some path, so that the waiter gets a broken_promise "
      "error instead of the value or the failure.",
      // Flow-sensitive in one function; trusts code it does not follow.
      Confidence::Medium);
  R.add<SwallowedErrorCheck>(
      "supervision-swallowed-error",
      "Finds catch handlers in code that runs on a worker thread that discard "
      "the error: no rethrow, no report, no stored exception, no status set.",
      // Generous about what handles an error; trusts the thread contexts.
      Confidence::Medium);
  R.add<UnguardedWorkerLoopCheck>(
      "supervision-unguarded-worker-loop",
      "Finds worker loops of thread entries with no error path at all, so "
      "that a failure in them kills the process or ends the thread silently "
      "and nothing restarts the worker.",
      // Looks for the absence of error handling, not for a certain failure.
      Confidence::Low);
}

} // namespace tether
