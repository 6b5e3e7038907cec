//===--- BrokenPromiseCheck.cpp - supervision-broken-promise --------------===//

#include "BrokenPromiseCheck.h"

#include "analysis/ThrowAnalysis.h"

#include "analysis/CfgDataflow.h"
#include "analysis/ExprUtils.h"
#include "analysis/ThreadContext.h"

#include "clang/AST/ASTContext.h"
#include "clang/AST/ExprCXX.h"
#include "clang/AST/ParentMapContext.h"
#include "clang/AST/StmtCXX.h"
#include "clang/Analysis/CFG.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/SmallPtrSet.h"

using namespace clang;
using namespace clang::ast_matchers;

namespace tether {

namespace {

// The states of a promise on one path, as bits: the state at a join point
// is the union of the paths reaching it.
enum : uint8_t {
  Unsatisfied = 1, // owns a shared state nobody has set yet
  Satisfied = 2,   // set, or moved from (no shared state)
  Elsewhere = 4,   // moved away or handed to code we do not follow
  NoWaiter = 8,    // unsatisfied, but its future is not taken yet
};

using States = llvm::SmallDenseMap<const VarDecl *, uint8_t, 2>;

bool contains(const std::vector<std::string> &V, const std::string &S) {
  return std::find(V.begin(), V.end(), S) != V.end();
}


std::string methodName(const CallExpr *C) {
  if (const auto *OC = dyn_cast<CXXOperatorCallExpr>(C))
    return OC->getOperator() == OO_Call ? "operator()" : "";
  return calleeName(C);
}

const Expr *objectOf(const CallExpr *C) {
  if (const auto *MC = dyn_cast<CXXMemberCallExpr>(C))
    return MC->getImplicitObjectArgument();
  if (const auto *OC = dyn_cast<CXXOperatorCallExpr>(C))
    return OC->getNumArgs() ? OC->getArg(0) : nullptr;
  return nullptr;
}

class Dataflow {
public:
  Dataflow(ASTContext &Ctx, const RuleSet &Rules, ThrowAnalysis &Throws,
           const FunctionDecl *FD, llvm::ArrayRef<const VarDecl *> Tracked)
      : Ctx(Ctx), Rules(Rules), Throws(Throws), FD(FD),
        Tracked(Tracked.begin(), Tracked.end()) {}

  struct Exit {
    SourceLocation Loc;
    std::string What;
    /// A second note: where a call can throw from (its throw site).
    SourceLocation OriginLoc;
    std::string Origin;
  };
  llvm::MapVector<const VarDecl *, Exit> Findings;

  void run() {
    std::unique_ptr<CFG> G = buildTrackingCFG(FD, Ctx);
    if (!G)
      return;
    runForwardDataflow<States>(
        *G, [this](const CFGElement &E, States &S) { transfer(E, S); },
        [](const CFGBlock *, const CFGBlock *, States &) {});
  }

private:
  ASTContext &Ctx;
  const RuleSet &Rules;
  ThrowAnalysis &Throws;
  const FunctionDecl *FD;
  llvm::SmallPtrSet<const VarDecl *, 4> Tracked;

  const PromiseTypeRule *rule(const VarDecl *V) const {
    const CXXRecordDecl *RD = recordOf(V->getType());
    return RD ? Rules.promiseType(qualifiedName(RD)) : nullptr;
  }

  void report(const VarDecl *V, Exit E) {
    if (!Findings.count(V))
      Findings.insert({V, std::move(E)});
  }

  bool leavesScope(const Stmt *At, QualType T, const VarDecl *V) {
    return ThrowAnalysis::leavesScope(At, T, V, Ctx);
  }

  void transfer(const CFGElement &E, States &S) {
    if (auto Dtor = E.getAs<CFGAutomaticObjDtor>()) {
      const VarDecl *V = Dtor->getVarDecl();
      auto It = S.find(V);
      if (It == S.end())
        return;
      if (It->second & Unsatisfied) {
        ScopeExit X = scopeExit(*Dtor, "unsatisfied", "unsatisfied");
        report(V, {X.Loc, X.What, {}, {}});
      }
      S.erase(It);
      return;
    }
    auto CS = E.getAs<CFGStmt>();
    if (!CS)
      return;
    const Stmt *St = CS->getStmt();
    if (const auto *DS = dyn_cast<DeclStmt>(St)) {
      if (!DS->isSingleDecl())
        return;
      const auto *V = dyn_cast<VarDecl>(DS->getSingleDecl());
      if (!V || !Tracked.count(V))
        return;
      const PromiseTypeRule *R = rule(V);
      uint8_t State = R && R->Future.empty() ? Unsatisfied : NoWaiter;
      if (const Expr *Init = V->getInit()) {
        const Expr *I = ignoreWrappers(Init);
        if (const auto *CE = dyn_cast<CXXConstructExpr>(I))
          if (CE->getConstructor()->isMoveConstructor() && CE->getNumArgs())
            if (const Expr *M = movedArgument(ignoreWrappers(CE->getArg(0))))
              if (const VarDecl *W = directVar(M); W && S.count(W)) {
                State = S[W];
                S[W] = Satisfied;
              }
      }
      S[V] = State;
      return;
    }
    if (const auto *Throw = dyn_cast<CXXThrowExpr>(St)) {
      QualType T = Throw->getSubExpr() ? Throw->getSubExpr()->getType()
                                       : QualType();
      for (auto &[V, State] : S)
        if ((State & Unsatisfied) && leavesScope(Throw, T, V))
          report(V, {Throw->getBeginLoc(),
                     "an exception thrown here destroys '" +
                         V->getNameAsString() + "' unsatisfied",
                     {},
                     {}});
      return;
    }
    if (const auto *C = dyn_cast<CallExpr>(St)) {
      const VarDecl *V = directVar(objectOf(C));
      if (V && S.count(V)) {
        const PromiseTypeRule *R = rule(V);
        std::string N = methodName(C);
        if (R && contains(R->Satisfy, N))
          S[V] = Satisfied;
        else if (R && contains(R->Future, N)) {
          // From here on someone can wait: an unsatisfied promise breaks.
          if (S[V] & NoWaiter)
            S[V] = (S[V] & ~NoWaiter) | Unsatisfied;
        }
        else if (N == "swap")
          S[V] = Elsewhere;
        else if (const auto *OC = dyn_cast<CXXOperatorCallExpr>(C);
                 OC && OC->getOperator() == OO_Equal) {
          if (S[V] & Unsatisfied)
            report(V, {OC->getOperatorLoc(),
                       "assigning to '" + V->getNameAsString() +
                           "' here abandons its unsatisfied promise",
                       {},
                       {}});
          const Expr *M = OC->getNumArgs() == 2
                              ? movedArgument(ignoreWrappers(OC->getArg(1)))
                              : nullptr;
          const VarDecl *W = directVar(M);
          if (W && S.count(W)) {
            S[V] = S[W];
            S[W] = Satisfied;
          } else {
            S[V] = NoWaiter; // a fresh promise: its future is not taken
          }
        }
        return;
      }
      checkThrowingCall(C, S);
      return;
    }
    if (const auto *CE = dyn_cast<CXXConstructExpr>(St)) {
      checkThrowingCall(CE, S);
      return;
    }
    if (const auto *DRE = dyn_cast<DeclRefExpr>(St)) {
      const auto *V = dyn_cast<VarDecl>(DRE->getDecl());
      if (!V || !S.count(V))
        return;
      const CXXMemberCallExpr *MC = nullptr;
      UseKind K = classifyUse(DRE, Ctx, &MC);
      if (K == UseKind::Escaped || K == UseKind::Moved)
        if (!feedsTrackedVar(DRE))
          S[V] = Elsewhere;
    }
  }

  /// A call that can throw while a promise is unsatisfied and whose
  /// exception leaves the promise's scope.
  void checkThrowingCall(const Expr *Call, States &S) {
    bool Any = false;
    for (auto &[V, State] : S)
      Any |= (State & Unsatisfied) != 0;
    if (!Any)
      return;
    std::optional<ThrowOrigin> O = Throws.thrownBy(Call);
    if (!O)
      return;
    for (auto &[V, State] : S) {
      if (!(State & Unsatisfied) || !leavesScope(Call, O->Type, V))
        continue;
      Exit E;
      E.Loc = Call->getBeginLoc();
      E.What = "this call can throw before '" + V->getNameAsString() +
               "' is satisfied, destroying it unsatisfied";
      if (O->Site != Call) {
        E.OriginLoc = O->Site->getBeginLoc();
        E.Origin = O->What;
        if (O->Chain.size() > 1)
          E.Origin += " (reached via " +
                      ThreadContext::chainText(O->Chain) + ")";
      } else {
        E.What = O->What + ", destroying '" + V->getNameAsString() +
                 "' unsatisfied";
      }
      report(V, std::move(E));
    }
  }

  bool feedsTrackedVar(const Expr *Ref) {
    return tether::feedsTrackedVar(Ref, Ctx, Tracked);
  }
};

} // namespace

void BrokenPromiseCheck::registerMatchers(MatchFinder *Finder) {
  std::vector<std::string> Types;
  for (const auto &R : rules().PromiseTypes)
    Types.push_back(R.Type);
  if (Types.empty())
    return;
  std::vector<StringRef> Names(Types.begin(), Types.end());
  auto PromiseType = qualType(hasUnqualifiedDesugaredType(
      recordType(hasDeclaration(cxxRecordDecl(hasAnyName(Names))))));
  Finder->addMatcher(
      varDecl(hasLocalStorage(), unless(parmVarDecl()), hasType(PromiseType))
          .bind("local"),
      this);
}

void BrokenPromiseCheck::check(const MatchFinder::MatchResult &R) {
  Ctx = R.Context;
  const auto *V = R.Nodes.getNodeAs<VarDecl>("local");
  if (!V)
    return;
  const auto *FD =
      dyn_cast_or_null<FunctionDecl>(V->getParentFunctionOrMethod());
  if (!FD || FD->isDependentContext() || !FD->hasBody() ||
      V->getType()->isReferenceType())
    return;
  const CXXRecordDecl *RD = recordOf(V->getType());
  const PromiseTypeRule *Rule =
      RD ? rules().promiseType(qualifiedName(RD)) : nullptr;
  if (!Rule)
    return;
  // Only promises whose future is taken here: someone waits on them.
  bool Waited = Rule->Future.empty();
  for (const Expr *Ref : referencesTo(V, FD->getBody(), *Ctx)) {
    const CXXMemberCallExpr *MC = nullptr;
    if (classifyUse(Ref, *Ctx, &MC) == UseKind::MethodCall && MC &&
        contains(Rule->Future, calleeName(MC)))
      Waited = true;
  }
  if (!Waited)
    return;
  auto &Vec = Locals[FD];
  if (std::find(Vec.begin(), Vec.end(), V) == Vec.end())
    Vec.push_back(V);
}

void BrokenPromiseCheck::analyzeFunction(const FunctionDecl *FD,
                                         llvm::ArrayRef<const VarDecl *> Vars) {
  Dataflow DF(*Ctx, rules(), throwAnalysis(context()), FD, Vars);
  DF.run();
  for (auto &[V, Exit] : DF.Findings) {
    const CXXRecordDecl *RD = recordOf(V->getType());
    std::string Type = RD ? qualifiedName(RD) : "promise";
    auto B = diag(V->getLocation(),
                  Type + " '" + V->getNameAsString() +
                      "' can be destroyed unsatisfied, so the waiter's get() "
                      "throws std::future_error")
                 .cure("satisfy it on every path "
                       "(set_exception(std::current_exception()) in a "
                       "catch), or run the work as a "
                       "tether::task_supervisor::async task and await its "
                       "result<T>, which carries the real error")
                 .note(Exit.Loc, Exit.What);
    if (!Exit.Origin.empty())
      B.note(Exit.OriginLoc, Exit.Origin);
  }
}

void BrokenPromiseCheck::onEndOfTranslationUnit() {
  if (Ctx)
    for (auto &[FD, Vars] : Locals)
      analyzeFunction(FD, Vars);
  Locals.clear();
}

} // namespace tether
