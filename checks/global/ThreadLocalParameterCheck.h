//===--- ThreadLocalParameterCheck.h - global-thread-local-parameter ------===//
#ifndef TETHER_CHECKS_GLOBAL_THREADLOCALPARAMETERCHECK_H
#define TETHER_CHECKS_GLOBAL_THREADLOCALPARAMETERCHECK_H

#include "core/Check.h"

#include "llvm/ADT/MapVector.h"
#include "llvm/ADT/SmallVector.h"

namespace tether {

/// Finds thread_local variables used as hidden parameters: set in one
/// function and read in another that it calls.
///
/// A thread_local written in function F and read in function G, where G is
/// reached from F through calls (or F and G are both called from one
/// function, F first), passes a value to G behind its signature: the C++
/// form of Erlang's process dictionary (Process.put/get). A function that
/// writes the variable before it reads it (a per-thread cache) is not a
/// reader.
class ThreadLocalParameterCheck : public Check {
public:
  using Check::Check;
  void registerMatchers(clang::ast_matchers::MatchFinder *Finder) override;
  void check(const clang::ast_matchers::MatchFinder::MatchResult &R) override;
  void onEndOfTranslationUnit() override;

private:
  llvm::MapVector<const clang::VarDecl *,
                  llvm::SmallVector<const clang::Expr *, 4>>
      Refs;
};

} // namespace tether

#endif
