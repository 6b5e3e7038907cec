//===--- SpawnSites.h - Where callables are handed to other threads -------===//
//
// Finds every place in a translation unit where a callable is handed to
// another thread: a thread object constructed with an entry (std::thread,
// std::jthread, boost::thread, rule-pack thread types), a thread function
// (pthread_create), an async function (std::async), an executor method from
// the rule packs (boost::asio::thread_pool::post, ...), and, by the
// documented name heuristic, post/submit/enqueue/execute/dispatch/schedule/
// add_task on a class whose name says pool, executor, queue, scheduler,
// worker or strand. For each site it resolves the callable to the functions
// that will run on the new thread: a lambda's call operator, a function or
// function pointer, a member function (with its object), a std::bind
// result's target, a function object's operator().
//
// This is the entry-point half of the thread-context analysis
// (ThreadContext.h builds the call graph over it). It is a per-TU summary:
// it holds no AST pointers beyond the ASTContext it was built for.
//
//===----------------------------------------------------------------------===//
#ifndef TETHER_CHECKS_ANALYSIS_SPAWNSITES_H
#define TETHER_CHECKS_ANALYSIS_SPAWNSITES_H

#include "core/Rules.h"

#include "llvm/ADT/SmallVector.h"

#include <string>
#include <vector>

namespace clang {
class ASTContext;
class Expr;
class FunctionDecl;
class LambdaExpr;
} // namespace clang

namespace tether {

enum class SpawnKind {
  ThreadObject,   ///< a thread type constructed with an entry
  ThreadFunction, ///< pthread_create and friends
  Async,          ///< std::async: returns a future
  Executor,       ///< an executor method named in a rule pack
  HeuristicExecutor, ///< a method matched by the name heuristic
};

/// What becomes of the new thread's handle, as far as this TU shows.
enum class HandleFate {
  Unknown,   ///< stored, returned or passed on
  Detached,  ///< .detach() on the temporary / pthread_detach / detached attr
  Discarded, ///< a discarded future or temporary
  None,      ///< executors: there is no handle
};

struct SpawnSite {
  SpawnKind Kind;
  const clang::Expr *Site = nullptr;      ///< the construct or call expression
  const clang::Expr *Callable = nullptr;  ///< the argument that is the entry
  /// The functions that will run on the other thread: the lambda's
  /// operator(), the named function, the member function, a functor's
  /// operator(), std::bind's target. Empty when unresolvable.
  llvm::SmallVector<const clang::FunctionDecl *, 2> Entries;
  /// Set when the callable is a lambda (its captures matter to send-*).
  const clang::LambdaExpr *Lambda = nullptr;
  HandleFate Fate = HandleFate::Unknown;
  std::string Spawner; ///< "std::thread", "pthread_create", "Pool::submit"
  /// Arguments handed to the entry along with it: a thread object's
  /// arguments after the callable, pthread_create's `arg`.
  llvm::SmallVector<const clang::Expr *, 2> EntryArgs;
  /// The executor object of an executor method call (its implicit object
  /// argument); null for the other kinds.
  const clang::Expr *Receiver = nullptr;
};

/// Finds every spawn site in the translation unit (outside system headers),
/// in source order. Uninstantiated templates are skipped; instantiations are
/// reported once per instantiation.
std::vector<SpawnSite> findSpawnSites(clang::ASTContext &Ctx,
                                      const RuleSet &Rules);

/// Resolves a callable expression (lambda, function, function pointer
/// variable initialized from a function, &Class::method, std::bind(...),
/// std::ref(functor), object with operator()) to the functions it runs.
llvm::SmallVector<const clang::FunctionDecl *, 2>
resolveCallable(const clang::Expr *Callable, clang::ASTContext &Ctx);

/// The name heuristic for home-made executors (documented in docs/rules.md):
/// method names post, submit, enqueue, execute, dispatch, schedule, add_task
/// (any case, with or without underscores, with or without a `try` prefix),
/// on a class whose name contains pool, executor, queue, scheduler, worker
/// or strand.
bool looksLikeExecutor(const std::string &ClassName,
                       const std::string &MethodName);

/// The wider heuristic for methods that send a message (not necessarily a
/// callable) to another thread, used by send-ignored-delivery: the executor
/// names plus push and send, on the executor classes plus channel and
/// mailbox.
bool looksLikeSender(const std::string &ClassName,
                     const std::string &MethodName);

} // namespace tether

#endif
