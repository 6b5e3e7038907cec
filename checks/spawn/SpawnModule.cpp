//===--- SpawnModule.cpp - The spawn-* family -----------------------------===//
//
// spawn-*: raw or fire-and-forget concurrency. OTP never starts a process
// that nobody links to or monitors; these checks find C++ threads and tasks
// that nobody joins, waits for or supervises.
//
//===----------------------------------------------------------------------===//

#include "DetachedThreadCheck.h"
#include "DiscardedAsyncCheck.h"
#include "UnjoinedPthreadCheck.h"
#include "UnjoinedThreadCheck.h"

#include "core/CheckRegistry.h"

namespace tether {

void registerSpawnModule(CheckRegistry &R) {
  R.add<DetachedThreadCheck>(
      "spawn-detached-thread",
      "Finds threads that are detached, so that nothing can join them, see "
      "them fail or outlive them.");
  R.add<UnjoinedThreadCheck>(
      "spawn-unjoined-thread",
      "Finds thread objects that can be destroyed while still joinable, "
      "which calls std::terminate (or silently detaches, for boost::thread).",
      // Flow-sensitive in one function; trusts code it does not follow.
      Confidence::Medium);
  R.add<UnjoinedPthreadCheck>(
      "spawn-unjoined-pthread",
      "Finds pthread_create calls whose thread is never joined or detached.",
      // A join anywhere in the TU counts; joins in other TUs are not seen.
      Confidence::Medium);
  R.add<DiscardedAsyncCheck>(
      "spawn-discarded-async",
      "Finds std::async futures that are discarded or never waited on, so the "
      "call is secretly synchronous and the task's exception is lost.",
      // Discarded futures are certain; stored ones are not path-sensitive.
      Confidence::Medium);
}

} // namespace tether
