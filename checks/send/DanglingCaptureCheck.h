//===--- DanglingCaptureCheck.h - send-dangling-capture -------------------===//
#ifndef TETHER_CHECKS_SEND_DANGLINGCAPTURECHECK_H
#define TETHER_CHECKS_SEND_DANGLINGCAPTURECHECK_H

#include "core/Check.h"

#include "llvm/ADT/DenseSet.h"

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
class DanglingCaptureCheck : public Check {
public:
  using Check::Check;
  void registerMatchers(clang::ast_matchers::MatchFinder *Finder) override;
  void check(const clang::ast_matchers::MatchFinder::MatchResult &R) override;

private:
  void analyze(const clang::Expr *Site, const clang::Expr *Callable,
               llvm::ArrayRef<const clang::Expr *> ExtraArgs,
               const std::string &Sink, clang::ASTContext &Ctx);
  llvm::DenseSet<clang::SourceLocation> Reported;
};

} // namespace tether

#endif
