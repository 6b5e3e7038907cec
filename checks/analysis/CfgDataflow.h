//===--- CfgDataflow.h - Path-sensitive tracking of local objects ---------===//
//
// The forward "may" dataflow that checks use to follow local handles (a
// thread that must be joined, a promise that must be satisfied) along every
// path of a function: each variable has a set of states (bits), the set at a
// join point is the union of the paths reaching it, and a worklist runs to
// the fixpoint. Clang leaves null successors for pruned edges (`if (true)`,
// `while (true)` left by break, a noreturn call), so the walk uses
// getReachableBlock() and never llvm's post-order iterators.
//
//===----------------------------------------------------------------------===//
#ifndef TETHER_CHECKS_ANALYSIS_CFGDATAFLOW_H
#define TETHER_CHECKS_ANALYSIS_CFGDATAFLOW_H

#include "clang/Analysis/CFG.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/SmallPtrSet.h"

#include <memory>
#include <vector>

namespace tether {

/// The CFG of `FD` for tracking local objects: implicit destructors (scope
/// ends, early returns) are elements, and so is every reference to a
/// variable, so that a move, a `return t` or a `Guard g(t)` reaches the
/// transfer function.
inline std::unique_ptr<clang::CFG>
buildTrackingCFG(const clang::FunctionDecl *FD, clang::ASTContext &Ctx) {
  clang::CFG::BuildOptions Opts;
  Opts.AddImplicitDtors = true;
  Opts.AddTemporaryDtors = false;
  Opts.AddInitializers = false;
  Opts.setAlwaysAdd(clang::Stmt::DeclRefExprClass);
  return clang::CFG::buildCFG(FD, FD->getBody(), &Ctx, Opts);
}

/// Runs `Transfer(const CFGElement &, States &)` over every block of `G` until
/// nothing changes. `States` maps a variable to its state bits (e.g.
/// llvm::SmallDenseMap<const VarDecl *, uint8_t>). `Refine(From, To,
/// States &)` may narrow the states on one edge (the false edge of
/// `if (t.joinable())`, say). Transfer must be monotone, as a union of bits
/// is; findings it records on the way are then valid for the fixpoint.
template <typename States, typename TransferFn, typename RefineFn>
void runForwardDataflow(const clang::CFG &G, TransferFn &&Transfer,
                        RefineFn &&Refine) {
  llvm::DenseMap<const clang::CFGBlock *, States> Out;
  std::vector<const clang::CFGBlock *> Work;
  llvm::SmallPtrSet<const clang::CFGBlock *, 32> Queued;
  for (const clang::CFGBlock *B : llvm::reverse(G)) // entry first
    if (B && Queued.insert(B).second)
      Work.push_back(B);
  std::reverse(Work.begin(), Work.end());
  while (!Work.empty()) {
    const clang::CFGBlock *B = Work.back();
    Work.pop_back();
    Queued.erase(B);
    States S;
    for (auto It = B->pred_begin(); It != B->pred_end(); ++It) {
      const clang::CFGBlock *P = It->getReachableBlock();
      if (!P)
        continue;
      auto OI = Out.find(P);
      if (OI == Out.end())
        continue;
      States Edge = OI->second;
      Refine(P, B, Edge);
      for (auto &[V, St] : Edge)
        S[V] |= St;
    }
    for (const clang::CFGElement &E : *B)
      Transfer(E, S);
    auto OI = Out.find(B);
    if (OI != Out.end() && OI->second == S)
      continue;
    Out[B] = std::move(S);
    for (auto It = B->succ_begin(); It != B->succ_end(); ++It)
      if (const clang::CFGBlock *Succ = It->getReachableBlock())
        if (Queued.insert(Succ).second)
          Work.push_back(Succ);
  }
}

} // namespace tether

#endif
