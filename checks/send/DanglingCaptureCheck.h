//===--- DanglingCaptureCheck.h - send-dangling-capture -------------------===//
#ifndef TETHER_CHECKS_SEND_DANGLINGCAPTURECHECK_H
#define TETHER_CHECKS_SEND_DANGLINGCAPTURECHECK_H

#include "core/Check.h"

#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/SmallVector.h"

#include <string>
#include <utility>

namespace tether {

/// Finds callables handed to a detached thread or an executor that capture
/// this, a reference to a local or a pointer to one, so that they can run
/// after the receiver is dead.
///
/// The sinks are the shared spawn sites (analysis/SpawnSites.h): thread
/// objects and thread functions (pthread_create) of the rule packs whose
/// thread is detached (the temporary, the local it initializes, pthread_detach
/// of the handle, a detached attribute, or an entry that detaches itself), and
/// executor methods (rule packs and the name heuristic) on an executor that
/// is not a local or by-value member (whose lifetime ends with the function
/// or the object). The callable is a lambda (written in place, held in a variable,
/// or passed through a template: its closure type is read), a member
/// function with `this` as its object, or std::bind(&C::f, this, ...);
/// std::ref(local) and &local arguments (pthread_create's `arg` among them)
/// count too. A capture of
/// shared_from_this() or weak_from_this() keeps `this` alive (or checked).
/// std::async is not a sink: its discarded future blocks until the task is
/// done, and a kept one blocks at the latest when the scope ends.
///
/// Lifetimes (analysis/Lifetimes.h): a thread kept in a member (joined by
/// the destructor, a jthread) outlives the function, so the locals it
/// captures dangle but `this` does not; a local executor outlives the locals
/// declared after it; an executor member outlives the members declared after
/// it, which its work must not touch unless the destructor stops it; `this`
/// of a class whose objects are never destroyed (leaked into static
/// storage, NoDestructor-like, an aborting destructor) cannot dangle, nor
/// can `this` of work whose futures the destructor drains. A member function
/// that stores a callable where a thread of this TU calls it (subscribe,
/// set_callback) is a hand-off like an executor's.
class DanglingCaptureCheck : public Check {
public:
  using Check::Check;
  void registerMatchers(clang::ast_matchers::MatchFinder *Finder) override;
  void check(const clang::ast_matchers::MatchFinder::MatchResult &R) override;

private:
  /// What the sink says about which captures can dangle.
  struct SinkInfo {
    std::string Sink; ///< "a detached std::thread", "ThreadPool::post"
    /// The work ends before the object does (a joined or jthread member,
    /// an executor owned by another object): only captured locals dangle.
    bool LocalsOnly = false;
    /// The object waits for the work before it dies (futures drained by
    /// the destructor, a deregistration in the destructor).
    bool ThisSafe = false;
    /// A local executor: only locals declared after it dangle.
    const clang::VarDecl *LocalExecutor = nullptr;
    /// An executor member owned by this object: `this` dangles only
    /// through members declared after it.
    const clang::FieldDecl *OwnedExecutor = nullptr;
    /// Notes that explain the hand-off, before the captures.
    llvm::SmallVector<std::pair<clang::SourceLocation, std::string>, 2> Notes;
  };
  SinkInfo executorSink(const clang::Expr *Receiver, const std::string &Sink);
  void analyze(const clang::Expr *Site, const clang::Expr *Callable,
               llvm::ArrayRef<const clang::Expr *> ExtraArgs,
               llvm::ArrayRef<const clang::FunctionDecl *> Entries,
               const SinkInfo &I, clang::ASTContext &Ctx);
  llvm::DenseSet<clang::SourceLocation> Reported;
};

} // namespace tether

#endif
