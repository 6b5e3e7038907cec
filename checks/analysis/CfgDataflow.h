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

#include "ExprUtils.h"

#include "clang/AST/ASTContext.h"
#include "clang/AST/ExprCXX.h"
#include "clang/AST/ParentMapContext.h"
#include "clang/Analysis/CFG.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/SmallPtrSet.h"

#include <memory>
#include <string>
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

/// The variable a handle expression names directly (`t`, `(t)`), not
/// through containers or pointers.
inline const clang::VarDecl *directVar(const clang::Expr *E) {
  if (!E)
    return nullptr;
  if (const auto *DRE = llvm::dyn_cast<clang::DeclRefExpr>(ignoreWrappers(E)))
    return llvm::dyn_cast<clang::VarDecl>(DRE->getDecl());
  return nullptr;
}

/// Is `V` declared somewhere inside `Block`?
inline bool isInside(const clang::VarDecl *V, const clang::Stmt *Block,
                     clang::ASTContext &Ctx) {
  clang::DynTypedNode N = clang::DynTypedNode::create(*V);
  for (int Depth = 0; Depth < 64; ++Depth) {
    auto Parents = Ctx.getParents(N);
    if (Parents.empty())
      return false;
    if (const clang::Stmt *S = Parents[0].get<clang::Stmt>())
      if (S == Block)
        return true;
    N = Parents[0];
  }
  return false;
}

/// A reference that hands a tracked object to another tracked variable
/// (`T b(std::move(a))`, `b = std::move(a)`): the transfer is handled at the
/// receiving declaration or assignment, not as an escape.
inline bool
feedsTrackedVar(const clang::Expr *Ref, clang::ASTContext &Ctx,
                const llvm::SmallPtrSetImpl<const clang::VarDecl *> &Tracked) {
  using namespace clang;
  const Expr *Cur = Ref;
  for (int Depth = 0; Depth < 8; ++Depth) {
    auto Parents = Ctx.getParents(*Cur);
    if (Parents.empty())
      return false;
    if (const auto *VD = Parents[0].get<VarDecl>())
      return Tracked.count(VD);
    const auto *P = Parents[0].get<Expr>();
    if (!P)
      return false;
    if (const auto *OC = dyn_cast<CXXOperatorCallExpr>(P))
      return OC->getOperator() == OO_Equal && OC->getNumArgs() == 2 &&
             OC->getArg(1) == Cur && directVar(OC->getArg(0)) &&
             Tracked.count(directVar(OC->getArg(0)));
    if (!isa<CallExpr, CXXConstructExpr, ImplicitCastExpr, ParenExpr,
             MaterializeTemporaryExpr, CXXBindTemporaryExpr, ExprWithCleanups,
             CXXStaticCastExpr>(P))
      return false;
    if (isa<CallExpr>(P) && !movedArgument(cast<Expr>(P)))
      return false;
    Cur = P;
  }
  return false;
}

/// The thread handle a join or detach call is made on (`t.join()`,
/// `this->t_.detach()`, `workers_[i].join()`, `w.join()` for a range-for
/// `w` over a container, which resolves to the container), for thread types
/// of the rule packs; null for any other call. What the unjoined-thread
/// checks count as "handled somewhere".
inline const clang::ValueDecl *
joinedOrDetachedHandle(const clang::CXXMemberCallExpr *MC,
                       const RuleSet &Rules, clang::ASTContext &Ctx) {
  const clang::CXXMethodDecl *MD = MC ? MC->getMethodDecl() : nullptr;
  if (!MD)
    return nullptr;
  const ThreadTypeRule *Rule = Rules.threadType(qualifiedName(MD->getParent()));
  if (!Rule)
    return nullptr;
  std::string N = calleeName(MC);
  if (!llvm::is_contained(Rule->Join, N) && !llvm::is_contained(Rule->Detach, N))
    return nullptr;
  const clang::ValueDecl *D = rootDecl(MC->getImplicitObjectArgument());
  return D ? resolveAlias(D, Ctx) : nullptr;
}

/// A container method that adds an element (`emplace_back`, `push_back`,
/// `insert`, ...): for a container of threads, a thread is started there.
inline bool isContainerInsertion(llvm::StringRef Method) {
  return Method == "emplace_back" || Method == "push_back" ||
         Method == "emplace" || Method == "emplace_front" ||
         Method == "push_front" || Method == "insert";
}

/// `v.begin()`, `v.end()` or `v.data()` whose result is handed to other
/// code (`std::for_each(v.begin(), v.end(), ...)`) rather than kept in a
/// local: the elements are out of our sight.
inline bool iteratorsHandedOn(const clang::CXXMemberCallExpr *MC,
                              clang::ASTContext &Ctx) {
  using namespace clang;
  std::string N = calleeName(MC);
  if (N != "begin" && N != "end" && N != "data")
    return false;
  auto P = Ctx.getParents(*MC);
  return !P.empty() &&
         (P[0].get<CallExpr>() || P[0].get<MaterializeTemporaryExpr>() ||
          P[0].get<CXXConstructExpr>() || P[0].get<ImplicitCastExpr>());
}

/// For a branch condition `h.joinable()` or `!h.joinable()` (any number of
/// `!`), the handle expression `h`; `Negated` tells whether the true branch
/// is the not-joinable one. Null for any other condition.
inline const clang::Expr *joinableTest(const clang::Stmt *Cond,
                                       bool &Negated) {
  using namespace clang;
  Negated = false;
  const auto *CondE = dyn_cast_or_null<Expr>(Cond);
  if (!CondE)
    return nullptr;
  const Expr *E = CondE->IgnoreParenImpCasts();
  while (const auto *UO = dyn_cast<UnaryOperator>(E)) {
    if (UO->getOpcode() != UO_LNot)
      return nullptr;
    Negated = !Negated;
    E = UO->getSubExpr()->IgnoreParenImpCasts();
  }
  const auto *MC = dyn_cast<CXXMemberCallExpr>(E);
  if (!MC || calleeName(MC) != "joinable")
    return nullptr;
  return MC->getImplicitObjectArgument();
}

/// Where and how the tracked local `V` is destroyed at an automatic
/// destructor of the CFG: at the closing brace ("'v' goes out of scope here
/// <OutOfScope>"), at a return ("returning here destroys 'v' <Destroys>"),
/// or at another jump out of its scope ("leaving the scope here destroys 'v'
/// <Destroys>").
struct ScopeExit {
  clang::SourceLocation Loc;
  std::string What;
};
inline ScopeExit scopeExit(const clang::CFGAutomaticObjDtor &Dtor,
                           llvm::StringRef OutOfScope,
                           llvm::StringRef Destroys) {
  const clang::VarDecl *V = Dtor.getVarDecl();
  const clang::Stmt *Trigger = Dtor.getTriggerStmt();
  std::string N = "'" + V->getNameAsString() + "'";
  ScopeExit X{Trigger ? Trigger->getBeginLoc() : V->getEndLoc(),
              N + " goes out of scope here " + OutOfScope.str()};
  if (const auto *CS = llvm::dyn_cast_or_null<clang::CompoundStmt>(Trigger))
    X.Loc = CS->getRBracLoc();
  else if (llvm::isa_and_nonnull<clang::ReturnStmt>(Trigger))
    X.What = "returning here destroys " + N + " " + Destroys.str();
  else if (Trigger)
    X.What = "leaving the scope here destroys " + N + " " + Destroys.str();
  return X;
}

} // namespace tether

#endif
