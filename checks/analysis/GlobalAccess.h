//===--- GlobalAccess.h - How code touches a variable with static storage -===//
//
// Shared by the global-* checks: collects the references to variables with
// static or thread storage and classifies each one (read or write, atomic,
// which mutexes are held around it).
//
//===----------------------------------------------------------------------===//
#ifndef TETHER_CHECKS_ANALYSIS_GLOBALACCESS_H
#define TETHER_CHECKS_ANALYSIS_GLOBALACCESS_H

#include "analysis/ThreadContext.h"
#include "core/Rules.h"

#include "clang/AST/Expr.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/SmallVector.h"

namespace clang {
class ASTContext;
class FieldDecl;
class ValueDecl;
class VarDecl;
} // namespace clang

namespace tether {

/// One reference to a variable with static or thread storage.
struct GlobalAccess {
  const clang::Expr *Ref = nullptr;
  const clang::FunctionDecl *Function = nullptr; ///< null: an initializer
  bool Write = false;
  bool Atomic = false; ///< through std::atomic_ref or an atomic builtin
  /// Mutexes (variables or fields) held around the access.
  llvm::SmallVector<const clang::ValueDecl *, 2> Held;
  /// The members selected from the variable (`g.stats.hits`: stats, hits);
  /// empty when the access reaches the whole object.
  llvm::SmallVector<const clang::FieldDecl *, 2> Path;
};

/// The members `Ref` selects from the variable it names, outermost first,
/// through `.`, array elements and parentheses (not through `->`).
llvm::SmallVector<const clang::FieldDecl *, 2>
memberPath(const clang::Expr *Ref, clang::ASTContext &Ctx);

/// The first bit-field of the run of adjacent non-zero-width bit-fields
/// that `F` belongs to (they share one memory location); `F` itself when it
/// is not a bit-field.
const clang::FieldDecl *bitFieldRunStart(const clang::FieldDecl *F);

/// Can accesses through `A` and `B` touch the same memory location? One
/// path is a prefix of the other, or they part at two bit-fields of one
/// run of adjacent bit-fields (C11 3.14, [intro.memory]).
bool samePlace(llvm::ArrayRef<const clang::FieldDecl *> A,
               llvm::ArrayRef<const clang::FieldDecl *> B);

/// True if the reference `Ref` modifies the variable or lets it be modified:
/// assignment, increment, a non-const member call or operator, binding to a
/// non-const reference or pointer, taking its address. With `Rules`, using a
/// member that synchronizes itself (`&s.mutex`, an atomic member) is not a
/// write of the enclosing object.
bool isWriteAccess(const clang::Expr *Ref, clang::ASTContext &Ctx,
                   const RuleSet *Rules = nullptr);

/// True if `Ref` only reaches a member that synchronizes itself (`&s.mutex`
/// handed to pthread_mutex_lock, `s.hits` of an atomic type): not an access
/// of the rest of the object.
bool usesSynchronizedMember(const clang::Expr *Ref, clang::ASTContext &Ctx,
                            const RuleSet &Rules);

/// True if `Ref` is read or written through an atomic operation: a wrapping
/// type of the rule packs' `synchronized_types` (std::atomic_ref) constructed from
/// it, a call of an `atomic_functions` entry (__atomic_*, __sync_*,
/// std::atomic_fetch_add), or the flag of a `once_functions` call.
bool isAtomicAccess(const clang::Expr *Ref, clang::ASTContext &Ctx,
                    const RuleSet &Rules);

/// True if `T` is a type whose objects synchronize themselves: an atomic, a
/// mutex, a condition variable, a lock, or a class with a mutex member.
bool isSelfSynchronizedType(clang::QualType T, const RuleSet &Rules);

/// Computes the mutexes held at each access, across calls: a function every
/// caller of which calls it with mutex M held runs with M held.
class LockAnalysis {
public:
  LockAnalysis(clang::ASTContext &Ctx, const RuleSet &Rules,
               const ThreadContext &TC)
      : Ctx(Ctx), Rules(Rules), TC(TC) {}

  llvm::SmallVector<const clang::ValueDecl *, 2>
  heldAt(const clang::Stmt *S, const clang::FunctionDecl *FD);

private:
  llvm::SmallVector<const clang::ValueDecl *, 2>
  heldLocally(const clang::Stmt *S);
  llvm::SmallVector<const clang::ValueDecl *, 2>
  heldOnEntry(const clang::FunctionDecl *FD, int Depth);

  clang::ASTContext &Ctx;
  const RuleSet &Rules;
  const ThreadContext &TC;
  llvm::DenseMap<const clang::FunctionDecl *,
                 llvm::SmallVector<const clang::ValueDecl *, 2>>
      EntryCache;
};

/// True if `Access`, in `FD`, precedes the thread start `Start` of the same
/// function outside any loop around that start: it happens before the
/// thread runs (creating a thread synchronizes with its first statement).
bool precedesThreadStart(const clang::Expr *Access,
                         const clang::FunctionDecl *FD,
                         const clang::Expr *Start, const ThreadContext &TC,
                         clang::ASTContext &Ctx);

/// "thread entry 'worker' (std::thread, line 12)" or "main and other code".
std::string contextLabel(const ThreadContext &TC, const Reach &R);

} // namespace tether

#endif
