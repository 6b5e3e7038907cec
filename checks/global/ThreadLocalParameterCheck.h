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
/// function, F first: a setter and a getter), passes a value to G behind its
/// signature: the C++ form of Erlang's process dictionary (Process.put/get).
/// A global container used with the calling thread's id as the key
/// (`g[std::this_thread::get_id()]`, `g.find(pthread_self())`; the id
/// functions are the rule packs' `self` entries) is the same per-thread slot
/// made by hand and is treated alike. A function that writes the variable
/// before it reads it (a per-thread cache) is not a reader.
class ThreadLocalParameterCheck : public Check {
public:
  using Check::Check;
  void registerMatchers(clang::ast_matchers::MatchFinder *Finder) override;
  void check(const clang::ast_matchers::MatchFinder::MatchResult &R) override;
  void onEndOfTranslationUnit() override;

private:
  struct Access {
    const clang::Expr *Ref = nullptr; ///< the variable, or the keyed access
    bool Write = false;
  };
  llvm::MapVector<const clang::VarDecl *, llvm::SmallVector<Access, 4>> Refs;
};

} // namespace tether

#endif
