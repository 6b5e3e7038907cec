//===--- SwallowedErrorCheck.cpp - supervision-swallowed-error ------------===//

#include "SwallowedErrorCheck.h"

#include "analysis/CfgDataflow.h"
#include "analysis/ExprUtils.h"
#include "analysis/SharedAnalyses.h"
#include "analysis/StmtParents.h"

#include "clang/AST/ASTContext.h"
#include "clang/AST/ExprCXX.h"
#include "clang/AST/StmtCXX.h"
#include "clang/Basic/SourceManager.h"
#include "clang/Lex/Lexer.h"

#include <optional>

using namespace clang;
using namespace clang::ast_matchers;

namespace tether {

namespace {

/// A variable local to the function that holds the handler (its catch
/// parameter included): writing to it reports nothing to anyone. References
/// and pointers may lead elsewhere and do not count as local.
bool isLocalValue(const Expr *E) {
  E = E->IgnoreParenImpCasts();
  const auto *DRE = dyn_cast<DeclRefExpr>(E);
  if (!DRE)
    return false;
  const auto *V = dyn_cast<VarDecl>(DRE->getDecl());
  return V && V->hasLocalStorage() && !isa<ParmVarDecl>(V) &&
         !V->getType()->isReferenceType() && !V->getType()->isPointerType();
}

/// Does `S` do anything with the error that someone could see?
bool handles(const Stmt *S, bool VoidFunction) {
  if (!S)
    return false;
  if (const auto *CE = dyn_cast<CXXConstructExpr>(S)) {
    // Constructing a local without arguments, or a trivial copy, reports
    // nothing; any other constructor may.
    if (CE->getNumArgs() != 0 && !CE->getConstructor()->isTrivial())
      return true;
  } else if (isa<CallExpr, CXXThrowExpr, CXXNewExpr, CXXDeleteExpr>(S)) {
    return true;
  }
  if (const auto *R = dyn_cast<ReturnStmt>(S)) {
    if (R->getRetValue() || !VoidFunction)
      return true; // a status or value for the caller
    return false;
  }
  if (isa<GotoStmt, CoreturnStmt, CoyieldExpr, CoawaitExpr, GCCAsmStmt,
          MSAsmStmt>(S))
    return true;
  if (const auto *BO = dyn_cast<BinaryOperator>(S)) {
    if (BO->isAssignmentOp() && !isLocalValue(BO->getLHS()))
      return true;
  }
  if (const auto *UO = dyn_cast<UnaryOperator>(S)) {
    if (UO->isIncrementDecrementOp() && !isLocalValue(UO->getSubExpr()))
      return true;
  }
  for (const Stmt *C : S->children())
    if (handles(C, VoidFunction))
      return true;
  return false;
}

/// A handler whose body holds a comment ("// the reporter failed: counted
/// below") records a decision someone made; it is not flagged.
bool hasComment(const CXXCatchStmt *H, const ASTContext &Ctx) {
  const auto *Body = dyn_cast_or_null<CompoundStmt>(H->getHandlerBlock());
  if (!Body || Body->getLBracLoc().isMacroID() ||
      Body->getRBracLoc().isMacroID())
    return false;
  StringRef Text = Lexer::getSourceText(
      CharSourceRange::getTokenRange(Body->getSourceRange()),
      Ctx.getSourceManager(), Ctx.getLangOpts());
  return Text.contains("//") || Text.contains("/*");
}

/// A loop that repeats until told to stop (a worker loop): a `while`, a
/// `do`, or a `for` without a condition or an increment, whose condition is
/// not a constant false (`do { } while (0)` is a macro's wrapper).
bool isWorkerLoop(const Stmt *S, const ASTContext &Ctx) {
  const Expr *Cond = nullptr;
  if (const auto *W = dyn_cast<WhileStmt>(S))
    Cond = W->getCond();
  else if (const auto *D = dyn_cast<DoStmt>(S))
    Cond = D->getCond();
  else if (const auto *F = dyn_cast<ForStmt>(S)) {
    if (F->getCond() && F->getInc())
      return false;
    Cond = F->getCond();
  } else {
    return false;
  }
  bool V = true;
  return !(Cond && !Cond->isValueDependent() &&
           Cond->EvaluateAsBooleanCondition(V, Ctx) && !V);
}

/// A `break` or `return` in `S` that leaves it (not one of a nested loop,
/// switch or lambda); `Break` tells which kinds count.
const Stmt *exitIn(const Stmt *S, bool Break) {
  if (!S || isa<LambdaExpr>(S))
    return nullptr;
  if (isa<ReturnStmt>(S) || (Break && isa<BreakStmt>(S)))
    return S;
  bool Nested = isLoop(S) || isa<SwitchStmt>(S);
  for (const Stmt *C : S->children())
    if (const Stmt *E = exitIn(C, Break && !Nested))
      return E;
  return nullptr;
}

/// A worker loop in `S` (not in a lambda).
const Stmt *workerLoopIn(const Stmt *S, const ASTContext &Ctx) {
  if (!S || isa<LambdaExpr>(S))
    return nullptr;
  if (isWorkerLoop(S, Ctx))
    return S;
  for (const Stmt *C : S->children())
    if (const Stmt *L = workerLoopIn(C, Ctx))
      return L;
  return nullptr;
}

/// Does the handler tell anyone but a log? It rethrows or throws, writes
/// something that is not its own local (a flag, a status, an exception_ptr),
/// takes the exception (`std::current_exception()`), returns a status,
/// calls a member function of its own object (a restart, a state change),
/// or calls a method of an atomic, a promise or a future-like object.
bool tellsOthers(const Stmt *S, bool VoidFunction, const RuleSet &Rules,
                 ASTContext &Ctx) {
  if (!S || isa<LambdaExpr>(S))
    return false;
  if (isa<CXXThrowExpr, GotoStmt, CoreturnStmt, CoyieldExpr>(S))
    return true;
  if (const auto *R = dyn_cast<ReturnStmt>(S)) {
    // `return nullptr;` from a pthread entry tells pthread_join nothing.
    const Expr *V = R->getRetValue();
    if (V && !V->isValueDependent() &&
        V->isNullPointerConstant(Ctx, Expr::NPC_ValueDependentIsNotNull))
      return false;
    if (V || !VoidFunction)
      return true;
  }
  if (const auto *BO = dyn_cast<BinaryOperator>(S))
    if (BO->isAssignmentOp() && !isLocalValue(BO->getLHS()))
      return true;
  if (const auto *UO = dyn_cast<UnaryOperator>(S))
    if (UO->isIncrementDecrementOp() && !isLocalValue(UO->getSubExpr()))
      return true;
  if (const auto *OC = dyn_cast<CXXOperatorCallExpr>(S))
    if (OC->isAssignmentOp() && OC->getNumArgs() > 0 &&
        !isLocalValue(OC->getArg(0)))
      return true;
  if (const auto *C = dyn_cast<CallExpr>(S)) {
    if (const FunctionDecl *FD = C->getDirectCallee()) {
      std::string N = functionQualifiedName(FD);
      if (N == "std::current_exception" || N == "std::rethrow_exception" ||
          N == "std::make_exception_ptr")
        return true;
    }
    if (const auto *MC = dyn_cast<CXXMemberCallExpr>(C)) {
      const Expr *Obj = MC->getImplicitObjectArgument();
      if (Obj && isa<CXXThisExpr>(Obj->IgnoreParenImpCasts()))
        return true;
      if (Obj) {
        const CXXRecordDecl *RD =
            Obj->getType()->getPointeeCXXRecordDecl()
                ? Obj->getType()->getPointeeCXXRecordDecl()
                : Obj->getType()->getAsCXXRecordDecl();
        if (RD) {
          std::string N = qualifiedName(RD);
          if (N == "std::atomic" || N == "std::atomic_flag" ||
              Rules.promiseType(N) || futureRule(Obj->getType(), Rules))
            return true;
        }
      }
    }
  }
  for (const Stmt *C : S->children())
    if (tellsOthers(C, VoidFunction, Rules, Ctx))
      return true;
  return false;
}

/// Where handler `H` of thread entry `Entry` ends the worker: its try is in
/// a worker loop of the entry and the handler leaves the loop (`break`) or
/// the entry (`return`); or its try block holds the worker loop and the try
/// is the last statement of the entry. The loop and the exit (null when the
/// handler falls off the entry's end).
struct WorkerEnd {
  const Stmt *Loop = nullptr;
  const Stmt *Exit = nullptr;
};

std::optional<WorkerEnd>
endsWorker(const CXXCatchStmt *H, const FunctionDecl *Entry, ASTContext &Ctx) {
  const auto *Try = dyn_cast_or_null<CXXTryStmt>(enclosingStmt(H, Ctx));
  if (!Try || !Entry->getBody())
    return std::nullopt;
  // The loops and switches between the try and the entry's body.
  const Stmt *Loop = nullptr;
  bool OuterLoop = false, Switch = false;
  for (const Stmt *P = enclosingStmt(Try, Ctx); P; P = enclosingStmt(P, Ctx)) {
    if (isa<LambdaExpr>(P))
      return std::nullopt;
    if (isLoop(P)) {
      if (!Loop && isWorkerLoop(P, Ctx) && !Switch)
        Loop = P;
      else if (Loop)
        OuterLoop = true;
      else
        return std::nullopt; // a counted loop: a batch, not a worker
    }
    if (isa<SwitchStmt>(P))
      Switch = true;
  }
  if (Loop) {
    const Stmt *Exit = exitIn(H->getHandlerBlock(), /*Break=*/!OuterLoop);
    if (!Exit)
      return std::nullopt;
    return WorkerEnd{Loop, Exit};
  }
  // try { while (running) ...; } catch (...) { log(); } as the entry's last
  // statement: the loop ended with the exception, the entry ends with the
  // handler.
  const Stmt *Inner = workerLoopIn(Try->getTryBlock(), Ctx);
  const auto *Body = dyn_cast<CompoundStmt>(Entry->getBody());
  if (!Inner || !Body || Body->body_empty())
    return std::nullopt;
  bool Last = false;
  for (const Stmt *St : llvm::reverse(Body->body())) {
    if (St == Try) {
      Last = true;
      break;
    }
    if (!isa<ReturnStmt, NullStmt>(St))
      break;
  }
  if (!Last || workerLoopIn(H->getHandlerBlock(), Ctx))
    return std::nullopt;
  return WorkerEnd{Inner, exitIn(H->getHandlerBlock(), false)};
}

/// A call of std::current_exception() in `E` (through wrappers).
bool takesCurrentException(const Expr *E) {
  if (!E)
    return false;
  E = ignoreWrappers(E);
  const auto *C = dyn_cast<CallExpr>(E);
  const FunctionDecl *FD = C ? C->getDirectCallee() : nullptr;
  return FD && functionQualifiedName(FD) == "std::current_exception";
}

/// A reference to `V` that hands the exception on: anything but a test of
/// it (`if (ep)`, a conversion to bool).
bool forwards(const DeclRefExpr *Ref, ASTContext &Ctx) {
  DynTypedNodeList P = Ctx.getParents(*Ref);
  while (!P.empty() && (P[0].get<ImplicitCastExpr>() || P[0].get<ParenExpr>()))
    P = Ctx.getParents(P[0]);
  if (P.empty())
    return true;
  if (const auto *ME = P[0].get<MemberExpr>())
    return !isa<CXXConversionDecl>(ME->getMemberDecl());
  return true;
}

/// The variable a condition tests for null (`ep`, `!ep`, `(bool)ep`);
/// `Negated` for `!ep`.
const VarDecl *testedVar(const Expr *Cond, bool &Negated) {
  Negated = false;
  while (Cond) {
    Cond = Cond->IgnoreParenImpCasts();
    if (const auto *UO = dyn_cast<UnaryOperator>(Cond);
        UO && UO->getOpcode() == UO_LNot) {
      Negated = !Negated;
      Cond = UO->getSubExpr();
      continue;
    }
    if (const auto *MC = dyn_cast<CXXMemberCallExpr>(Cond);
        MC && isa_and_nonnull<CXXConversionDecl>(MC->getMethodDecl())) {
      Cond = MC->getImplicitObjectArgument();
      continue;
    }
    break;
  }
  const auto *DRE = dyn_cast_or_null<DeclRefExpr>(Cond);
  return DRE ? dyn_cast<VarDecl>(DRE->getDecl()) : nullptr;
}

/// A local exception_ptr declared in handler `H` from
/// std::current_exception() that reaches the end of its scope without being
/// handed on (rethrown, set into a promise, stored, passed) on some path:
/// the variable, and the statement that ends its scope on that path.
struct LostCapture {
  const VarDecl *Var = nullptr;
  const Stmt *ScopeEnd = nullptr;
};

std::optional<LostCapture>
lostCapture(const CXXCatchStmt *H, const FunctionDecl *FD, ASTContext &Ctx) {
  llvm::SmallVector<const VarDecl *, 2> Vars;
  struct Collect {
    llvm::SmallVectorImpl<const VarDecl *> &Out;
    void run(const Stmt *S) {
      if (!S || isa<LambdaExpr>(S))
        return;
      if (const auto *DS = dyn_cast<DeclStmt>(S))
        for (const Decl *D : DS->decls())
          if (const auto *V = dyn_cast<VarDecl>(D))
            if (V->hasLocalStorage() && !V->getType()->isReferenceType() &&
                takesCurrentException(V->getInit()))
              Out.push_back(V);
      for (const Stmt *C : S->children())
        run(C);
    }
  } C{Vars};
  C.run(H->getHandlerBlock());
  if (Vars.empty() || !FD->getBody())
    return std::nullopt;
  std::unique_ptr<CFG> G = buildTrackingCFG(FD, Ctx);
  if (!G)
    return std::nullopt;
  enum : uint8_t { Held = 1, Forwarded = 2 };
  using States = llvm::SmallDenseMap<const VarDecl *, uint8_t, 2>;
  std::optional<LostCapture> Lost;
  // The states only grow while the dataflow settles: a path seen holding
  // the exception at the end of the scope is one of the final ones.
  runForwardDataflow<States>(
      *G,
      [&](const CFGElement &E, States &S) {
        if (auto CS = E.getAs<CFGStmt>()) {
          const Stmt *St = CS->getStmt();
          if (const auto *DS = dyn_cast<DeclStmt>(St)) {
            for (const Decl *D : DS->decls())
              if (const auto *V = dyn_cast<VarDecl>(D);
                  V && llvm::is_contained(Vars, V))
                S[V] = Held;
          } else if (const auto *Ref = dyn_cast<DeclRefExpr>(St)) {
            const auto *V = dyn_cast<VarDecl>(Ref->getDecl());
            if (V && llvm::is_contained(Vars, V) && forwards(Ref, Ctx))
              S[V] = Forwarded;
          }
        } else if (auto D = E.getAs<CFGAutomaticObjDtor>()) {
          const VarDecl *V = D->getVarDecl();
          auto It = S.find(V);
          if (It != S.end() && (It->second & Held) && !Lost)
            Lost = LostCapture{V, D->getTriggerStmt()};
          S.erase(V);
        }
      },
      [&](const CFGBlock *From, const CFGBlock *To, States &S) {
        // if (ep) ... else ...: where it is null there is nothing to lose.
        bool Negated = false;
        const VarDecl *V = testedVar(
            dyn_cast_or_null<Expr>(From->getTerminatorCondition()), Negated);
        if (!V || !llvm::is_contained(Vars, V) || From->succ_size() != 2)
          return;
        const CFGBlock *NullSide =
            (From->succ_begin() + (Negated ? 0 : 1))->getReachableBlock();
        const CFGBlock *Other =
            (From->succ_begin() + (Negated ? 1 : 0))->getReachableBlock();
        if (To == NullSide && To != Other && S.count(V))
          S[V] = Forwarded;
      });
  return Lost;
}

} // namespace

void SwallowedErrorCheck::registerMatchers(MatchFinder *Finder) {
  Finder->addMatcher(cxxCatchStmt().bind("catch"), this);
}

void SwallowedErrorCheck::check(const MatchFinder::MatchResult &R) {
  Ctx = R.Context;
  if (const auto *C = R.Nodes.getNodeAs<CXXCatchStmt>("catch"))
    if (!Ctx->getSourceManager().isInSystemHeader(C->getBeginLoc()))
      Handlers.insert(C);
}

void SwallowedErrorCheck::onEndOfTranslationUnit() {
  if (!Ctx || Handlers.empty()) {
    Handlers.clear();
    return;
  }
  ThreadContext &TC = threadContext(context());
  for (const CXXCatchStmt *H : Handlers) {
    // Every function holding the handler: a handler of a function template
    // that does not depend on its parameters is one node shared by the
    // pattern and every instantiation (only the instantiations run).
    const Reach *OnThread = nullptr;
    const FunctionDecl *FD = nullptr;
    for (const FunctionDecl *F : TC.enclosingFunctions(H)) {
      for (const Reach &Rc : TC.reaches(F))
        if (TC.context(Rc.Context).isThread()) {
          OnThread = &Rc;
          break;
        }
      if (OnThread) {
        FD = F;
        break;
      }
    }
    if (!OnThread)
      continue;
    bool Void = FD->getReturnType()->isVoidType();
    if (hasComment(H, *Ctx))
      continue;
    const ExecContext &EC = TC.context(OnThread->Context);
    if (std::optional<LostCapture> L = lostCapture(H, FD, *Ctx)) {
      // The exception is taken (std::current_exception()) but handed on
      // only on some paths: on the others it is lost with the variable.
      std::string Entry = ThreadContext::chainText({EC.Entry});
      std::string Note = "this code runs on thread entry '" + Entry + "'";
      if (OnThread->Chain.size() > 1)
        Note += " via " + ThreadContext::chainText(OnThread->Chain);
      const Stmt *End = L->ScopeEnd;
      SourceLocation EndLoc = End && isa<CompoundStmt>(End)
                                  ? cast<CompoundStmt>(End)->getRBracLoc()
                                  : (End ? End->getBeginLoc() : H->getEndLoc());
      diag(L->Var->getLocation(),
           "the exception kept in '" + L->Var->getNameAsString() +
               "' is handed on only on some paths: on the others it is lost")
          .cure("rethrow it, set it into the promise or store it on every "
                "path (a tether::result<T> carries it to the owner), or let "
                "the worker crash under a tether::supervisor")
          .note(EndLoc, "on a path to here '" + L->Var->getNameAsString() +
                            "' is not handed on")
          .note(EC.Entry->getLocation(), Note);
      continue;
    }
    if (handles(H->getHandlerBlock(), Void)) {
      // It reports the error, but does it end the worker? In a thread's
      // entry, a handler that only logs and leaves the worker loop ends
      // the thread: nobody restarts it and nobody else learns.
      bool Thread = EC.Site && (EC.Site->Kind == SpawnKind::ThreadObject ||
                                EC.Site->Kind == SpawnKind::ThreadFunction);
      if (!Thread || OnThread->Chain.size() != 1 ||
          tellsOthers(H->getHandlerBlock(), Void, rules(), *Ctx))
        continue;
      std::optional<WorkerEnd> End = endsWorker(H, FD, *Ctx);
      if (!End)
        continue;
      std::string Entry = ThreadContext::chainText({EC.Entry});
      auto B = diag(H->getCatchLoc(),
                    "this handler logs the error and ends worker thread '" +
                        Entry + "': nobody restarts it");
      B.cure("let it crash under a tether::supervisor (a permanent worker "
             "child is restarted and its failure reported), or stay in the "
             "loop, or tell the owner (set a status it checks, rethrow)");
      if (End->Exit)
        B.note(End->Exit->getBeginLoc(), isa<BreakStmt>(End->Exit)
                                             ? "this leaves the worker loop"
                                             : "this ends the thread entry");
      else
        B.note(H->getHandlerBlock()->getEndLoc(),
               "the thread entry ends after the handler");
      B.note(End->Loop->getBeginLoc(), "the worker loop");
      B.note(EC.Entry->getLocation(),
             "this code runs on thread entry '" + Entry + "'");
      continue;
    }
    std::string Entry = ThreadContext::chainText({EC.Entry});
    std::string Note = "this code runs on thread entry '" + Entry + "'";
    if (OnThread->Chain.size() > 1)
      Note += " via " + ThreadContext::chainText(OnThread->Chain);
    diag(H->getCatchLoc(),
         "this handler discards the error on a worker thread: the failure "
         "vanishes unreported")
        .cure("let it crash under a tether::supervisor (a worker child is "
              "restarted and its failure reported; a second failure within "
              "the intensity window stops the supervisor), or hand the error "
              "on as a tether::result<T>")
        .note(EC.Entry->getLocation(), Note);
  }
  Handlers.clear();
}

} // namespace tether
