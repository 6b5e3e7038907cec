//===--- Lifetimes.h - When objects die, and who calls stored callables ---===//
//
// Facts about object lifetimes in one translation unit, for the checks that
// ask whether work handed to another thread can outlive what it captured
// (send-dangling-capture):
//
//   - classes whose objects are never destroyed: every object of the class
//     that this TU creates is leaked into static storage (`static T &x = *new
//     T;`, `static T *p = new T;`, a placement new into a static buffer or
//     into a wrapper with a trivial destructor that only static variables
//     hold, absl::NoDestructor's shape), nothing deletes one, or the
//     destructor is deleted or never returns (abort, a [[noreturn]] call);
//   - members that the class's destructor waits on: a future or a container
//     of futures whose elements are got or waited for, an executor that is
//     joined, waited for, drained, stopped or shut down;
//   - callback hand-offs: a member function that stores its callable
//     parameter into a member (or a container member) of its class, when a
//     function that runs on a thread of this TU (ThreadContext) calls that
//     member: calling the method hands the callable to that thread.
//
// It is a per-TU summary built lazily on first use; it keeps AST pointers
// into the ASTContext it was built for.
//
//===----------------------------------------------------------------------===//
#ifndef TETHER_CHECKS_ANALYSIS_LIFETIMES_H
#define TETHER_CHECKS_ANALYSIS_LIFETIMES_H

#include "SharedAnalyses.h"
#include "ThreadContext.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/SmallVector.h"

#include <string>
#include <vector>

namespace clang {
class ASTContext;
class CXXMemberCallExpr;
class CXXMethodDecl;
class CXXRecordDecl;
class FieldDecl;
class Stmt;
} // namespace clang

namespace tether {

/// A member function that stores a callable parameter where a thread of
/// this TU calls it.
struct CallbackStore {
  const clang::CXXMethodDecl *Method = nullptr;
  unsigned Param = 0;                     ///< the callable parameter's index
  const clang::FieldDecl *Field = nullptr; ///< where it is stored
  const clang::Stmt *Store = nullptr;     ///< the assignment or insertion
  const clang::Stmt *Invoke = nullptr;    ///< the call of the stored callable
  const clang::FunctionDecl *Invoker = nullptr; ///< the function calling it
  std::string Thread; ///< the thread context's short label
};

/// A call of a CallbackStore method: the hand-off.
struct CallbackSite {
  const clang::CXXMemberCallExpr *Call = nullptr;
  const CallbackStore *Store = nullptr;
};

class ObjectLifetimes {
public:
  ObjectLifetimes(clang::ASTContext &Ctx, const RuleSet &Rules,
                  const ThreadContext &TC);
  ObjectLifetimes(const ObjectLifetimes &) = delete;
  ObjectLifetimes &operator=(const ObjectLifetimes &) = delete;

  /// True if no object of `RD` (or of a class derived from it) is ever
  /// destroyed as far as this TU shows; `Why` receives the place that makes
  /// it so (the leaking new, the deleted or aborting destructor).
  bool neverDestroyed(const clang::CXXRecordDecl *RD,
                      const clang::Decl **Why = nullptr);

  /// The call in the destructor of `F`'s class (or in a member function of
  /// the class the destructor calls) that waits on `F`: `f.get()`,
  /// `for (auto &f : futures_) f.wait();`, `pool_.join()`. Null if none.
  /// With `Executor`, also stop/shutdown/close/join* on `F` count.
  const clang::Stmt *destructorWaitsOn(const clang::FieldDecl *F,
                                       bool Executor);

  /// Every call of a callback-storing method, in source order.
  const std::vector<CallbackSite> &callbackSites();

private:
  void scanCreations();
  bool immortal(const clang::CXXRecordDecl *RD, int Depth,
                const clang::Decl **Why);
  void findCallbackStores();

  clang::ASTContext &Ctx;
  const RuleSet &Rules;
  const ThreadContext &TC;

  bool Scanned = false;
  struct Creations {
    bool Mortal = false;
    const clang::Decl *Immortal = nullptr; ///< a leaking creation's context
    llvm::SmallVector<const clang::CXXRecordDecl *, 2> Containers;
  };
  llvm::DenseMap<const clang::CXXRecordDecl *, Creations> Records;

  bool CallbacksFound = false;
  std::vector<CallbackStore> Stores;
  std::vector<CallbackSite> Sites;
};

/// The lifetime facts of the current translation unit, shared by the
/// checks that use them.
inline ObjectLifetimes &objectLifetimes(CheckContext &C) {
  return C.sharedAnalysis<ObjectLifetimes>([&C] {
    return std::make_unique<ObjectLifetimes>(*C.astContext(), C.rules(),
                                             threadContext(C));
  });
}

} // namespace tether

#endif
