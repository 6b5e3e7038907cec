//===--- ThreadContext.h - Which threads run which functions --------------===//
//
// The thread-context analysis: on top of the spawn sites (SpawnSites.h) it
// builds the translation unit's call graph (direct calls, member calls,
// operator calls, constructors, lambdas created in a function - they run
// where they are created unless handed to a spawner - functions named as
// callbacks, and conservatively every override of a virtual callee) and
// computes for every function the contexts it runs in:
//
//   - one context per thread entry (a spawn site and the function it runs),
//     "multi" when several threads run that entry at once (it is spawned
//     from a loop, or by a function that is itself called from two or more
//     places or from a loop);
//   - the "other code" context: main, and every function that is not a
//     thread entry and has no caller in this translation unit (it is called
//     from main or from elsewhere).
//
// Each (function, context) pair keeps its shortest call chain from the
// context's root, for notes ("reached from thread entry 'worker' via worker
// -> step -> bump"). The analysis also answers whether a statement of the
// other-code context is ordered with all threads: before the first point
// where main (or code called only from there) starts one, or in main after
// every thread started there is joined.
//
// It is a per-TU summary with no global state; it keeps AST pointers into the
// ASTContext it was built for, and exportSummary() gives the same facts keyed
// by USR so that summaries of several translation units can be joined later.
//
//===----------------------------------------------------------------------===//
#ifndef TETHER_CHECKS_ANALYSIS_THREADCONTEXT_H
#define TETHER_CHECKS_ANALYSIS_THREADCONTEXT_H

#include "SpawnSites.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/SmallVector.h"

#include <string>
#include <vector>

namespace clang {
class ASTContext;
class Decl;
class FunctionDecl;
class Stmt;
} // namespace clang

namespace tether {

/// Where a body of code runs.
struct ExecContext {
  unsigned Id = 0;
  /// Null for the other-code context.
  const SpawnSite *Site = nullptr;
  /// The entry function, or null for the other-code context.
  const clang::FunctionDecl *Entry = nullptr;
  /// Several threads run this entry at once.
  bool Multi = false;
  /// "thread entry 'worker' (std::thread)", "main and other non-thread code"
  std::string Label;
  /// For one-line messages: "thread entry 'worker'", "non-thread code".
  std::string Short;

  bool isThread() const { return Site != nullptr; }
};

/// One call edge: `Caller` calls (or creates, or names as a callback)
/// `Callee` at `Where`.
struct CallEdge {
  const clang::FunctionDecl *Callee = nullptr;
  const clang::Stmt *Where = nullptr;
  bool Virtual = false; ///< added because `Callee` overrides the named method
};

/// A function reached in a context, with the chain from the context's root
/// (the entry, main, or an uncalled function) to it, both ends included.
struct Reach {
  unsigned Context = 0;
  llvm::SmallVector<const clang::FunctionDecl *, 4> Chain;
};

/// The USR-keyed form of the analysis, for joining translation units.
struct ContextSummary {
  struct Function {
    std::string USR;
    std::string Name;
    std::vector<std::string> Callees; ///< USRs
  };
  std::vector<Function> Functions;
  /// USRs of thread entries, with their spawners ("std::thread").
  std::vector<std::pair<std::string, std::string>> Entries;
};

class ThreadContext {
public:
  ThreadContext(clang::ASTContext &Ctx, const RuleSet &Rules);
  ThreadContext(const ThreadContext &) = delete;
  ThreadContext &operator=(const ThreadContext &) = delete;

  const std::vector<SpawnSite> &sites() const { return Sites; }
  /// Every function with a body outside system headers (lambda call
  /// operators included), in traversal order.
  const std::vector<const clang::FunctionDecl *> &functions() const {
    return Functions;
  }
  const std::vector<ExecContext> &contexts() const { return Contexts; }
  const ExecContext &context(unsigned Id) const { return Contexts[Id]; }
  /// The id of the other-code context.
  static constexpr unsigned OtherCode = 0;

  /// The contexts `FD` runs in, each with its shortest chain, in context
  /// order. Empty for functions not defined in this TU.
  llvm::ArrayRef<Reach> reaches(const clang::FunctionDecl *FD) const;
  /// The outgoing edges of `FD`.
  llvm::ArrayRef<CallEdge> callees(const clang::FunctionDecl *FD) const;
  /// The functions that call `FD` (with the call).
  llvm::ArrayRef<std::pair<const clang::FunctionDecl *, const clang::Stmt *>>
  callers(const clang::FunctionDecl *FD) const;
  /// True if `To` is reachable from `From` through one or more edges; fills
  /// `Chain` (From ... To) when given.
  bool calls(const clang::FunctionDecl *From, const clang::FunctionDecl *To,
             llvm::SmallVectorImpl<const clang::FunctionDecl *> *Chain =
                 nullptr) const;

  /// The function (a lambda's operator() for code in a lambda) whose body
  /// contains `S`, or null for code outside functions (a global's
  /// initializer).
  const clang::FunctionDecl *enclosingFunction(const clang::Stmt *S) const;
  /// Every function whose body contains `S`, template patterns left out: a
  /// non-dependent expression in a template is shared by the pattern and
  /// all its instantiations.
  llvm::SmallVector<const clang::FunctionDecl *, 2>
  enclosingFunctions(const clang::Stmt *S) const;

  /// True if `S`, in function `FD`, runs while no thread of this TU can run:
  /// in static initialization, in main (or code only main calls at such
  /// points) before the first spawn, or in main after every thread it
  /// started is joined, or between batches when main starts and joins its
  /// threads in a loop (when no thread starts threads itself and no
  /// executor is used).
  bool orderedWithThreads(const clang::Stmt *S,
                          const clang::FunctionDecl *FD) const;

  /// "worker -> step -> bump"
  static std::string chainText(llvm::ArrayRef<const clang::FunctionDecl *> C);

  ContextSummary exportSummary() const;

private:
  void buildGraph();
  void addVirtualEdges();
  void computeReach();
  void computeOrdering();
  bool isBefore(const clang::Stmt *A, const clang::Stmt *B) const;
  bool inLoopWithin(const clang::Stmt *S, const clang::FunctionDecl *FD) const;

  clang::ASTContext &Ctx;
  const RuleSet &Rules;
  std::vector<SpawnSite> Sites;
  std::vector<ExecContext> Contexts;
  std::vector<const clang::FunctionDecl *> Functions; ///< with bodies, in order
  llvm::DenseMap<const clang::FunctionDecl *, llvm::SmallVector<CallEdge, 4>>
      Edges;
  llvm::DenseMap<const clang::FunctionDecl *,
                 llvm::SmallVector<
                     std::pair<const clang::FunctionDecl *, const clang::Stmt *>,
                     2>>
      Callers;
  llvm::DenseMap<const clang::FunctionDecl *, llvm::SmallVector<Reach, 2>>
      Reaches;
  /// Statement -> function whose body (not nested lambda) holds it; filled
  /// lazily through the parent map.
  mutable llvm::DenseMap<const clang::Stmt *, const clang::FunctionDecl *>
      EnclosingCache;
  /// Functions whose every call happens before any thread starts.
  llvm::DenseMap<const clang::FunctionDecl *, bool> PreThread;
  /// main's first spawning point and its point after all joins (null: none).
  const clang::FunctionDecl *Main = nullptr;
  const clang::Stmt *FirstSpawnInMain = nullptr;
  const clang::Stmt *JoinedInMain = nullptr;
  /// main running batches: a loop whose body (BatchBody) holds every
  /// spawning point of main and, after them, a statement that joins
  /// (BatchJoin); BatchFirst is the body's first statement that spawns.
  const clang::Stmt *BatchLoop = nullptr;
  const clang::Stmt *BatchBody = nullptr;
  const clang::Stmt *BatchFirst = nullptr;
  const clang::Stmt *BatchJoin = nullptr;
  /// The statement of `Block` that holds `S`, or null if `S` is not in it.
  const clang::Stmt *topIn(const clang::Stmt *Block,
                           const clang::Stmt *S) const;
  /// Functions that start a thread directly or through their callees.
  llvm::DenseMap<const clang::FunctionDecl *, bool> Spawning;
};

} // namespace tether

#endif
