//===--- Recovery.h - Crash isolation and limits for one translation unit -===//
//
// A crash, a hang or a runaway allocation while analysing one translation
// unit must not cost the findings of the others (docs/robustness.md). Each
// translation unit runs inside an llvm::CrashRecoveryContext on a worker
// thread with a stack of known size and an alternate signal stack, so that
// SIGSEGV (a stack overflow too), SIGABRT (assertions), SIGBUS, SIGFPE and
// SIGILL unwind to the driver by longjmp instead of killing the process. A
// watchdog thread interrupts a unit past its deadline (--tu-timeout) or a
// check past its budget (--check-timeout) the same way, with SIGUSR2; the
// allocation hook of the tether binary (MemoryHooks.cpp) stops a unit past
// --tu-memory. What was interrupted is leaked, not destroyed: the process
// is a short-lived CLI.
//
//===----------------------------------------------------------------------===//
#ifndef TETHER_TOOL_RECOVERY_H
#define TETHER_TOOL_RECOVERY_H

#include "llvm/ADT/STLFunctionalExtras.h"

#include <cstdint>
#include <string>

namespace tether {

/// The limits of one translation unit; 0 turns a limit off.
struct Limits {
  double TUTimeoutSeconds = 600;
  uint64_t TUMemoryMiB = 8192;
  double CheckTimeoutSeconds = 120;
};

enum class StopReason {
  None,         ///< the work finished
  Crash,        ///< a fatal signal (stack overflow included)
  Exception,    ///< a C++ exception escaped (std::bad_alloc included)
  Timeout,      ///< --tu-timeout
  Memory,       ///< --tu-memory
  CheckTimeout, ///< --check-timeout: only the check is skipped
};

/// Why and where a guarded region stopped.
struct Stopped {
  StopReason Reason = StopReason::None;
  /// "SIGSEGV (segmentation fault)", "stack overflow", "std::bad_alloc".
  std::string What;
  /// What was running: a check's name, or "parsing", "fact extraction".
  std::string Phase;
  /// One frame a line, innermost first (crashes, exceptions and limits).
  std::string Stack;
};

/// Once per process, before any worker starts: enables crash recovery for
/// every thread and installs the signal handlers. Idempotent.
void enableCrashRecovery();

/// The stack size of a worker thread: clang's own deep recursions (template
/// instantiation) assume 8 MiB and switch stacks near the end of it.
constexpr unsigned WorkerStackBytes = 16u << 20;

/// One per worker thread, for the thread's lifetime: its alternate signal
/// stack (a stack overflow's handler needs a stack), its registration with
/// the watchdog, and clang's note of the bottom of the stack.
class WorkerScope {
public:
  WorkerScope();
  ~WorkerScope();
  WorkerScope(const WorkerScope &) = delete;
  WorkerScope &operator=(const WorkerScope &) = delete;
};

/// The watchdog thread, for the duration of a run (only needed when a
/// timeout is on).
class Watchdog {
public:
  Watchdog();
  ~Watchdog();
  Watchdog(const Watchdog &) = delete;
  Watchdog &operator=(const Watchdog &) = delete;
};

/// Runs the analysis of one translation unit on this worker thread under
/// the limits. Returns Reason None when `Fn` returned.
Stopped runGuardedUnit(llvm::function_ref<void()> Fn, const Limits &L);

/// Inside runGuardedUnit: runs one check (or another named phase) under the
/// check budget. Returns None, or CheckTimeout when the budget ran out;
/// anything else that stops the check stops the whole unit and does not
/// return here.
Stopped runGuardedCheck(llvm::function_ref<void()> Fn, const Limits &L,
                        const std::string &Phase);

/// Names what the current thread is doing, for a crash report ("parsing").
void setPhase(const std::string &Phase);

/// The per-thread allocation counter of the tether binary's operator new
/// (MemoryHooks.cpp); in other binaries it stays 0 and --tu-memory is off.
struct AllocationCounter {
  int64_t Live;  ///< bytes allocated minus freed by this thread
  int64_t Limit; ///< stop the unit when Live exceeds it; 0: off
  /// Inside malloc or free: an interrupt only sets Deferred, and the hook
  /// calls allocationInterruptDeferred() when the allocator returns.
  volatile int InAllocator;
  volatile int Deferred;
};
AllocationCounter &allocationCounter();
/// Called by the allocation hook when Live exceeds Limit: stops the unit.
void allocationLimitExceeded();
/// Called by the allocation hook when an interrupt came inside it.
void allocationInterruptDeferred();

} // namespace tether

#endif
