//===--- BrokenPromiseCheck.cpp - supervision-broken-promise --------------===//

#include "BrokenPromiseCheck.h"

#include "analysis/StmtParents.h"
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
#include "llvm/ADT/SetVector.h"
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
    const CFGBlock *Entry = &G->getEntry();
    const CFGBlock *ExitBlock = &G->getExit();
    runForwardDataflow<States>(
        *G, [this](const CFGElement &E, States &S) { transfer(E, S); },
        [&](const CFGBlock *From, const CFGBlock *To, States &S) {
          // A promise received by value: the function owns it, and the
          // caller took its future before handing it over.
          if (From == Entry)
            for (const VarDecl *V : Tracked)
              if (isa<ParmVarDecl>(V))
                S[V] = Unsatisfied;
          if (To == ExitBlock)
            for (auto &[V, State] : S)
              if (isa<ParmVarDecl>(V) && (State & Unsatisfied))
                report(V, paramExit(From, V));
        });
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

  /// Where a path leaves the function with parameter `V` unsatisfied.
  Exit paramExit(const CFGBlock *From, const VarDecl *V) const {
    for (const CFGElement &E : llvm::reverse(*From))
      if (auto CS = E.getAs<CFGStmt>())
        if (const auto *R = dyn_cast<ReturnStmt>(CS->getStmt()))
          return {R->getBeginLoc(),
                  "returning here leaves parameter '" + V->getNameAsString() +
                      "' unsatisfied",
                  {},
                  {}};
    SourceLocation End = FD->getBody()->getEndLoc();
    return {End,
            "the function ends here with parameter '" + V->getNameAsString() +
                "' unsatisfied",
            {},
            {}};
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

/// The promise type a container holds (`std::vector<std::promise<T>>`,
/// `std::map<K, std::promise<T>>`, `std::deque<std::packaged_task<F>>`),
/// or null.
const PromiseTypeRule *heldPromise(QualType T, const RuleSet &Rules,
                                   int Depth = 0) {
  const auto *Spec = dyn_cast_or_null<ClassTemplateSpecializationDecl>(
      T.getNonReferenceType()->getAsCXXRecordDecl());
  if (!Spec || Depth > 2)
    return nullptr;
  for (const TemplateArgument &A : Spec->getTemplateArgs().asArray()) {
    if (A.getKind() != TemplateArgument::Type)
      continue;
    QualType AT = A.getAsType();
    if (const CXXRecordDecl *RD = AT->getAsCXXRecordDecl())
      if (const PromiseTypeRule *R = Rules.promiseType(qualifiedName(RD)))
        return R;
    if (const PromiseTypeRule *R = heldPromise(AT, Rules, Depth + 1))
      return R;
  }
  return nullptr;
}

/// The container (a member or a variable) an expression reaches into:
/// `pending_`, `it->second` (it from pending_.find), `q.front()`, a
/// structured binding of a range-for over it.
const ValueDecl *containerRoot(const Expr *E, ASTContext &Ctx) {
  for (int Depth = 0; E && Depth < 16; ++Depth) {
    E = ignoreWrappers(E);
    if (const auto *DRE = dyn_cast<DeclRefExpr>(E)) {
      const ValueDecl *D = DRE->getDecl();
      if (const auto *B = dyn_cast<BindingDecl>(D))
        if (const ValueDecl *H = B->getDecomposedDecl())
          D = H;
      return resolveAlias(D, Ctx);
    }
    if (const auto *ME = dyn_cast<MemberExpr>(E)) {
      if (isa<CXXThisExpr>(ME->getBase()->IgnoreParenImpCasts()))
        return ME->getMemberDecl();
      E = ME->getBase();
      continue;
    }
    if (const auto *UO = dyn_cast<UnaryOperator>(E)) {
      E = UO->getSubExpr();
      continue;
    }
    if (const auto *ASE = dyn_cast<ArraySubscriptExpr>(E)) {
      E = ASE->getBase();
      continue;
    }
    if (const auto *OC = dyn_cast<CXXOperatorCallExpr>(E)) {
      if (OC->getNumArgs() == 0)
        return nullptr;
      E = OC->getArg(0);
      continue;
    }
    if (const auto *MC = dyn_cast<CXXMemberCallExpr>(E)) {
      E = MC->getImplicitObjectArgument();
      continue;
    }
    return nullptr;
  }
  return nullptr;
}

/// Is the body of `FD` judged? Code outside templates and every
/// instantiation is; a template's pattern only when nothing instantiates it
/// in the translation unit (a class template's member function, a function
/// template, a constructor template): then the promises whose type does not
/// depend on the template arguments are followed in the pattern.
bool judged(const FunctionDecl *FD) {
  if (!FD->isDependentContext())
    return true;
  if (isa<CXXMethodDecl>(FD) &&
      cast<CXXMethodDecl>(FD)->getParent()->isLambda())
    return false; // a generic lambda: judged in its enclosing function's
                  // instantiations, if any
  if (const FunctionTemplateDecl *FT = FD->getDescribedFunctionTemplate()) {
    if (!FT->specializations().empty())
      return false;
    if (isa<CXXRecordDecl>(FD->getDeclContext()) &&
        cast<CXXRecordDecl>(FD->getDeclContext())->isDependentContext())
      return false; // a member template of a class template: keep it simple
    return true;
  }
  const auto *MD = dyn_cast<CXXMethodDecl>(FD);
  if (!MD)
    return false;
  const ClassTemplateDecl *CT = MD->getParent()->getDescribedClassTemplate();
  if (!CT || MD->getParent()->getDeclContext()->isDependentContext())
    return false;
  for (const ClassTemplateSpecializationDecl *Spec : CT->specializations())
    for (const Decl *D : Spec->decls())
      if (const auto *M = dyn_cast<CXXMethodDecl>(D))
        if (M->getTemplateInstantiationPattern() == FD && M->hasBody())
          return false;
  return true;
}

bool isRemoval(const std::string &N) {
  return N == "erase" || N == "pop_front" || N == "pop_back" || N == "pop" ||
         N == "clear";
}

/// Removals from containers of promises on a path where nothing satisfied,
/// moved out or handed on an element of the container: the promises die
/// unsatisfied. One dataflow per function over the containers it removes
/// from; a loop that satisfies elements satisfies them all on its exit (an
/// empty container has nothing to break).
class RemovalFlow {
public:
  RemovalFlow(ASTContext &Ctx, const RuleSet &Rules, const FunctionDecl *FD,
              llvm::ArrayRef<const CXXMemberCallExpr *> Removals)
      : Ctx(Ctx), Rules(Rules), FD(FD) {
    for (const CXXMemberCallExpr *MC : Removals)
      if (const ValueDecl *C =
              containerRoot(MC->getImplicitObjectArgument(), Ctx))
        Containers.insert(C);
  }

  /// Removal calls reached with an element possibly unsatisfied.
  llvm::SetVector<const CXXMemberCallExpr *> Broken;

  void run() {
    std::unique_ptr<CFG> G = buildTrackingCFG(FD, Ctx);
    if (!G || Containers.empty())
      return;
    using CStates = llvm::SmallDenseMap<const ValueDecl *, uint8_t, 2>;
    const CFGBlock *Entry = &G->getEntry();
    runForwardDataflow<CStates>(
        *G,
        [&](const CFGElement &E, CStates &S) {
          auto CS = E.getAs<CFGStmt>();
          if (!CS)
            return;
          const auto *C = dyn_cast<CallExpr>(CS->getStmt());
          if (!C)
            return;
          if (const auto *MC = dyn_cast<CXXMemberCallExpr>(C)) {
            const ValueDecl *Root =
                containerRoot(MC->getImplicitObjectArgument(), Ctx);
            if (Root && Containers.count(Root) && isRemoval(calleeName(MC)) &&
                isa<MemberExpr>(MC->getCallee()->IgnoreParens()) &&
                directContainer(MC->getImplicitObjectArgument(), Root) &&
                (S.lookup(Root) & Unsatisfied)) {
              Broken.insert(MC);
              return;
            }
          }
          if (const ValueDecl *Root = satisfiedContainer(C))
            S[Root] = Satisfied;
        },
        [&](const CFGBlock *From, const CFGBlock *, CStates &S) {
          if (From == Entry)
            for (const ValueDecl *C : Containers)
              S[C] = Unsatisfied;
          // A loop whose body satisfies elements: on its exit, all are.
          if (const Stmt *T = From->getTerminatorStmt(); T && isLoop(T))
            for (const ValueDecl *C : Containers)
              if (loopSatisfies(loopBody(T), C))
                S[C] = Satisfied;
        });
  }

private:
  ASTContext &Ctx;
  const RuleSet &Rules;
  const FunctionDecl *FD;
  llvm::SmallPtrSet<const ValueDecl *, 2> Containers;

  /// The removal is on the container itself, not on an element of it
  /// (`q.front().clear()`).
  bool directContainer(const Expr *Obj, const ValueDecl *Root) const {
    Obj = ignoreWrappers(Obj);
    if (const auto *ME = dyn_cast<MemberExpr>(Obj))
      return ME->getMemberDecl() == Root;
    if (const auto *DRE = dyn_cast<DeclRefExpr>(Obj))
      return DRE->getDecl() == Root;
    return false;
  }

  /// The container an element of which call `C` satisfies (a satisfying
  /// method on an element), moves out (std::move of an element) or hands
  /// on (an element or the container passed by reference to a function).
  const ValueDecl *satisfiedContainer(const CallExpr *C) const {
    const Expr *Obj = objectOf(C);
    if (Obj) {
      QualType T = Obj->getType().getNonReferenceType();
      if (const auto *PT = T->getAs<PointerType>())
        T = PT->getPointeeType();
      const CXXRecordDecl *RD = T->getAsCXXRecordDecl();
      const PromiseTypeRule *R =
          RD ? Rules.promiseType(qualifiedName(RD)) : nullptr;
      if (R && contains(R->Satisfy, methodName(C)))
        if (const ValueDecl *Root = containerRoot(Obj, Ctx);
            Root && Containers.count(Root))
          return Root;
    }
    // An operator (it == end, a comparison) hands nothing on.
    if (isa<CXXOperatorCallExpr>(C))
      return nullptr;
    for (const Expr *A : C->arguments()) {
      const Expr *Arg = A;
      const Expr *Moved = movedArgument(ignoreWrappers(A));
      if (Moved)
        Arg = Moved;
      const ValueDecl *Root = containerRoot(Arg, Ctx);
      if (!Root || !Containers.count(Root))
        continue;
      // std::move(element), an element passed on, or the container itself.
      QualType T = Arg->getType().getNonReferenceType();
      const CXXRecordDecl *RD = T->getAsCXXRecordDecl();
      if (Moved || (RD && Rules.promiseType(qualifiedName(RD))) ||
          directContainer(Arg, Root))
        return Root;
    }
    return nullptr;
  }

  bool loopSatisfies(const Stmt *S, const ValueDecl *Container) const {
    if (!S || isa<LambdaExpr>(S))
      return false;
    if (const auto *C = dyn_cast<CallExpr>(S))
      if (satisfiedContainer(C) == Container)
        return true;
    for (const Stmt *Ch : S->children())
      if (loopSatisfies(Ch, Container))
        return true;
    return false;
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
  // Elements removed from a container of promises.
  Finder->addMatcher(
      cxxMemberCallExpr(callee(cxxMethodDecl(hasAnyName(
                            "erase", "pop_front", "pop_back", "pop", "clear"))))
          .bind("removal"),
      this);
  // A promise received by value (not a reference): the function owns it.
  Finder->addMatcher(parmVarDecl(hasType(PromiseType)).bind("param"), this);
}

void BrokenPromiseCheck::check(const MatchFinder::MatchResult &R) {
  Ctx = R.Context;
  if (const auto *MC = R.Nodes.getNodeAs<CXXMemberCallExpr>("removal")) {
    const FunctionDecl *FD = enclosingFunction(MC, *Ctx);
    const Expr *Obj = MC->getImplicitObjectArgument();
    if (!FD || !judged(FD) || !Obj ||
        Ctx->getSourceManager().isInSystemHeader(
            Ctx->getSourceManager().getExpansionLoc(MC->getBeginLoc())) ||
        !heldPromise(Obj->getType(), rules()))
      return;
    auto &Vec = Removals[FD];
    if (!llvm::is_contained(Vec, MC))
      Vec.push_back(MC);
    return;
  }
  if (const auto *P = R.Nodes.getNodeAs<ParmVarDecl>("param")) {
    const auto *FD = dyn_cast_or_null<FunctionDecl>(P->getDeclContext());
    if (!FD || !judged(FD) || !FD->doesThisDeclarationHaveABody() ||
        P->getType()->isReferenceType() ||
        Ctx->getSourceManager().isInSystemHeader(FD->getLocation()))
      return;
    const CXXRecordDecl *RD = recordOf(P->getType());
    if (!RD || !rules().promiseType(qualifiedName(RD)))
      return;
    auto &Vec = Locals[FD];
    if (!llvm::is_contained(Vec, P))
      Vec.push_back(P);
    return;
  }
  const auto *V = R.Nodes.getNodeAs<VarDecl>("local");
  if (!V)
    return;
  const auto *FD =
      dyn_cast_or_null<FunctionDecl>(V->getParentFunctionOrMethod());
  if (!FD || !judged(FD) || !FD->hasBody() || V->getType()->isReferenceType())
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
  if (Ctx)
    for (auto &[FD, Calls] : Removals) {
      RemovalFlow RF(*Ctx, rules(), FD, Calls);
      RF.run();
      for (const CXXMemberCallExpr *MC : RF.Broken) {
        const ValueDecl *C =
            containerRoot(MC->getImplicitObjectArgument(), *Ctx);
        const PromiseTypeRule *PR =
            heldPromise(MC->getImplicitObjectArgument()->getType(), rules());
        std::string Name = C ? C->getNameAsString() : "the container";
        const auto *ME = cast<MemberExpr>(MC->getCallee()->IgnoreParens());
        auto B =
            diag(ME->getMemberLoc(), "removing from '" + Name +
                                         "' here can destroy an "
                                         "unsatisfied '" +
                                         (PR ? PR->Type : "promise") +
                                         "': its waiter gets broken_promise");
        B.cure("set_value or set_exception on the element (or move it out) "
               "before removing it, on every path");
        if (C)
          B.note(C->getLocation(),
                 "'" + Name +
                     "' holds promises; nothing on the path to the "
                     "removal satisfies, moves out or hands on its elements");
      }
    }
  Locals.clear();
  Removals.clear();
}

} // namespace tether
