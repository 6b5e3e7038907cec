//===--- IgnoredDeliveryCheck.h - send-ignored-delivery -------------------===//
#ifndef TETHER_CHECKS_SEND_IGNOREDDELIVERYCHECK_H
#define TETHER_CHECKS_SEND_IGNOREDDELIVERYCHECK_H

#include "core/Check.h"

#include "llvm/ADT/DenseSet.h"

namespace tether {

/// Finds calls that post work or a message to another thread and ignore the
/// result that says whether it was delivered.
///
/// Flags a discarded call (not one cast to void) of a method that hands work
/// or an item to another thread - an executor method or a queue method from
/// the rule packs, or, by the documented name heuristic, post/submit/
/// enqueue/execute/dispatch/schedule/add_task/push/send (with or without a
/// try_ prefix) on a class named like a pool, executor, queue, scheduler,
/// worker, strand, channel or mailbox - when the method returns a delivery
/// report: bool, an integer or enumeration status, or a class whose name
/// says status, result, error or expected.
class IgnoredDeliveryCheck : public Check {
public:
  using Check::Check;
  void registerMatchers(clang::ast_matchers::MatchFinder *Finder) override;
  void check(const clang::ast_matchers::MatchFinder::MatchResult &R) override;

private:
  llvm::DenseSet<clang::SourceLocation> Reported;
};

} // namespace tether

#endif
