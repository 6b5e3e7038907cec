//===--- Rules.h - Rule packs: the API knowledge checks read --------------===//
//
// What spawns a thread, what joins or detaches it, what returns a future and
// what hands a callable to another thread is data, not code: JSON rule packs
// (rules/*.json, docs/rules.md) loaded at start-up. The built-in packs are
// compiled into the binary; users add their own with --rules. Checks receive
// the merged RuleSet through their CheckContext and build their matchers from
// it, so a new thread library needs a rule entry, not a new check.
//
//===----------------------------------------------------------------------===//
#ifndef TETHER_CHECKS_CORE_RULES_H
#define TETHER_CHECKS_CORE_RULES_H

#include <string>
#include <utility>
#include <vector>

namespace tether {

/// What destroying a still-joinable thread object does.
enum class OnDestroyJoinable { Terminate, Detach, Join };

/// A class whose objects own a thread (std::thread, boost::thread, ...).
struct ThreadTypeRule {
  std::string Type;                 ///< qualified name, e.g. "std::thread"
  int EntryArg = 0;                 ///< constructor argument that is the entry
  std::vector<std::string> Join;    ///< methods that join ("join")
  std::vector<std::string> Detach;  ///< methods that detach ("detach")
  /// Methods that start the thread, for a class constructed idle (a
  /// home-made Thread with start()); empty: construction starts it.
  std::vector<std::string> Start;
  OnDestroyJoinable OnDestroy = OnDestroyJoinable::Terminate;
  /// The function that names the calling thread of this kind
  /// ("std::this_thread::get_id"): state keyed by it is per-thread state.
  std::string Self;
  std::string Why;
  std::string Pack;
};

/// A C-style function that starts a thread and writes its handle through a
/// pointer argument (pthread_create).
struct ThreadFunctionRule {
  std::string Function;               ///< e.g. "pthread_create"
  unsigned HandleArg = 0;             ///< argument that receives the handle
  int EntryArg = -1;                  ///< argument that is the entry, -1: none
  int AttrArg = -1;                   ///< argument with creation attributes
  std::vector<std::string> Join;      ///< functions taking the handle first
  std::vector<std::string> Detach;    ///< likewise
  std::string DetachAttrSetter;       ///< "pthread_attr_setdetachstate"
  std::string DetachAttrValue;        ///< "PTHREAD_CREATE_DETACHED"
  /// The function with which a thread names itself ("pthread_self"): an
  /// entry that calls it publishes or releases its own handle.
  std::string Self;
  std::string Why;
  std::string Pack;
};

/// A function that runs a callable asynchronously and returns a future.
struct AsyncFunctionRule {
  std::string Function;  ///< e.g. "std::async"
  int EntryArg = -1;     ///< -1: the first argument that is not a launch policy
  std::string Why;
  std::string Pack;
};

/// A future-like result handle and the methods that observe its outcome.
struct FutureTypeRule {
  std::string Type;                ///< e.g. "std::future"
  std::vector<std::string> Wait;   ///< "get", "wait", "wait_for", ...
  std::string Why;
  std::string Pack;
};

/// A method that hands a callable to another thread (an executor, a pool, an
/// event loop): used by the thread-context analysis and the send-* checks.
struct ExecutorRule {
  std::string Class;                 ///< e.g. "boost::asio::thread_pool"
  std::vector<std::string> Methods;  ///< e.g. "post", "dispatch"
  int EntryArg = 0;                  ///< argument that is the callable
  std::string Why;
  std::string Pack;
};

/// A condition variable type (std::condition_variable, ...): used by
/// send-wait-without-predicate and send-lost-wakeup.
struct ConditionVariableRule {
  std::string Type;                  ///< e.g. "std::condition_variable"
  std::vector<std::string> Notify;   ///< "notify_one", "notify_all"
  /// Waiting methods with the number of arguments of their overload without
  /// a predicate: {"wait", 1}, {"wait_for", 2}, {"wait_until", 2}. A call
  /// with more arguments passes a predicate.
  std::vector<std::pair<std::string, unsigned>> Wait;
  /// The members of `Notify` and `NotifyFunctions` that wake a single
  /// waiter (notify_one, pthread_cond_signal): used by
  /// send-notify-one-multiple-conditions.
  std::vector<std::string> NotifyOne;
  /// C condition variables (a struct type such as pthread_cond_t): free
  /// functions whose first argument points to the condition variable. A
  /// waiting function takes the mutex as its second argument and never a
  /// predicate (pthread_cond_wait, cnd_timedwait).
  std::vector<std::string> WaitFunctions;
  std::vector<std::string> NotifyFunctions;
  std::string Why;
  std::string Pack;
};

/// A mutex type locked and unlocked by explicit method calls.
struct MutexTypeRule {
  std::string Type;                  ///< e.g. "std::mutex"
  std::vector<std::string> Lock;     ///< "lock", "try_lock", ...
  std::vector<std::string> Unlock;   ///< "unlock"
  /// C mutexes (a struct type such as pthread_mutex_t or mtx_t): free
  /// functions that lock or unlock the mutex their first argument points
  /// to. A lock taken in a condition (`if (mtx_lock(&m) != thrd_success)`)
  /// is held after it.
  std::vector<std::string> LockFunctions;
  std::vector<std::string> UnlockFunctions;
  std::string Why;
  std::string Pack;
};

/// Per-thread storage reached through a key (pthread_key_t, tss_t): the key
/// is shared, the value each thread stores under it is its own.
struct ThreadSpecificRule {
  std::string KeyType;             ///< e.g. "pthread_key_t"
  std::vector<std::string> Get;    ///< "pthread_getspecific"
  std::vector<std::string> Set;    ///< "pthread_setspecific"
  std::string Why;
  std::string Pack;
};

/// A scoped lock type (std::lock_guard, std::unique_lock, ...): its
/// constructor locks the mutexes it is given, its destructor unlocks them.
struct LockTypeRule {
  std::string Type;                  ///< e.g. "std::unique_lock"
  std::vector<std::string> Lock;     ///< methods that lock again ("lock")
  std::vector<std::string> Unlock;   ///< methods that unlock early ("unlock")
  /// The tag type of a constructor argument that leaves the mutex unlocked
  /// ("std::defer_lock_t"); empty if the type has none.
  std::string DeferTag;
  std::string Why;
  std::string Pack;
};

/// A method that delivers a message or item to another thread (a queue's
/// push, a channel's send) and reports whether it was delivered: used by
/// send-ignored-delivery, together with `executors`.
struct QueueRule {
  std::string Class;                 ///< e.g. "boost::lockfree::queue"
  std::vector<std::string> Methods;  ///< e.g. "push", "bounded_push"
  /// Members of `Methods` whose failure means only that memory ran out (an
  /// unbounded queue's push): the item is not lost to a full or closed
  /// queue, so ignoring the result is not reported.
  std::vector<std::string> AllocationFailureOnly;
  std::string Why;
  std::string Pack;
};

/// A function that can throw (beyond what its body in the translation unit
/// shows): used by supervision-escaping-exception and
/// supervision-broken-promise.
struct ThrowingFunctionRule {
  std::string Function;  ///< qualified name, e.g. "std::vector::at"
  std::string Throws;    ///< what it throws, for messages ("std::out_of_range")
  std::string Why;
  std::string Pack;
};

/// A promise-like type whose destruction without a value breaks the promise
/// (std::promise, std::packaged_task): used by supervision-broken-promise.
struct PromiseTypeRule {
  std::string Type;                  ///< e.g. "std::promise"
  std::vector<std::string> Satisfy;  ///< "set_value", "set_exception", ...
  std::vector<std::string> Future;   ///< "get_future": someone will wait
  std::string Why;
  std::string Pack;
};

/// Observability API knowledge (section "observers"), read by the
/// observability-* checks. One entry is one of three kinds:
///  - Register: a function, method or class (then its constructors) that
///    attaches a handler given as argument `HandlerArg`;
///  - Base: a class whose overridden `Methods` are handlers (a sink's
///    sink_it_, a span processor's OnEnd);
///  - Signal: a type whose `Methods` hand a result or a wake-up to a waiting
///    thread (std::promise::set_value, std::latch::count_down) and whose
///    `Wait` methods wait for it.
enum class ObserverKind { Register, Base, Signal };
struct ObserverRule {
  ObserverKind Kind = ObserverKind::Register;
  std::string Name;                 ///< qualified function or class name
  int HandlerArg = -1;              ///< Register: -1 = the first callable
  std::vector<std::string> Methods; ///< Base: handler methods; Signal: signals
  std::vector<std::string> Wait;    ///< Signal: methods that wait for it
  /// Signal: only a store that some other code waits for counts (atomics:
  /// a counter that is only read is recording, not signalling).
  bool OnlyIfWaited = false;
  /// Register/Base: functions that emit through the same API (qualified
  /// names; a trailing '*' matches any suffix).
  std::vector<std::string> Emit;
  std::string Why;
  std::string Pack;
};

/// A type whose objects need no lock although reachable from several
/// threads: its operations are atomic (std::atomic, std::atomic_flag), it
/// synchronizes its users (std::once_flag), or it gives each thread its own
/// value (boost::thread_specific_ptr). With `Wraps`, a type that makes the
/// plain object it is constructed from accessed atomically (std::atomic_ref).
struct SynchronizedTypeRule {
  std::string Type;
  bool Wraps = false;
  std::string Why;
  std::string Pack;
};

/// A function whose use of the object it is given is atomic
/// (std::atomic_fetch_add, __atomic_load_n, __sync_fetch_and_add). A
/// trailing '*' in the name matches any suffix.
struct AtomicFunctionRule {
  std::string Function;
  std::string Why;
  std::string Pack;
};

/// A function that runs a callable exactly once however many threads call
/// it (std::call_once, pthread_once): the callable's writes happen before
/// every caller returns, so they need no lock.
struct OnceFunctionRule {
  std::string Function;
  unsigned EntryArg = 1;
  std::string Why;
  std::string Pack;
};

/// The merged contents of every loaded pack.
struct RuleSet {
  std::vector<std::string> Packs;  ///< names of the loaded packs, in order
  std::vector<ThreadTypeRule> ThreadTypes;
  std::vector<ThreadFunctionRule> ThreadFunctions;
  std::vector<AsyncFunctionRule> AsyncFunctions;
  std::vector<FutureTypeRule> FutureTypes;
  std::vector<ExecutorRule> Executors;
  std::vector<ConditionVariableRule> ConditionVariables;
  std::vector<MutexTypeRule> MutexTypes;
  std::vector<LockTypeRule> LockTypes;
  std::vector<ThreadSpecificRule> ThreadSpecific;
  std::vector<QueueRule> Queues;
  /// Class templates that hold elements by value (std::vector, ...): a
  /// container of threads or futures is tracked like its elements.
  std::vector<std::string> Containers;
  std::vector<ThrowingFunctionRule> ThrowingFunctions;
  /// Functions known not to throw although not declared noexcept (C
  /// functions, logging entry points): qualified names.
  std::vector<std::string> NothrowFunctions;
  std::vector<PromiseTypeRule> PromiseTypes;
  std::vector<SynchronizedTypeRule> SynchronizedTypes;
  std::vector<AtomicFunctionRule> AtomicFunctions;
  std::vector<OnceFunctionRule> OnceFunctions;
  /// The out-of-the-box heuristics for home-made executors (class and method
  /// name patterns, see docs/rules.md); a pack can turn them off.
  bool ExecutorNameHeuristics = true;
  /// Observability APIs, handler base classes and signalling types.
  std::vector<ObserverRule> Observers;
  /// The out-of-the-box heuristics for home-made telemetry layers
  /// (registration names on telemetry/log/metrics classes, handler lists
  /// named like log handlers; see docs/rules.md); a pack can turn them off.
  bool ObserverNameHeuristics = true;

  const ThreadTypeRule *threadType(const std::string &QualifiedName) const;
  const FutureTypeRule *futureType(const std::string &QualifiedName) const;
  const ThreadFunctionRule *threadFunction(const std::string &Name) const;
  const ConditionVariableRule *
  conditionVariable(const std::string &QualifiedName) const;
  const MutexTypeRule *mutexType(const std::string &QualifiedName) const;
  const LockTypeRule *lockType(const std::string &QualifiedName) const;
  /// The C mutex whose `lock_functions` (`Locks` = true) or
  /// `unlock_functions` name `Function`.
  const MutexTypeRule *mutexFunction(const std::string &Function,
                                     bool &Locks) const;
  /// The C condition variable whose `wait_functions` (`Waits` = true) or
  /// `notify_functions` name `Function`.
  const ConditionVariableRule *
  conditionVariableFunction(const std::string &Function, bool &Waits) const;
  const ThreadSpecificRule *threadSpecific(const std::string &KeyType) const;
  const ThrowingFunctionRule *
  throwingFunction(const std::string &QualifiedName) const;
  bool isNothrowFunction(const std::string &QualifiedName) const;
  const PromiseTypeRule *promiseType(const std::string &QualifiedName) const;
  const SynchronizedTypeRule *
  synchronizedType(const std::string &QualifiedName) const;
  const OnceFunctionRule *onceFunction(const std::string &QualifiedName) const;
  /// Is `QualifiedName` a thread type's or thread function's `self`
  /// (std::this_thread::get_id, pthread_self)?
  bool isThreadSelf(const std::string &QualifiedName) const;
  const AtomicFunctionRule *
  atomicFunction(const std::string &QualifiedName) const;
};

/// Parses one rule pack and merges it into `Out`. On failure returns false and
/// sets `Error` to "<file>:<line>:<col>: <problem>" naming the position of the
/// offending value; `Out` is then unchanged.
bool loadRulePack(const std::string &Text, const std::string &FileName,
                  RuleSet &Out, std::string &Error);

/// Line and column (1-based) where the value at `Path` (object keys and array
/// indices, as strings) starts in the valid JSON `Text`, or where the closest
/// enclosing value that exists starts: for errors that name a position, since
/// nlohmann::json keeps none. Used by the rule-pack and config loaders.
std::pair<unsigned, unsigned>
jsonValuePosition(const std::string &Text,
                  const std::vector<std::string> &Path);

/// Reads `Path` and calls loadRulePack. A missing or unreadable file is an
/// error too.
bool loadRulePackFile(const std::string &Path, RuleSet &Out,
                      std::string &Error);

/// The packs compiled into the binary (rules/*.json): {file name, text}.
struct BuiltinPack {
  const char *Name;
  const char *Text;
};
const std::vector<BuiltinPack> &builtinRulePacks();

/// Loads every built-in pack; they are validated by the test suite, so a
/// failure here is a build defect and is reported like any rule error.
bool loadBuiltinRules(RuleSet &Out, std::string &Error);

/// Compares a rule's qualified name with a declaration's qualified name
/// printed without inline namespaces ("std::__1::thread" prints as
/// "std::thread"); a leading "::" on either side is ignored.
bool qualifiedNameMatches(const std::string &Pattern,
                          const std::string &QualifiedName);

} // namespace tether

#endif
