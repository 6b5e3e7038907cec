//===--- GlobalModule.cpp - The global-* family ---------------------------===//
//
// global-*: shared mutable state. In OTP state belongs to one process (or an
// ETS table with its own concurrency rules) and is never shared; these
// checks find C++ state with static or thread storage that threads share
// without synchronization, or that passes values behind function signatures.
//
//===----------------------------------------------------------------------===//

#include "SharedMutableCheck.h"
#include "ThreadLocalParameterCheck.h"

#include "core/CheckRegistry.h"

namespace tether {

void registerGlobalModule(CheckRegistry &R) {
  R.add<SharedMutableCheck>(
      "global-shared-mutable",
      "Finds mutable global and static variables that two threads of the "
      "translation unit access without a common lock, and names the threads.",
      // TU-wide call graph; trusts callers it cannot see.
      Confidence::Medium);
  R.add<ThreadLocalParameterCheck>(
      "global-thread-local-parameter",
      "Finds thread_local variables used as hidden parameters: set in one "
      "function and read in another that it calls.",
      Confidence::Medium);
}

} // namespace tether
