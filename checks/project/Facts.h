//===--- Facts.h - What one translation unit tells the project ------------===//
//
// The project model's unit of exchange: the facts one translation unit
// yields about its functions, classes and globals, keyed by USR so that the
// facts of all translation units can be joined (ProjectModel.h). They are
// compact, independent of Clang, and written to disk as versioned JSON
// (docs/project-model.md) by `--facts-out`, read back by `--merge`, and kept
// in the result cache.
//
// Identities: functions, classes, fields and globals are named by their
// Clang USR. A "place" (a mutex, a thread handle, a callable member) is the
// USR of the field or global it is rooted in; a parameter is "param:<n>".
//
// A fact records what the code shows, never a verdict: whether a class is a
// thread wrapper or a pool is decided in the project step, from the facts of
// every translation unit (WrapperInference.h).
//
//===----------------------------------------------------------------------===//
#ifndef TETHER_CHECKS_PROJECT_FACTS_H
#define TETHER_CHECKS_PROJECT_FACTS_H

#include "core/Diagnostic.h"

#include <string>
#include <vector>

namespace tether {

/// Bumped whenever the meaning or layout of a field changes; facts of another
/// version are rejected with a clear error (and ignored by the cache).
constexpr int FactsVersion = 4;

/// A position, as the diagnostics print it.
struct FactPos {
  std::string File;        ///< absolute, normalized
  std::string DisplayFile; ///< as users see it
  unsigned Line = 0;
  unsigned Column = 0;
  std::string SourceLine;  ///< for the caret display of a finding there
};

/// A lock held by a guard object of a project class around an access: the
/// guard's class, and what its constructor was given.
struct GuardFact {
  std::string Class;  ///< USR
  std::string Target; ///< field or global USR of the constructor's argument
};

/// A call in a function body.
struct CallFact {
  std::string Callee; ///< USR
  FactPos Pos;
  unsigned Seq = 0;    ///< order of the call's statement in the body
  bool InLoop = false; ///< inside a loop of the calling function
  /// An exception leaving the callee is caught in the caller (a handler of
  /// the enclosing try catches any type).
  bool Caught = false;
  /// Not a call: a lambda created here or a function named as a callback,
  /// which the graph treats as called from here (it may run later).
  bool Named = false;
  /// Held around the call (as for an access): what the callee runs under.
  std::vector<std::string> Locks;
  std::vector<GuardFact> Guards;
};

enum class SpawnFactKind { Thread, ThreadFunction, Async, Executor };

/// A callable handed to another thread, as the per-TU spawn sites see it.
struct SpawnFact {
  SpawnFactKind Kind = SpawnFactKind::Thread;
  std::string Spawner;              ///< "std::thread", "pthread_create"
  std::vector<std::string> Entries; ///< USRs of the functions it runs
  FactPos Pos;
  unsigned Seq = 0;
  bool InLoop = false;
  /// The field that receives the thread handle (a class's thread member),
  /// empty when it is a local, a temporary or anything else.
  std::string HandleField;
  /// The callable is the enclosing function's parameter of this index
  /// (moved, wrapped in std::bind or in a lambda that calls it): the
  /// function forwards whatever it is given to another thread. -1: not.
  int FromParam = -1;
};

/// join/detach of a thread handle kept in a field.
struct HandleOpFact {
  std::string Op;    ///< "join" or "detach"
  std::string Field; ///< USR of the handle's field
};

/// A synchronization primitive used through a field, a global or a
/// parameter: lock, unlock, wait, notify.
struct SyncOpFact {
  std::string Op;     ///< "lock", "unlock", "wait", "notify"
  std::string Target; ///< field or global USR, or "param:<n>"
  std::string Kind;   ///< "mutex" or "condvar"
};

/// A callable parameter stored into a field (a task queued into a member
/// container, a callback or thread body kept for later).
struct StoreFact {
  unsigned Param = 0;
  std::string Field;
};

/// A callable handed to a method of a project class (not a known spawner):
/// whether it runs on another thread is decided in the project step.
struct HandoffFact {
  std::string Method; ///< USR of the called method
  unsigned Arg = 0;   ///< which argument is the callable
  std::vector<std::string> Entries;
  FactPos Pos;
  unsigned Seq = 0;
  bool InLoop = false;
  bool CapturesThis = false;
  std::vector<std::string> RefLocals; ///< locals captured by reference
  /// As SpawnFact::FromParam: the callable is this parameter of the caller.
  int FromParam = -1;
  /// The callable travels in a struct (C's task structs): `Entries` were
  /// stored into this callable field of a local that is then passed to
  /// `Method`, a function or method of any kind. Whoever calls through that
  /// field runs them.
  std::string ViaField;
  /// The receiver's lifetime ends with the caller's scope or object: a
  /// local object, or a member held by value (its destructor runs or drops
  /// the queued work first).
  bool Bounded = false;
  /// A later call in the caller waits for the receiver's work (wait*,
  /// join, drain), or the value the call returns is waited on.
  bool Awaited = false;
};

/// A read or write of a global, static or class-static variable.
struct AccessFact {
  std::string Var; ///< USR
  bool Write = false;
  bool Atomic = false;
  std::vector<std::string> Locks;  ///< USRs of mutexes held (known types)
  std::vector<GuardFact> Guards;   ///< guards of project classes in scope
  FactPos Pos;
  unsigned Seq = 0;
  /// The access precedes, outside any loop around them, every thread start
  /// of its function: it happens before those threads run.
  bool BeforeStarts = false;
  /// The memory location within the variable: one id per member selected
  /// (`g.stats.hits`), outermost first; a bit-field is named by the first
  /// field of its run of adjacent bit-fields, and the path ends at a union
  /// member. Two accesses can conflict when one path is a prefix of the
  /// other. Empty: the whole object.
  std::vector<std::string> Path;
  /// The members as written, for messages: ".stats.hits".
  std::string Member;
};

/// An exception that the per-TU throw analysis sees leave a body.
struct ThrowFact {
  std::string What; ///< "'std::runtime_error' is thrown here"
  FactPos Pos;
};

/// A local object of a project class, and what the function does to it.
struct ObjectFact {
  std::string Class; ///< USR
  std::string Var;   ///< its name
  FactPos Pos;       ///< the declaration
  struct MethodUse {
    std::string Name;
    FactPos Pos;
  };
  std::vector<MethodUse> Calls; ///< methods called on it, in order
  /// Moved, returned, stored, passed by reference or pointer: what happens
  /// to it afterwards is not followed.
  bool Escapes = false;
  /// The functions a callable constructor argument runs, when one is given.
  std::vector<std::string> CtorEntries;
};

struct FunctionFact {
  std::string USR;
  std::string Name;  ///< qualified, for messages
  std::string Class; ///< USR of the class of a method, else empty
  FactPos Pos;
  bool IsMain = false;
  bool IsCtor = false;
  bool IsDtor = false;
  bool Virtual = false;
  bool NoThrow = false; ///< noexcept, or a nothrow function of the rules
  unsigned NumParams = 0;
  std::vector<std::string> Overrides; ///< USRs of the methods it overrides
  std::vector<unsigned> CallableParams; ///< parameters of callable type
  std::vector<CallFact> Calls;
  std::vector<SpawnFact> Spawns;
  std::vector<HandleOpFact> HandleOps;
  std::vector<SyncOpFact> SyncOps;
  std::vector<StoreFact> Stores;
  /// Fields whose callable (or an element of it) this function invokes.
  std::vector<std::string> Invokes;
  /// Callable fields of any object it calls through (`entry->task.routine`
  /// in C, directly or copied into a local first).
  std::vector<std::string> CallsThroughFields;
  /// Virtual methods of its own class it calls on `this`.
  std::vector<std::string> VirtualSelfCalls;
  std::vector<HandoffFact> Handoffs;
  std::vector<AccessFact> Accesses;
  std::vector<ObjectFact> Objects;
  /// Set when the per-TU throw analysis sees an exception leave the body.
  bool HasThrow = false;
  ThrowFact Throw;
};

/// What a field holds, as far as synchronization goes.
enum class FieldKind {
  Other,
  Thread,          ///< a thread object or handle (std::thread, pthread_t)
  Mutex,           ///< a mutex of a known type or pthread_mutex_t
  CondVar,         ///< a condition variable, pthread_cond_t
  Atomic,          ///< a synchronized type
  Callable,        ///< std::function, a function pointer
  CallableQueue,   ///< a container of callables
  MutexRef,        ///< a reference or pointer to a mutex
  Object,          ///< a project class (its USR in FieldFact::Class)
  ObjectRef,       ///< a reference or pointer to a project class
};

struct FieldFact {
  std::string USR;
  std::string Name;
  FieldKind Kind = FieldKind::Other;
  std::string Class; ///< Object/ObjectRef: the class's USR
  std::string Type;  ///< the declared type, as printed
};

struct ClassFact {
  std::string USR;
  std::string Name; ///< qualified
  FactPos Pos;
  bool Polymorphic = false;
  std::vector<std::string> Bases; ///< USRs
  std::vector<FieldFact> Fields;
  /// Fields of no kind above (plain data), which are not listed.
  unsigned OtherFields = 0;
};

struct GlobalFact {
  std::string USR;
  std::string Name;
  FactPos Pos;
  bool ThreadLocal = false;
  /// Its type synchronizes itself (atomic, mutex, a class with a mutex
  /// member): never a finding.
  bool Synchronized = false;
  /// USR of its class type, if a project class (an inferred synchronized
  /// wrapper makes it safe too).
  std::string Class;
};

/// Everything one translation unit contributes.
struct TUFacts {
  std::string MainFile;    ///< absolute
  std::string DisplayFile; ///< as given
  std::vector<FunctionFact> Functions;
  std::vector<ClassFact> Classes;
  std::vector<GlobalFact> Globals;
  /// The per-TU checks' findings, so that a merge reports them too.
  std::vector<Diagnostic> Diagnostics;
  /// USRs of globals the per-TU global-* checks already reported.
  std::vector<std::string> ReportedGlobals;
  /// A tool error for this translation unit (it did not parse), if any.
  bool Failed = false;
  ToolError Error;
  /// Every file the translation unit read (main file and headers),
  /// absolute: what the result cache checks, and what --diff will use.
  std::vector<std::string> Files;
  /// Not serialized: this run took the facts from the result cache.
  bool FromCache = false;
  /// Not serialized: a translation unit of the database that this run was
  /// not asked to analyze, whose cached facts the project step joins (so a
  /// run on a few files still knows the project's wrappers and threads);
  /// nothing of it is reported.
  bool ContextOnly = false;
};

/// JSON form ("tether-facts": FactsVersion). Returns false and sets `Error`
/// on malformed input or another version.
std::string factsToJson(const TUFacts &F);
bool factsFromJson(const std::string &Text, TUFacts &Out, std::string &Error);

/// Reads and writes a facts file; writing goes through a temporary file
/// renamed into place.
bool writeFactsFile(const std::string &Path, const TUFacts &F,
                    std::string &Error);
bool readFactsFile(const std::string &Path, TUFacts &Out, std::string &Error);

} // namespace tether

#endif
