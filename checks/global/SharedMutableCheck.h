//===--- SharedMutableCheck.h - global-shared-mutable ---------------------===//
#ifndef TETHER_CHECKS_GLOBAL_SHAREDMUTABLECHECK_H
#define TETHER_CHECKS_GLOBAL_SHAREDMUTABLECHECK_H

#include "core/Check.h"

#include "llvm/ADT/MapVector.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/SetVector.h"
#include "llvm/ADT/SmallVector.h"

namespace tether {

/// Finds mutable global, static or static-member variables that threads of
/// this translation unit share without synchronization, naming the threads.
///
/// A variable is flagged when it is accessed from two contexts (two thread
/// entries, a thread entry started several times, or a thread entry and
/// other code), at least one access writes, and the accesses do not all
/// hold one same mutex. Accesses before the first thread starts or after
/// main joins every thread do not count; const, constexpr, atomic and
/// self-locking types are never flagged. The warning is on a write, with
/// notes on the declaration, the conflicting access and the call chain from
/// each thread entry. With --strict-globals (CheckOptions::StrictGlobals)
/// every mutable global defined in the file is flagged.
class SharedMutableCheck : public Check {
public:
  using Check::Check;
  void registerMatchers(clang::ast_matchers::MatchFinder *Finder) override;
  void check(const clang::ast_matchers::MatchFinder::MatchResult &R) override;
  void onEndOfTranslationUnit() override;

private:
  llvm::MapVector<const clang::VarDecl *,
                  llvm::SmallVector<const clang::Expr *, 4>>
      Refs;
  llvm::SetVector<const clang::VarDecl *> Definitions;
  /// Synchronizing atomic operations on globals (not relaxed): a store that
  /// releases, a load that acquires, or both (read-modify-write). A write
  /// followed by a release of F, and a read preceded by an acquire of F,
  /// are ordered by F: a hand-off through an atomic flag or counter.
  struct AtomicOp {
    const clang::VarDecl *Var;
    const clang::Expr *Ref;
    bool Release;
    bool Acquire;
  };
  std::vector<AtomicOp> AtomicOps;
  /// Callables run through a once function (std::call_once, pthread_once).
  llvm::DenseSet<const clang::FunctionDecl *> OnceEntries;
};

} // namespace tether

#endif
