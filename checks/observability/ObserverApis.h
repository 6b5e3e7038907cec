//===--- ObserverApis.h - Handlers attached to observability APIs ---------===//
//
// The analysis behind the observability-* checks, built once per TU (through
// CheckContext::sharedAnalysis) on top of the thread-context call graph:
//
//   - registrations: every place a handler is attached to an observability
//     API: a registration function, method or constructor from the
//     "observers" rules (tether::telemetry_bus::attach, spdlog's
//     callback_sink), an override of a handler method of a base class from
//     the rules (spdlog sink_it_, glog LogSink::send, OpenTelemetry
//     SpanProcessor::OnEnd), and, by the documented name heuristics, a
//     function named attach/subscribe/add_handler/add_sink/on_event/
//     register_* in a class or namespace named like telemetry, tracing,
//     metrics, monitor, log or observer, or a callable pushed into a handler
//     list named like one ("log_handlers");
//   - what a handler does, directly or through calls: the signals it gives
//     a waiting thread (a promise set, a condition variable notified, a
//     semaphore or latch released, an atomic or variable stored that other
//     code waits on, a queue from the rules pushed that other code reads),
//     and the calls through which it emits into the same API;
//   - the waits of the translation unit on each signalled object.
//
//===----------------------------------------------------------------------===//
#ifndef TETHER_CHECKS_OBSERVABILITY_OBSERVERAPIS_H
#define TETHER_CHECKS_OBSERVABILITY_OBSERVERAPIS_H

#include "analysis/ThreadContext.h"
#include "analysis/ValueFlow.h"
#include "core/CheckContext.h"

#include "clang/Basic/SourceLocation.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/SmallVector.h"

#include <memory>
#include <string>
#include <vector>

namespace clang {
class ASTContext;
class DeclContext;
class Expr;
class FunctionDecl;
class Stmt;
class ValueDecl;
} // namespace clang

namespace tether {

/// One handler attached to an observability API.
struct Registration {
  enum Origin { Rule, NameHeuristic, HandlerList, BaseOverride } How;
  /// The registration call or construction (null for BaseOverride).
  const clang::Expr *Site = nullptr;
  /// The handler argument (null for BaseOverride).
  const clang::Expr *Handler = nullptr;
  /// The functions the handler runs (a lambda's operator(), the override).
  llvm::SmallVector<const clang::FunctionDecl *, 2> Entries;
  /// "tether::telemetry_bus::attach", "spdlog::sinks::base_sink::sink_it_",
  /// "handler list 'g_log_handlers'".
  std::string Api;
  const ObserverRule *R = nullptr;        ///< Rule and BaseOverride
  const clang::FunctionDecl *Registrar = nullptr; ///< NameHeuristic
  const clang::ValueDecl *List = nullptr; ///< HandlerList
  /// The function that contains Site (null for BaseOverride).
  const clang::FunctionDecl *Enclosing = nullptr;
};

/// Something a handler does that hands a result to a waiting thread.
struct Signal {
  const clang::Expr *Where = nullptr;        ///< the call or assignment
  const clang::ValueDecl *Object = nullptr;  ///< what is signalled
  std::string What;  ///< "sets promise 'p'", "notifies condition variable 'cv'"
  /// The handler entry ... the function that contains Where.
  llvm::SmallVector<const clang::FunctionDecl *, 4> Chain;
};

/// A call through which a handler emits into its own API.
struct Emit {
  const clang::Expr *Where = nullptr;
  std::string Callee;
  llvm::SmallVector<const clang::FunctionDecl *, 4> Chain;
};

/// A place that waits for an object to be signalled.
struct Wait {
  const clang::Expr *Where = nullptr;
  const clang::ValueDecl *Object = nullptr;
  const clang::FunctionDecl *Function = nullptr;
};

class ObserverApis {
public:
  ObserverApis(clang::ASTContext &Ctx, const RuleSet &Rules,
               ThreadContext &TC);

  const std::vector<Registration> &registrations() const { return Regs; }

  /// The signals the handler gives, directly or through calls, in source
  /// order, without the ones that stay inside the handler's own class (a
  /// batch exporter waking its own export thread).
  std::vector<Signal> signalsOf(const Registration &R) const;
  /// The emits into the registration's own API, directly or through calls.
  std::vector<Emit> emitsOf(const Registration &R) const;
  /// True if `A` and `B` name one object: the same declaration, or copies
  /// of one handle (analysis/ValueFlow.h).
  bool sameObject(const clang::ValueDecl *A, const clang::ValueDecl *B) const;
  /// Every wait on `D` (or on another name of its object) in the
  /// translation unit.
  std::vector<Wait> waitsOn(const clang::ValueDecl *D) const;
  /// Every wait of the translation unit; a wait of a helper on a future it
  /// is given has the parameter as its object.
  const std::vector<Wait> &waits() const { return Waits; }
  /// The call graph the analysis follows.
  ThreadContext &threadContext() const { return TC; }
  /// The object whose method a call of the API runs on: `bus` for
  /// `bus.attach(...)` or `bus.emit(...)`, when it is one definite object
  /// (a variable, a field that is not a pointer or reference, or a
  /// parameter of `Owner`); null when it could be any.
  static const clang::ValueDecl *
  definiteObject(const clang::Expr *Call, const clang::FunctionDecl *Owner);

  static std::string chainText(
      llvm::ArrayRef<const clang::FunctionDecl *> Chain);

private:
  void findRegistrations();
  void findWaits();
  /// The functions the handler runs, directly or through calls, each with
  /// its chain from an entry.
  std::vector<llvm::SmallVector<const clang::FunctionDecl *, 4>>
  closure(const Registration &R) const;
  bool isEmit(const Registration &R, const clang::FunctionDecl *Callee) const;

  clang::ASTContext &Ctx;
  const RuleSet &Rules;
  ThreadContext &TC;
  mutable ValueFlow Flow;
  std::vector<Registration> Regs;
  std::vector<Wait> Waits;
};

/// The observer analysis of the current translation unit, shared by the
/// observability-* checks.
ObserverApis &observerApis(CheckContext &C);

/// Where a finding about a registration is reported: the handler argument,
/// or the overriding handler method.
clang::SourceLocation registrationLoc(const Registration &R);
/// " (through handler -> helper)" when the chain has more than one step.
std::string throughText(llvm::ArrayRef<const clang::FunctionDecl *> Chain);

/// Splits an identifier into lower-case words ("g_logHandlers" -> g, log,
/// handlers).
std::vector<std::string> identifierWords(llvm::StringRef Name);

} // namespace tether

#endif
