//===--- LostWakeupCheck.h - send-lost-wakeup -----------------------------===//
#ifndef TETHER_CHECKS_SEND_LOSTWAKEUPCHECK_H
#define TETHER_CHECKS_SEND_LOSTWAKEUPCHECK_H

#include "core/Check.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/SmallPtrSet.h"
#include "llvm/ADT/SmallVector.h"

namespace tether {

class LockFinder;
class ThreadContext;

/// Finds condition-variable notifications that are not preceded by a change
/// of the shared state under the waiter's mutex, so that the wake-up can be
/// lost.
///
/// For each notify_one()/notify_all() of a condition variable type from the
/// rule packs, the statements of the same function before it (the whole
/// loop body if the notify is in a loop) are scanned in order, tracking the
/// mutexes held through the lock types and mutex types of the rule packs.
/// The notify is fine if shared state (a member, a global, a reference or
/// pointee, an escaped local) is changed while a mutex is held, if a mutex
/// is taken after an unlocked change, or if code that may do so is called.
/// Otherwise it is flagged: after a change made without the mutex, after a
/// change under a different mutex than the waiters use, or with no change.
class LostWakeupCheck : public Check {
public:
  using Check::Check;
  void registerMatchers(clang::ast_matchers::MatchFinder *Finder) override;
  void check(const clang::ast_matchers::MatchFinder::MatchResult &R) override;
  void onEndOfTranslationUnit() override;

private:
  struct Notify;
  void judge(const clang::Expr *At, const clang::CXXMemberCallExpr *Forwarded,
             const std::string &Method,
             const llvm::SmallPtrSet<const clang::ValueDecl *, 2> *Waiters,
             LockFinder &Locks, ThreadContext &TC, int Depth);
  /// A function that only forwards a wait with its parameter as the lock.
  struct WaitForward {
    const clang::FunctionDecl *Fn;
    unsigned Param;
    const clang::ValueDecl *CondVar;
  };
  llvm::SmallVector<WaitForward> WaitForwards;
  struct Notify {
    const clang::CXXMemberCallExpr *Call;
    const clang::ValueDecl *CondVar; ///< null if not a variable or member
  };
  clang::ASTContext *Ctx = nullptr;
  llvm::SmallVector<Notify> Notifies;
  /// The mutexes each condition variable is waited with, in this TU.
  llvm::DenseMap<const clang::ValueDecl *,
                 llvm::SmallPtrSet<const clang::ValueDecl *, 2>>
      WaiterMutexes;
  llvm::DenseSet<clang::SourceLocation> Reported;
};

} // namespace tether

#endif
