//===--- Recovery.cpp - Crash isolation and limits for one translation unit
//===//

#include "Recovery.h"

#include "clang/Basic/Stack.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Demangle/Demangle.h"
#include "llvm/Support/CrashRecoveryContext.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <dlfcn.h>
#include <exception>
#include <execinfo.h>
#include <mutex>
#include <new>
#include <pthread.h>
#include <thread>
#include <time.h>
#include <typeinfo>
#include <unistd.h>
#include <vector>

namespace tether {

namespace {

constexpr int InterruptSignal = SIGUSR2;
constexpr int FatalSignals[] = {SIGSEGV, SIGBUS,  SIGFPE,
                                SIGILL,  SIGABRT, SIGTRAP};
constexpr size_t AltStackBytes = 256u << 10;
constexpr int MaxFrames = 48;

int64_t nowNs() {
  timespec TS;
  clock_gettime(CLOCK_MONOTONIC, &TS);
  return int64_t(TS.tv_sec) * 1000000000 + TS.tv_nsec;
}

int64_t toNs(double Seconds) { return int64_t(Seconds * 1e9); }

/// What a worker thread shares with the watchdog and its signal handlers.
struct ThreadState {
  pthread_t Thread;
  /// Guards the deadlines and SignaledAt against the watchdog; held only
  /// with InterruptSignal blocked on this thread.
  std::mutex M;
  int64_t UnitDeadline = 0;  ///< steady ns, 0: none; guarded by M
  int64_t CheckDeadline = 0; ///< steady ns, 0: none; guarded by M
  int64_t SignaledAt = 0;    ///< guarded by M
  /// The stop the watchdog asked for (a StopReason), 0 for none.
  std::atomic<int> Pending{0};

  // Written on this thread only (its code and its signal handlers).
  volatile sig_atomic_t Depth = 0;    ///< guarded regions open
  volatile sig_atomic_t Stopping = 0; ///< a stop is unwinding: ignore more
  volatile sig_atomic_t InHandler = 0;
  volatile sig_atomic_t InCheck = 0; ///< inside runGuardedCheck
  StopReason Reason = StopReason::None;
  int Signal = 0;
  bool Overflow = false;
  void *Frames[MaxFrames];
  int NumFrames = 0;
  int SkipFrames = 0;
  std::string What;
  std::string Phase;
  uintptr_t StackLow = 0, StackHigh = 0;
  void *AltStack = nullptr;
};

thread_local ThreadState *Current = nullptr;
thread_local AllocationCounter Counter;

std::mutex RegistryMutex;
std::vector<ThreadState *> Registry; // guarded by RegistryMutex

struct sigaction RecoveryActions[32]; // CrashRecoveryContext's, by signal

/// Blocks the interrupt signal on this thread while alive, so that code
/// holding ThreadState::M is never interrupted.
class BlockInterrupt {
public:
  BlockInterrupt() {
    sigset_t S;
    sigemptyset(&S);
    sigaddset(&S, InterruptSignal);
    pthread_sigmask(SIG_BLOCK, &S, &Old);
  }
  ~BlockInterrupt() { pthread_sigmask(SIG_SETMASK, &Old, nullptr); }

private:
  sigset_t Old;
};

void passToRecovery(int Sig) {
  const struct sigaction &A = RecoveryActions[Sig];
  if (!(A.sa_flags & SA_SIGINFO) && A.sa_handler != SIG_DFL &&
      A.sa_handler != SIG_IGN) {
    A.sa_handler(Sig); // longjmps to the innermost CrashRecoveryContext
    return;
  }
  signal(Sig, SIG_DFL);
  raise(Sig);
}

/// A fatal signal: note where, then let CrashRecoveryContext unwind. Runs
/// on the alternate stack, so a stack overflow gets here too.
void fatalHandler(int Sig, siginfo_t *Info, void *) {
  ThreadState *T = Current;
  if (T && T->Depth > 0 && !T->InHandler) {
    T->InHandler = 1;
    T->Stopping = 1;
    T->Reason = StopReason::Crash;
    T->Signal = Sig;
    uintptr_t Addr = reinterpret_cast<uintptr_t>(Info ? Info->si_addr : 0);
    T->Overflow = Sig == SIGSEGV && T->StackLow &&
                  Addr + (1u << 20) >= T->StackLow &&
                  Addr < T->StackLow + (64u << 10);
    T->NumFrames = backtrace(T->Frames, MaxFrames);
    T->SkipFrames = 2; // this handler and the signal trampoline
    T->InHandler = 0;
  }
  passToRecovery(Sig);
}

/// Leaves the current guarded region for `Reason`; does not return.
[[noreturn]] void stopNow(ThreadState &T, StopReason Reason, int Skip) {
  T.Stopping = 1;
  T.Reason = Reason;
  T.NumFrames = backtrace(T.Frames, MaxFrames);
  T.SkipFrames = Skip;
  llvm::CrashRecoveryContext::GetCurrent()->HandleExit(1);
}

/// The watchdog's interrupt. Inside the allocator it only leaves a note:
/// jumping out of malloc would leave its lock held; the allocation hook
/// acts on the note when malloc returns.
void interruptHandler(int, siginfo_t *, void *) {
  ThreadState *T = Current;
  if (!T || T->Depth == 0 || T->Stopping ||
      !llvm::CrashRecoveryContext::GetCurrent())
    return;
  int P = T->Pending.load();
  if (P == 0 || (P == int(StopReason::CheckTimeout) && !T->InCheck))
    return;
  if (Counter.InAllocator) {
    Counter.Deferred = 1;
    return;
  }
  stopNow(*T, static_cast<StopReason>(P), 2);
}

std::string describeSignal(int Sig) {
  switch (Sig) {
  case SIGSEGV:
    return "SIGSEGV (segmentation fault)";
  case SIGBUS:
    return "SIGBUS (bus error)";
  case SIGFPE:
    return "SIGFPE (arithmetic exception)";
  case SIGILL:
    return "SIGILL (illegal instruction)";
  case SIGABRT:
    return "SIGABRT (abort, a failed assertion?)";
  case SIGTRAP:
    return "SIGTRAP (trap)";
  }
  return "signal " + std::to_string(Sig);
}

/// The frames through llvm-symbolizer, as LLVM's own crash handler does
/// (function, file:line), or empty when it is not installed.
std::vector<std::string> symbolize(void *const *Frames, int N) {
  std::vector<std::string> Out;
  auto Exe = llvm::sys::findProgramByName("llvm-symbolizer-19");
  if (!Exe)
    Exe = llvm::sys::findProgramByName("llvm-symbolizer");
  if (!Exe)
    return Out;
  llvm::SmallString<128> In, Result;
  int InFD = -1;
  if (llvm::sys::fs::createTemporaryFile("tether-stack", "txt", InFD, In))
    return Out;
  if (llvm::sys::fs::createTemporaryFile("tether-stack", "out", Result)) {
    ::close(InFD);
    llvm::sys::fs::remove(In);
    return Out;
  }
  {
    llvm::raw_fd_ostream OS(InFD, /*shouldClose=*/true);
    for (int I = 0; I < N; ++I) {
      Dl_info Info;
      // A return address points past the call: look up the call itself.
      uintptr_t Addr = reinterpret_cast<uintptr_t>(Frames[I]) - (I ? 1 : 0);
      if (dladdr(reinterpret_cast<void *>(Addr), &Info) && Info.dli_fname)
        OS << '"' << Info.dli_fname << "\" 0x"
           << llvm::utohexstr(Addr -
                              reinterpret_cast<uintptr_t>(Info.dli_fbase))
           << "\n";
      else
        OS << "\"?\" 0x0\n";
    }
  }
  std::optional<llvm::StringRef> Redirects[] = {In.str(), Result.str(),
                                                llvm::StringRef("")};
  llvm::StringRef Args[] = {*Exe, "--no-inlines", "--relative-address"};
  int RC = llvm::sys::ExecuteAndWait(*Exe, Args, std::nullopt, Redirects,
                                     /*SecondsToWait=*/30);
  auto Buf = llvm::MemoryBuffer::getFile(Result);
  llvm::sys::fs::remove(In);
  llvm::sys::fs::remove(Result);
  if (RC != 0 || !Buf)
    return Out;
  // Two lines a frame (function, file:line:col), then an empty line.
  llvm::SmallVector<llvm::StringRef, 0> Lines;
  (*Buf)->getBuffer().split(Lines, '\n');
  for (size_t I = 0; I + 1 < Lines.size() && Out.size() < size_t(N);) {
    if (Lines[I].empty()) {
      ++I;
      continue;
    }
    std::string Where = Lines[I + 1].str();
    std::string Func = Lines[I].str();
    Out.push_back(Func + (Where.rfind("??", 0) == 0 ? "" : " " + Where));
    I += 2;
  }
  if (Out.size() != size_t(N))
    Out.clear();
  return Out;
}

/// One frame a line, innermost first: "function file:line" where
/// llvm-symbolizer is installed, else "function (module +offset)".
std::string formatStack(ThreadState &T) {
  if (T.NumFrames <= T.SkipFrames)
    return "";
  void *const *Frames = T.Frames + T.SkipFrames;
  int N = T.NumFrames - T.SkipFrames;
  std::vector<std::string> Symbolized = symbolize(Frames, N);
  char **Symbols = backtrace_symbols(Frames, N);
  if (!Symbols)
    return "";
  std::string Out;
  for (int I = 0; I < N; ++I) {
    // "module(mangled+0x1f) [0xaddr]"
    std::string S = Symbols[I];
    size_t Open = S.find('('), Plus = S.find('+', Open),
           Close = S.find(')', Open);
    std::string Line = "#" + std::to_string(I) + " ";
    if (I < int(Symbolized.size()) && Symbolized[I].rfind("??", 0) != 0) {
      Line += Symbolized[I];
    } else if (Open != std::string::npos && Close != std::string::npos &&
               Plus != std::string::npos && Plus > Open + 1 && Plus < Close) {
      std::string Name = S.substr(Open + 1, Plus - Open - 1);
      Line += llvm::demangle(Name) + " (" + S.substr(0, Open) + " " +
              S.substr(Plus, Close - Plus) + ")";
    } else {
      Line += S;
    }
    Out += Line + "\n";
  }
  std::free(Symbols);
  return Out;
}

Stopped describe(ThreadState &T, const Limits &L) {
  Stopped S;
  S.Reason = T.Reason;
  S.Phase = T.Phase;
  switch (T.Reason) {
  case StopReason::None:
    return S;
  case StopReason::Crash:
    S.What = T.Overflow ? "stack overflow (SIGSEGV)" : describeSignal(T.Signal);
    break;
  case StopReason::Exception:
    S.What = T.What;
    break;
  case StopReason::Timeout:
    S.What = "exceeded --tu-timeout of " +
             std::to_string(int64_t(L.TUTimeoutSeconds)) + " s";
    break;
  case StopReason::Memory:
    S.What =
        "exceeded --tu-memory of " + std::to_string(L.TUMemoryMiB) + " MiB";
    break;
  case StopReason::CheckTimeout:
    S.What = "exceeded --check-timeout of " +
             std::to_string(int64_t(L.CheckTimeoutSeconds)) + " s";
    break;
  }
  S.Stack = formatStack(T);
  return S;
}

ThreadState &state() {
  // Guarded work outside a WorkerScope (a library user): the thread gets
  // a state of its own, without an alternate stack.
  if (!Current) {
    static thread_local ThreadState Own;
    Own.Thread = pthread_self();
    Current = &Own;
  }
  return *Current;
}

/// Runs Fn in a CrashRecoveryContext; exceptions are stops too.
bool runSafely(ThreadState &T, llvm::function_ref<void()> Fn) {
  llvm::CrashRecoveryContext CRC;
  return CRC.RunSafely([&] {
    try {
      Fn();
    } catch (const std::bad_alloc &) {
      T.Reason = StopReason::Exception;
      T.What = "out of memory (std::bad_alloc)";
    } catch (const std::exception &E) {
      T.Reason = StopReason::Exception;
      T.What = std::string("uncaught exception: ") + E.what();
    } catch (...) {
      T.Reason = StopReason::Exception;
      T.What = "uncaught exception of an unknown type";
    }
  });
}

} // namespace

AllocationCounter &allocationCounter() { return Counter; }

void allocationLimitExceeded() {
  ThreadState *T = Current;
  Counter.Limit = 0; // the way out allocates too
  if (!T || T->Depth == 0 || T->Stopping ||
      !llvm::CrashRecoveryContext::GetCurrent())
    return;
  stopNow(*T, StopReason::Memory, 1);
}

void allocationInterruptDeferred() {
  Counter.Deferred = 0;
  interruptHandler(InterruptSignal, nullptr, nullptr);
}

void enableCrashRecovery() {
  static std::once_flag Once;
  std::call_once(Once, [] {
    llvm::CrashRecoveryContext::Enable();
    // Its handlers run on the thread's stack, which a stack overflow has
    // used up: ours run on the alternate stack and call them.
    for (int Sig : FatalSignals) {
      sigaction(Sig, nullptr, &RecoveryActions[Sig]);
      struct sigaction A;
      std::memset(&A, 0, sizeof A);
      A.sa_sigaction = fatalHandler;
      A.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
      sigemptyset(&A.sa_mask);
      sigaction(Sig, &A, nullptr);
    }
    struct sigaction A;
    std::memset(&A, 0, sizeof A);
    A.sa_sigaction = interruptHandler;
    A.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER | SA_RESTART;
    sigemptyset(&A.sa_mask);
    sigaction(InterruptSignal, &A, nullptr);
    // backtrace() loads libgcc on its first call: not in a signal handler.
    void *Warm[2];
    backtrace(Warm, 2);
  });
}

void setPhase(const std::string &Phase) { state().Phase = Phase; }

WorkerScope::WorkerScope() {
  auto *T = new ThreadState();
  T->Thread = pthread_self();
  T->AltStack = std::malloc(AltStackBytes);
  stack_t SS;
  SS.ss_sp = T->AltStack;
  SS.ss_size = AltStackBytes;
  SS.ss_flags = 0;
  sigaltstack(&SS, nullptr);
  pthread_attr_t Attr;
  if (pthread_getattr_np(pthread_self(), &Attr) == 0) {
    void *Addr = nullptr;
    size_t Size = 0;
    if (pthread_attr_getstack(&Attr, &Addr, &Size) == 0) {
      T->StackLow = reinterpret_cast<uintptr_t>(Addr);
      T->StackHigh = T->StackLow + Size;
    }
    pthread_attr_destroy(&Attr);
  }
  clang::noteBottomOfStack();
  Current = T;
  std::lock_guard<std::mutex> Lock(RegistryMutex);
  Registry.push_back(T);
}

WorkerScope::~WorkerScope() {
  ThreadState *T = Current;
  {
    std::lock_guard<std::mutex> Lock(RegistryMutex);
    Registry.erase(std::remove(Registry.begin(), Registry.end(), T),
                   Registry.end());
  }
  stack_t SS;
  std::memset(&SS, 0, sizeof SS);
  SS.ss_flags = SS_DISABLE;
  sigaltstack(&SS, nullptr);
  Current = nullptr;
  std::free(T->AltStack);
  delete T;
}

namespace {
std::mutex WatchdogMutex;
std::condition_variable WatchdogWake;
bool WatchdogStop = false; // guarded by WatchdogMutex

void watchdogLoop() {
  std::unique_lock<std::mutex> Lock(WatchdogMutex);
  while (!WatchdogStop) {
    WatchdogWake.wait_for(Lock, std::chrono::milliseconds(25));
    std::lock_guard<std::mutex> RL(RegistryMutex);
    int64_t Now = nowNs();
    for (ThreadState *T : Registry) {
      std::lock_guard<std::mutex> TL(T->M);
      int Reason = 0;
      if (T->UnitDeadline && Now >= T->UnitDeadline)
        Reason = int(StopReason::Timeout);
      else if (T->CheckDeadline && Now >= T->CheckDeadline)
        Reason = int(StopReason::CheckTimeout);
      // Ask again every second: the thread may have been in the
      // allocator, or in a system call that ignored the first one.
      if (Reason && (T->Pending.load() == 0 || Now - T->SignaledAt > 1e9)) {
        T->Pending.store(Reason);
        T->SignaledAt = Now;
        pthread_kill(T->Thread, InterruptSignal);
      }
    }
  }
}
} // namespace

static std::thread *WatchdogThread = nullptr;

Watchdog::Watchdog() {
  std::lock_guard<std::mutex> Lock(WatchdogMutex);
  WatchdogStop = false;
  WatchdogThread = new std::thread(watchdogLoop);
}

Watchdog::~Watchdog() {
  {
    std::lock_guard<std::mutex> Lock(WatchdogMutex);
    WatchdogStop = true;
  }
  WatchdogWake.notify_all();
  WatchdogThread->join();
  delete WatchdogThread;
  WatchdogThread = nullptr;
}

Stopped runGuardedUnit(llvm::function_ref<void()> Fn, const Limits &L) {
  enableCrashRecovery();
  ThreadState &T = state();
  T.Reason = StopReason::None;
  T.NumFrames = 0;
  T.Stopping = 0;
  T.Phase = "parsing";
  {
    BlockInterrupt B;
    std::lock_guard<std::mutex> Lock(T.M);
    T.Pending.store(0);
    T.UnitDeadline =
        L.TUTimeoutSeconds > 0 ? nowNs() + toNs(L.TUTimeoutSeconds) : 0;
    T.CheckDeadline = 0;
  }
  Counter.Deferred = 0;
  Counter.Limit =
      L.TUMemoryMiB ? Counter.Live + int64_t(L.TUMemoryMiB << 20) : 0;
  T.Depth = T.Depth + 1;
  runSafely(T, Fn);
  T.Depth = T.Depth - 1;
  Counter.Limit = 0;
  Counter.InAllocator = 0; // a crash inside malloc left it counting
  {
    BlockInterrupt B;
    std::lock_guard<std::mutex> Lock(T.M);
    T.UnitDeadline = T.CheckDeadline = 0;
    T.Pending.store(0);
  }
  Counter.Deferred = 0;
  Stopped S = describe(T, L);
  T.Reason = StopReason::None;
  T.Stopping = 0;
  return S;
}

Stopped runGuardedCheck(llvm::function_ref<void()> Fn, const Limits &L,
                        const std::string &Phase) {
  ThreadState &T = state();
  T.Phase = Phase;
  if (L.CheckTimeoutSeconds > 0) {
    BlockInterrupt B;
    std::lock_guard<std::mutex> Lock(T.M);
    T.CheckDeadline = nowNs() + toNs(L.CheckTimeoutSeconds);
  }
  T.Depth = T.Depth + 1;
  T.InCheck = 1;
  runSafely(T, Fn);
  T.InCheck = 0;
  T.Depth = T.Depth - 1;
  {
    BlockInterrupt B;
    std::lock_guard<std::mutex> Lock(T.M);
    T.CheckDeadline = 0;
    if (T.Pending.load() == int(StopReason::CheckTimeout))
      T.Pending.store(0);
  }
  if (T.Reason == StopReason::None)
    return Stopped();
  if (T.Reason == StopReason::CheckTimeout) {
    Stopped S = describe(T, L);
    T.Reason = StopReason::None;
    T.Stopping = 0;
    return S;
  }
  // A crash, an exception or a unit limit inside the check: the unit
  // stops, and the report names the check.
  llvm::CrashRecoveryContext::GetCurrent()->HandleExit(1);
}

} // namespace tether
