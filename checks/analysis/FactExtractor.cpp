//===--- FactExtractor.cpp - The project facts of one translation unit ----===//

#include "FactExtractor.h"

#include "ExprUtils.h"
#include "GlobalAccess.h"
#include "SharedAnalyses.h"
#include "StmtParents.h"
#include "ThrowAnalysis.h"

#include "clang/AST/ASTContext.h"
#include "clang/AST/DeclCXX.h"
#include "clang/AST/DeclTemplate.h"
#include "clang/AST/ExprCXX.h"
#include "clang/AST/ParentMapContext.h"
#include "clang/AST/RecursiveASTVisitor.h"
#include "clang/AST/StmtCXX.h"
#include "clang/Basic/SourceManager.h"
#include "clang/Index/USRGeneration.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/SmallString.h"

#include <functional>
#include <map>
#include <set>

using namespace clang;

namespace tether {

namespace {

std::string usrOf(const Decl *D) {
  llvm::SmallString<128> Buf;
  if (!D || index::generateUSRForDecl(D, Buf))
    return {};
  return std::string(Buf.str());
}

/// The typedef name a type is spelled with (pthread_mutex_t), if any.
std::string typedefName(QualType T) {
  while (!T.isNull()) {
    if (const auto *TT = T->getAs<TypedefType>()) {
      std::string N = TT->getDecl()->getName().str();
      if (N.size() > 2 && N.compare(N.size() - 2, 2, "_t") == 0)
        return N;
      T = TT->getDecl()->getUnderlyingType();
      continue;
    }
    break;
  }
  return {};
}

bool isCallableType(QualType T) {
  if (T.isNull())
    return false;
  T = T.getNonReferenceType();
  if (T->isFunctionPointerType() || T->isFunctionType())
    return true;
  if (const CXXRecordDecl *RD = recordOf(T)) {
    std::string N = qualifiedName(RD);
    if (N == "std::function" || N == "std::move_only_function" ||
        N == "std::copyable_function" || N == "boost::function" ||
        N == "std::packaged_task")
      return true;
    if (RD->isLambda())
      return true;
  }
  return false;
}

/// A class template specialization with a callable among its (first level
/// of) template arguments: std::deque<std::function<void()>>,
/// BlockingQueue<Task>.
bool isCallableContainer(QualType T, int Depth = 0) {
  const CXXRecordDecl *RD = recordOf(T);
  const auto *Spec = dyn_cast_or_null<ClassTemplateSpecializationDecl>(RD);
  if (!Spec || Depth > 3)
    return false;
  for (const TemplateArgument &A : Spec->getTemplateArgs().asArray()) {
    if (A.getKind() != TemplateArgument::Type)
      continue;
    QualType E = A.getAsType();
    if (isCallableType(E) || isCallableContainer(E, Depth + 1))
      return true;
    // A queue of work items: a struct that holds the callable (with a tag,
    // a priority, an unschedule hook).
    if (const CXXRecordDecl *Item = recordOf(E))
      if (Item->hasDefinition() && !Item->isLambda())
        for (const FieldDecl *F : Item->getDefinition()->fields())
          if (isCallableType(F->getType()))
            return true;
  }
  return false;
}

bool isLoopStmt(const Stmt *S) {
  return isa<ForStmt, WhileStmt, DoStmt, CXXForRangeStmt>(S);
}

class Extractor {
public:
  Extractor(CheckContext &C)
      : C(C), Ctx(*C.astContext()), SM(Ctx.getSourceManager()),
        Rules(C.rules()), TC(threadContext(C)), TA(throwAnalysis(C)),
        Locks(Ctx, Rules, TC) {}

  TUFacts run();

private:
  /// A position; with `WithSource`, also its source line, for the places a
  /// finding or a note can point at (not call sites: the facts stay small).
  FactPos pos(SourceLocation L, bool WithSource = true) {
    FactPos P;
    SourcePos S = C.position(L);
    P.File = S.File;
    P.DisplayFile = S.DisplayFile;
    P.Line = S.Line;
    P.Column = S.Column;
    if (WithSource)
      P.SourceLine = C.sourceLine(L);
    return P;
  }
  unsigned seq(const Stmt *S) {
    return SM.getFileOffset(SM.getExpansionLoc(S->getBeginLoc()));
  }
  bool inSystem(const Decl *D) {
    SourceLocation L = D->getLocation();
    return L.isInvalid() || SM.isInSystemHeader(SM.getExpansionLoc(L));
  }
  const Stmt *parentStmt(const Stmt *S) { return enclosingStmt(S, Ctx); }
  /// Climbs from `S` to the body of `FD`: inside a loop? inside a try block
  /// whose handlers catch (anything, for an exception of unknown type)?
  void enclosing(const Stmt *S, bool &InLoop, bool &Caught) {
    InLoop = Caught = false;
    const Stmt *Cur = S;
    for (int Depth = 0; Depth < 64 && Cur; ++Depth) {
      const Stmt *P = parentStmt(Cur);
      if (!P)
        return;
      if (isLoopStmt(P))
        InLoop = true;
      if (const auto *Try = dyn_cast<CXXTryStmt>(P))
        if (Try->getTryBlock() == Cur && Try->getNumHandlers() > 0)
          Caught = true;
      if (isa<LambdaExpr>(P))
        return;
      Cur = P;
    }
  }
  /// The field, global or parameter an expression (a handle, `&m`, `this->m`,
  /// `p->m`) names: its USR, or "param:<n>".
  std::string target(const Expr *E, const FunctionDecl *FD) {
    if (!E)
      return {};
    E = E->IgnoreParenImpCasts();
    if (const auto *UO = dyn_cast<UnaryOperator>(E))
      if (UO->getOpcode() == UO_AddrOf || UO->getOpcode() == UO_Deref)
        E = UO->getSubExpr()->IgnoreParenImpCasts();
    const ValueDecl *D = rootDecl(E);
    if (!D)
      return {};
    if (const auto *P = dyn_cast<ParmVarDecl>(D)) {
      if (const auto *Owner =
              dyn_cast_or_null<FunctionDecl>(P->getDeclContext()))
        if (!FD || Owner->getCanonicalDecl() == FD->getCanonicalDecl())
          return "param:" + std::to_string(P->getFunctionScopeIndex());
      return {};
    }
    if (isa<FieldDecl>(D))
      return usrOf(D);
    if (const auto *V = dyn_cast<VarDecl>(D))
      if (V->hasGlobalStorage())
        return usrOf(V);
    return {};
  }
  /// The field of the object's own class that `E` reaches into:
  /// `queue_`, `this->queue_.back().function`, `item.function` for a local
  /// `auto &item = queue_.back()`; null for anything else.
  const FieldDecl *ownerField(const Expr *E, int Depth = 0) {
    for (int K = 0; E && K < 16 && Depth < 4; ++K) {
      E = E->IgnoreParenImpCasts();
      if (const Expr *M = movedArgument(E)) {
        E = M;
        continue;
      }
      if (const auto *ME = dyn_cast<MemberExpr>(E)) {
        const Expr *Base = ME->getBase()->IgnoreParenImpCasts();
        if (isa<CXXThisExpr>(Base))
          return dyn_cast<FieldDecl>(ME->getMemberDecl());
        E = Base;
        continue;
      }
      if (const auto *MC = dyn_cast<CXXMemberCallExpr>(E)) {
        E = MC->getImplicitObjectArgument();
        continue;
      }
      if (const auto *OC = dyn_cast<CXXOperatorCallExpr>(E)) {
        if (OC->getNumArgs() == 0)
          return nullptr;
        E = OC->getArg(0); // queue_[i], *it
        continue;
      }
      if (const auto *UO = dyn_cast<UnaryOperator>(E)) {
        E = UO->getSubExpr();
        continue;
      }
      if (const auto *DRE = dyn_cast<DeclRefExpr>(E)) {
        const auto *V = dyn_cast<VarDecl>(DRE->getDecl());
        if (!V || !V->hasLocalStorage() || isa<ParmVarDecl>(V))
          return nullptr;
        // A reference or iterator into a member container.
        if (const auto *F = dyn_cast_or_null<FieldDecl>(resolveAlias(V, Ctx)))
          return F;
        if (!V->getType()->isReferenceType() || !V->getInit())
          return nullptr;
        return ownerField(V->getInit(), Depth + 1);
      }
      return nullptr;
    }
    return nullptr;
  }
  FieldKind fieldKind(QualType T, std::string &ClassUSR) {
    if (threadRule(T, Rules))
      return FieldKind::Thread;
    std::string TD = typedefName(T);
    if (TD == "pthread_t" || TD == "thrd_t")
      return FieldKind::Thread;
    QualType Elem = containerElement(T, Rules);
    if (!Elem.isNull() && threadRule(Elem, Rules))
      return FieldKind::Thread;
    bool Ref = T->isReferenceType() || T->isPointerType();
    QualType Pointee = Ref ? T->getPointeeType() : T;
    if (mutexRule(Pointee, Rules))
      return Ref ? FieldKind::MutexRef : FieldKind::Mutex;
    if (!Ref && conditionVariableRule(T, Rules))
      return FieldKind::CondVar;
    if (isCallableType(T))
      return FieldKind::Callable;
    if (isCallableContainer(T))
      return FieldKind::CallableQueue;
    if (const CXXRecordDecl *RD = recordOf(Pointee)) {
      if (Rules.synchronizedType(qualifiedName(RD)))
        return FieldKind::Atomic;
      if (RD->hasDefinition() && !inSystem(RD)) {
        ClassUSR = usrOf(RD->getDefinition());
        return Ref ? FieldKind::ObjectRef : FieldKind::Object;
      }
    }
    return FieldKind::Other;
  }
  /// Does the class (or a base) own a thread handle? Objects of such classes
  /// are recorded: they may be thread wrappers.
  bool ownsThread(const CXXRecordDecl *RD, int Depth = 0) {
    if (!RD || !RD->hasDefinition() || Depth > 8)
      return false;
    RD = RD->getDefinition();
    auto It = OwnsThread.find(RD);
    if (It != OwnsThread.end())
      return It->second;
    bool R = false;
    for (const FieldDecl *F : RD->fields()) {
      std::string Ignored;
      if (fieldKind(F->getType(), Ignored) == FieldKind::Thread)
        R = true;
    }
    for (const CXXBaseSpecifier &B : RD->bases())
      R = R || ownsThread(recordOf(B.getType()), Depth + 1);
    OwnsThread[RD] = R;
    return R;
  }
  void addClass(const CXXRecordDecl *RD);
  void addGlobal(const VarDecl *VD);
  FunctionFact &functionFact(const FunctionDecl *FD);
  void visitCall(const CallExpr *CE, const FunctionDecl *FD);
  void addCall(const Expr *Site, const FunctionDecl *Callee,
               const FunctionDecl *FD);
  void visitGlobalRef(const Expr *E, const VarDecl *VD);
  void visitLocal(const VarDecl *VD, const FunctionDecl *FD);
  void recordStores(const FunctionDecl *FD, FunctionFact &F);
  /// Mutexes and project guards held around `E` in `FD`.
  void heldAround(const Expr *E, const FunctionDecl *FD,
                  std::vector<std::string> &HeldLocks,
                  std::vector<GuardFact> &Guards);
  /// The index of `FD`'s callable parameter that the callable argument `A`
  /// forwards (moved, bound, or called by a lambda that captured it), or -1.
  int forwardedParam(const Expr *A, const FunctionDecl *FD);
  /// The common part of a hand-off to `Callee` at `CE`.
  HandoffFact handoffAt(const CallExpr *CE, const FunctionDecl *Callee,
                        unsigned Arg,
                        llvm::ArrayRef<const FunctionDecl *> Entries);
  /// The callable field a call goes through (`entry->task.routine(...)`,
  /// or a local copied from one), on any object.
  const FieldDecl *calledField(const Expr *Callee, const FunctionDecl *FD);
  /// Functions stored into callable fields of a local struct that is then
  /// handed to a call (C's task structs).
  void recordStructHandoffs(const CallExpr *CE, const FunctionDecl *FD,
                            FunctionFact &F);
  /// Is the receiver of an executor call bounded by the caller's scope or
  /// object, and is its work waited for before the caller returns?
  void receiverLifetime(const clang::CXXMemberCallExpr *MC,
                        const FunctionDecl *FD, bool &Bounded, bool &Awaited);
  std::string invokedField(const Expr *Callee, const FunctionDecl *FD);

  friend class Walker;

  CheckContext &C;
  ASTContext &Ctx;
  const SourceManager &SM;
  const RuleSet &Rules;
  ThreadContext &TC;
  ThrowAnalysis &TA;
  LockAnalysis Locks;
  TUFacts Out;
  std::map<const FunctionDecl *, size_t> FunctionIndex;
  std::set<const CXXRecordDecl *> ClassesSeen;
  std::set<const VarDecl *> GlobalsSeen;
  llvm::DenseMap<const CXXRecordDecl *, bool> OwnsThread;
  std::set<const Expr *> SpawnExprs;
};

/// One traversal collecting the expressions the facts are made of.
class Walker : public RecursiveASTVisitor<Walker> {
public:
  explicit Walker(Extractor &X) : X(X) {}
  bool shouldVisitTemplateInstantiations() const { return true; }
  bool TraverseDecl(Decl *D) {
    if (!D)
      return true;
    if (!isa<TranslationUnitDecl>(D) && X.inSystem(D))
      return true;
    if (isa<FunctionDecl, CXXRecordDecl>(D) &&
        cast<DeclContext>(D)->isDependentContext())
      return true;
    return RecursiveASTVisitor::TraverseDecl(D);
  }
  bool VisitCXXRecordDecl(CXXRecordDecl *RD) {
    if (RD->isThisDeclarationADefinition() && !RD->isLambda())
      X.addClass(RD);
    return true;
  }
  bool VisitCallExpr(CallExpr *CE) {
    for (const FunctionDecl *FD : X.TC.enclosingFunctions(CE))
      X.visitCall(CE, FD);
    return true;
  }
  bool VisitCXXConstructExpr(CXXConstructExpr *CE) {
    for (const FunctionDecl *FD : X.TC.enclosingFunctions(CE))
      X.addCall(CE, CE->getConstructor(), FD);
    return true;
  }
  bool VisitDeclRefExpr(DeclRefExpr *E) {
    if (const auto *VD = dyn_cast<VarDecl>(E->getDecl()))
      X.visitGlobalRef(E, VD);
    return true;
  }
  bool VisitMemberExpr(MemberExpr *E) {
    if (const auto *VD = dyn_cast<VarDecl>(E->getMemberDecl()))
      X.visitGlobalRef(E, VD); // a class's static data member
    return true;
  }
  bool VisitVarDecl(VarDecl *VD) {
    if (VD->hasLocalStorage() && !isa<ParmVarDecl>(VD))
      if (const auto *FD =
              dyn_cast_or_null<FunctionDecl>(VD->getParentFunctionOrMethod()))
        X.visitLocal(VD, FD);
    return true;
  }

private:
  Extractor &X;
};

void Extractor::addClass(const CXXRecordDecl *RD) {
  if (inSystem(RD) || RD->isDependentContext() ||
      !ClassesSeen.insert(RD).second)
    return;
  ClassFact CF;
  for (const FieldDecl *F : RD->fields()) {
    FieldFact FF;
    FF.Kind = fieldKind(F->getType(), FF.Class);
    if (FF.Kind == FieldKind::Other) {
      ++CF.OtherFields;
      continue;
    }
    FF.USR = usrOf(F);
    FF.Name = F->getNameAsString();
    FF.Type = qualifiedName(recordOf(F->getType()) ? recordOf(F->getType())
                                                     : nullptr);
    if (FF.Type.empty())
      FF.Type = F->getType().getAsString();
    CF.Fields.push_back(std::move(FF));
  }
  for (const CXXBaseSpecifier &B : RD->bases())
    if (const CXXRecordDecl *BD = recordOf(B.getType()))
      if (BD->hasDefinition() && !inSystem(BD))
        CF.Bases.push_back(usrOf(BD->getDefinition()));
  if (CF.Fields.empty() && CF.Bases.empty() && !RD->isPolymorphic())
    return; // nothing the inference could use
  CF.USR = usrOf(RD);
  CF.Name = qualifiedName(RD);
  CF.Pos = pos(RD->getLocation());
  CF.Polymorphic = RD->isPolymorphic();
  Out.Classes.push_back(std::move(CF));
}

void Extractor::addGlobal(const VarDecl *VD) {
  VD = VD->getCanonicalDecl();
  if (!GlobalsSeen.insert(VD).second)
    return;
  GlobalFact G;
  G.USR = usrOf(VD);
  G.Name = VD->getQualifiedNameAsString();
  const VarDecl *Def = VD->getDefinition() ? VD->getDefinition() : VD;
  G.Pos = pos(Def->getLocation());
  G.ThreadLocal = VD->getTLSKind() != VarDecl::TLS_None;
  G.Synchronized = isSelfSynchronizedType(VD->getType(), Rules);
  if (const CXXRecordDecl *RD = recordOf(VD->getType()))
    if (RD->hasDefinition() && !inSystem(RD))
      G.Class = usrOf(RD->getDefinition());
  Out.Globals.push_back(std::move(G));
}

FunctionFact &Extractor::functionFact(const FunctionDecl *FD) {
  FD = FD->getCanonicalDecl();
  auto It = FunctionIndex.find(FD);
  if (It != FunctionIndex.end())
    return Out.Functions[It->second];
  FunctionIndex[FD] = Out.Functions.size();
  Out.Functions.emplace_back();
  return Out.Functions.back();
}

std::string Extractor::invokedField(const Expr *Callee,
                                    const FunctionDecl *FD) {
  if (!Callee)
    return {};
  if (const FieldDecl *F = ownerField(Callee))
    return usrOf(F);
  const ValueDecl *D = rootDecl(Callee->IgnoreParenImpCasts());
  if (!D)
    return {};
  if (isa<FieldDecl>(D))
    return usrOf(D);
  // `auto task = std::move(queue_.front()); task();` and
  // `task = std::move(queue_.front());`: the local came from a field.
  const auto *V = dyn_cast<VarDecl>(D);
  if (!V || !V->hasLocalStorage())
    return {};
  auto fromField = [&](const Expr *Init) -> std::string {
    if (!Init)
      return {};
    Init = ignoreWrappers(Init);
    if (const auto *CE = dyn_cast<CXXConstructExpr>(Init))
      if (CE->getNumArgs() == 1)
        Init = CE->getArg(0);
    const FieldDecl *F = ownerField(Init);
    return F ? usrOf(F) : std::string();
  };
  if (std::string F = fromField(V->getInit()); !F.empty())
    return F;
  if (FD && FD->getBody())
    for (const Expr *Ref : referencesTo(V, FD->getBody(), Ctx)) {
      if (classifyUse(Ref, Ctx) != UseKind::Assigned)
        continue;
      for (const auto &P : Ctx.getParents(*Ref)) {
        if (const auto *BO = P.get<BinaryOperator>())
          if (std::string F = fromField(BO->getRHS()); !F.empty())
            return F;
        if (const auto *OC = P.get<CXXOperatorCallExpr>())
          if (OC->getNumArgs() == 2)
            if (std::string F = fromField(OC->getArg(1)); !F.empty())
              return F;
      }
    }
  // Passed to the pool by `queue_.pop(task)`: an out-parameter filled from
  // the field.
  if (FD && FD->getBody())
    for (const Expr *Ref : referencesTo(V, FD->getBody(), Ctx))
      for (const auto &P : Ctx.getParents(*Ref))
        if (const auto *MC = P.get<CXXMemberCallExpr>())
          if (const ValueDecl *R =
                  rootDecl(MC->getImplicitObjectArgument()->IgnoreParenImpCasts()))
            if (isa<FieldDecl>(R) && isCallableContainer(R->getType()))
              return usrOf(R);
  return {};
}

void Extractor::heldAround(const Expr *E, const FunctionDecl *FD,
                           std::vector<std::string> &HeldLocks,
                           std::vector<GuardFact> &Guards) {
  for (const ValueDecl *M : Locks.heldAt(E, FD))
    HeldLocks.push_back(usrOf(M));
  // Guards of project classes constructed earlier in an enclosing block.
  const Stmt *Cur = E;
  for (int Depth = 0; Depth < 64 && Cur; ++Depth) {
    const Stmt *P = parentStmt(Cur);
    if (!P || isa<LambdaExpr>(P))
      break;
    if (const auto *CS = dyn_cast<CompoundStmt>(P))
      for (const Stmt *Sib : CS->body()) {
        if (Sib == Cur)
          break;
        const auto *DS = dyn_cast<DeclStmt>(Sib);
        if (!DS)
          continue;
        for (const Decl *D : DS->decls()) {
          const auto *Local = dyn_cast<VarDecl>(D);
          const CXXRecordDecl *RD =
              Local ? recordOf(Local->getType()) : nullptr;
          if (!RD || inSystem(RD) || lockRule(Local->getType(), Rules))
            continue;
          const auto *CE = dyn_cast_or_null<CXXConstructExpr>(
              Local->getInit() ? Local->getInit()->IgnoreImplicit()
                               : nullptr);
          if (!CE || CE->getNumArgs() == 0)
            continue;
          std::string T = target(CE->getArg(0), FD);
          if (!T.empty() && T.rfind("param:", 0) != 0)
            Guards.push_back(
                {usrOf(RD->getDefinition() ? RD->getDefinition() : RD), T});
        }
      }
    Cur = P;
  }
}

/// Through what turns a callable into another holder of the same callable:
/// wrappers, std::move/std::forward, and the construction of a
/// std::function (or a copy or move of one) from it.
static const Expr *peelCallable(const Expr *E) {
  for (int K = 0; E && K < 8; ++K) {
    E = ignoreWrappers(E);
    if (const auto *CE = dyn_cast<CXXConstructExpr>(E);
        CE && CE->getNumArgs() >= 1 &&
        (CE->getConstructor()->isCopyOrMoveConstructor() ||
         isCallableType(CE->getType()))) {
      E = CE->getArg(0);
      continue;
    }
    if (const auto *Call = dyn_cast<CallExpr>(E)) {
      const FunctionDecl *Callee = Call->getDirectCallee();
      std::string N = Callee ? functionQualifiedName(Callee) : "";
      if (Call->getNumArgs() == 1 && (N == "std::move" || N == "std::forward")) {
        E = Call->getArg(0);
        continue;
      }
    }
    break;
  }
  return E;
}

int Extractor::forwardedParam(const Expr *A, const FunctionDecl *FD) {
  if (!A || !FD)
    return -1;
  auto ownParam = [FD](const ParmVarDecl *P) {
    const auto *Of = dyn_cast<FunctionDecl>(P->getDeclContext());
    return Of && Of->getCanonicalDecl() == FD->getCanonicalDecl();
  };
  auto paramIndex = [&](const Expr *X) -> int {
    X = X ? peelCallable(X) : nullptr;
    // std::bind(f, args...)
    while (const auto *CE = dyn_cast_or_null<CallExpr>(X)) {
      const FunctionDecl *Callee = CE->getDirectCallee();
      std::string N = Callee ? functionQualifiedName(Callee) : "";
      if (CE->getNumArgs() < 1 || (N != "std::bind" && N != "std::bind_front"))
        break;
      X = peelCallable(CE->getArg(0));
    }
    const auto *DRE = dyn_cast_or_null<DeclRefExpr>(X);
    const auto *P = DRE ? dyn_cast<ParmVarDecl>(DRE->getDecl()) : nullptr;
    if (!P || !isCallableType(P->getType()) || !ownParam(P))
      return -1;
    return static_cast<int>(P->getFunctionScopeIndex());
  };
  if (int I = paramIndex(A); I >= 0)
    return I;
  // A lambda that calls what it captured of a parameter:
  // [f = std::move(f)] { f(); }, [f] { f(); }, [&] { f(); }.
  const auto *L = dyn_cast<LambdaExpr>(peelCallable(A));
  if (!L)
    return -1;
  std::map<const ValueDecl *, int> Captured;
  for (const LambdaCapture &Cap : L->captures()) {
    if (!Cap.capturesVariable())
      continue;
    const auto *V = dyn_cast<VarDecl>(Cap.getCapturedVar());
    if (!V)
      continue;
    if (const auto *P = dyn_cast<ParmVarDecl>(V)) {
      if (ownParam(P) && isCallableType(P->getType()))
        Captured[V] = static_cast<int>(P->getFunctionScopeIndex());
    } else if (V->isInitCapture()) {
      if (int I = paramIndex(V->getInit()); I >= 0)
        Captured[V] = I;
    }
  }
  if (Captured.empty())
    return -1;
  int Found = -1;
  std::function<void(const Stmt *)> Walk = [&](const Stmt *S) {
    if (!S || Found >= 0)
      return;
    const Expr *Callee = nullptr;
    if (const auto *OC = dyn_cast<CXXOperatorCallExpr>(S)) {
      if (OC->getOperator() == OO_Call && OC->getNumArgs() > 0)
        Callee = OC->getArg(0);
    } else if (const auto *CE = dyn_cast<CallExpr>(S)) {
      Callee = CE->getCallee();
    }
    if (Callee)
      if (const auto *DRE =
              dyn_cast<DeclRefExpr>(Callee->IgnoreParenImpCasts()))
        if (auto It = Captured.find(DRE->getDecl()); It != Captured.end())
          Found = It->second;
    for (const Stmt *Child : S->children())
      Walk(Child);
  };
  Walk(L->getBody());
  return Found;
}

void Extractor::receiverLifetime(const CXXMemberCallExpr *MC,
                                 const FunctionDecl *FD, bool &Bounded,
                                 bool &Awaited) {
  const Expr *Obj = MC->getImplicitObjectArgument();
  const ValueDecl *D = Obj ? rootDecl(Obj->IgnoreParenImpCasts()) : nullptr;
  if (!D)
    return;
  bool ByValue = !Obj->getType()->isPointerType() &&
                 !D->getType()->isReferenceType() &&
                 !D->getType()->isPointerType();
  if (const auto *V = dyn_cast<VarDecl>(D))
    Bounded = ByValue && V->hasLocalStorage() && !isa<ParmVarDecl>(V);
  else if (isa<FieldDecl>(D))
    Bounded = ByValue;
  if (!FD->getBody())
    return;
  // A wait on what the call returns: pool.Submit(f).wait(), or a later
  // call on the same receiver that waits for its work (wait*, join, drain).
  for (const Stmt *Cur = MC, *Parent = parentStmt(MC); Parent;
       Cur = Parent, Parent = parentStmt(Parent)) {
    if (const auto *ME = dyn_cast<MemberExpr>(Parent)) {
      if (ME->getBase()->IgnoreImplicit() == Cur &&
          isWaitMethodName(ME->getMemberDecl()->getName()))
        Awaited = true;
      break;
    }
    if (!isa<ImplicitCastExpr, ParenExpr, MaterializeTemporaryExpr,
             CXXBindTemporaryExpr, ExprWithCleanups>(Parent))
      break;
  }
  for (const Expr *Ref : referencesTo(D, FD->getBody(), Ctx)) {
    if (!SM.isBeforeInTranslationUnit(SM.getExpansionLoc(MC->getEndLoc()),
                                      SM.getExpansionLoc(Ref->getBeginLoc())))
      continue;
    const CXXMemberCallExpr *Later = nullptr;
    if (classifyUse(Ref, Ctx, &Later) == UseKind::MethodCall && Later)
      if (const CXXMethodDecl *M = Later->getMethodDecl())
        if (isWaitMethodName(M->getName()))
          Awaited = true;
  }
}

const FieldDecl *Extractor::calledField(const Expr *E,
                                        const FunctionDecl *FD) {
  auto fieldOf = [](const Expr *X) -> const FieldDecl * {
    for (int K = 0; X && K < 8; ++K) {
      X = ignoreWrappers(X);
      if (const auto *UO = dyn_cast<UnaryOperator>(X);
          UO && UO->getOpcode() == UO_Deref) {
        X = UO->getSubExpr();
        continue;
      }
      if (const auto *CE = dyn_cast<CXXConstructExpr>(X);
          CE && CE->getNumArgs() == 1) {
        X = CE->getArg(0);
        continue;
      }
      break;
    }
    const auto *ME = dyn_cast_or_null<MemberExpr>(X);
    const auto *Fd = ME ? dyn_cast<FieldDecl>(ME->getMemberDecl()) : nullptr;
    return Fd && isCallableType(Fd->getType()) ? Fd : nullptr;
  };
  if (!E)
    return nullptr;
  if (const FieldDecl *Fd = fieldOf(E))
    return Fd;
  // `routine = entry->task.routine; routine(arg);`
  const auto *DRE = dyn_cast<DeclRefExpr>(ignoreWrappers(E));
  const auto *V = DRE ? dyn_cast<VarDecl>(DRE->getDecl()) : nullptr;
  if (!V || !V->hasLocalStorage() || isa<ParmVarDecl>(V))
    return nullptr;
  if (const FieldDecl *Fd = fieldOf(V->getInit()))
    return Fd;
  if (FD && FD->getBody())
    for (const Expr *Ref : referencesTo(V, FD->getBody(), Ctx))
      for (const auto &P : Ctx.getParents(*Ref))
        if (const auto *BO = P.get<BinaryOperator>())
          if (BO->getOpcode() == BO_Assign && BO->getLHS() == Ref)
            if (const FieldDecl *Fd = fieldOf(BO->getRHS()))
              return Fd;
  return nullptr;
}

void Extractor::recordStructHandoffs(const CallExpr *CE,
                                     const FunctionDecl *FD,
                                     FunctionFact &F) {
  const FunctionDecl *Callee = CE->getDirectCallee();
  if (!Callee || !FD->getBody())
    return;
  for (unsigned I = 0; I < CE->getNumArgs(); ++I) {
    const Expr *A = ignoreWrappers(CE->getArg(I));
    if (const auto *UO = dyn_cast<UnaryOperator>(A);
        UO && UO->getOpcode() == UO_AddrOf)
      A = ignoreWrappers(UO->getSubExpr());
    const auto *DRE = dyn_cast<DeclRefExpr>(A);
    const auto *V = DRE ? dyn_cast<VarDecl>(DRE->getDecl()) : nullptr;
    const RecordDecl *RD =
        V && V->hasLocalStorage() ? V->getType()->getAsRecordDecl() : nullptr;
    if (!RD || isCallableType(V->getType()))
      continue;
    // The functions stored into each callable field before the call:
    // `task.routine = handler;`, or `{ .routine = handler }`.
    std::map<const FieldDecl *, std::vector<const FunctionDecl *>> Stored;
    auto store = [&](const FieldDecl *Fd, const Expr *Value) {
      if (!Fd || !isCallableType(Fd->getType()) || !Value)
        return;
      for (const FunctionDecl *E : resolveCallable(Value, Ctx))
        Stored[Fd].push_back(E);
    };
    if (const auto *IL = dyn_cast_or_null<InitListExpr>(
            V->getInit() ? V->getInit()->IgnoreImplicit() : nullptr)) {
      if (const InitListExpr *Syn = IL->isSemanticForm() ? IL : IL->getSemanticForm())
        IL = Syn;
      unsigned K = 0;
      for (const FieldDecl *Fd : RD->fields()) {
        if (K >= IL->getNumInits())
          break;
        store(Fd, IL->getInit(K++));
      }
    }
    for (const Expr *Ref : referencesTo(V, FD->getBody(), Ctx)) {
      if (!SM.isBeforeInTranslationUnit(SM.getExpansionLoc(Ref->getBeginLoc()),
                                        SM.getExpansionLoc(CE->getBeginLoc())))
        continue;
      const auto *ME = dyn_cast_or_null<MemberExpr>(parentStmt(Ref));
      const auto *BO =
          ME ? dyn_cast_or_null<BinaryOperator>(parentStmt(ME)) : nullptr;
      if (BO && BO->getOpcode() == BO_Assign && BO->getLHS() == ME)
        store(dyn_cast<FieldDecl>(ME->getMemberDecl()), BO->getRHS());
    }
    for (auto &[Fd, Entries] : Stored) {
      if (Entries.empty())
        continue;
      HandoffFact H = handoffAt(CE, Callee, I, Entries);
      H.ViaField = usrOf(Fd);
      F.Handoffs.push_back(std::move(H));
    }
  }
}

HandoffFact
Extractor::handoffAt(const CallExpr *CE, const FunctionDecl *Callee,
                     unsigned Arg,
                     llvm::ArrayRef<const FunctionDecl *> Entries) {
  HandoffFact H;
  H.Method = usrOf(Callee->getCanonicalDecl());
  H.Arg = Arg;
  for (const FunctionDecl *E : Entries)
    H.Entries.push_back(usrOf(E->getCanonicalDecl()));
  H.Pos = pos(CE->getBeginLoc());
  H.Seq = seq(CE);
  bool Caught;
  enclosing(CE, H.InLoop, Caught);
  return H;
}

void Extractor::addCall(const Expr *Site, const FunctionDecl *Callee,
                        const FunctionDecl *FD) {
  if (!Callee || inSystem(Callee))
    return;
  CallFact CF;
  CF.Callee = usrOf(Callee->getCanonicalDecl());
  CF.Pos = pos(Site->getBeginLoc(), /*WithSource=*/false);
  CF.Seq = seq(Site);
  enclosing(Site, CF.InLoop, CF.Caught);
  heldAround(Site, FD, CF.Locks, CF.Guards);
  functionFact(FD).Calls.push_back(std::move(CF));
}

void Extractor::visitCall(const CallExpr *CE, const FunctionDecl *FD) {
  const FunctionDecl *Callee = CE->getDirectCallee();
  addCall(CE, Callee, FD);
  FunctionFact &F = functionFact(FD);
  // Invocations of callables (std::function, function pointers).
  if (const auto *OC = dyn_cast<CXXOperatorCallExpr>(CE)) {
    if (OC->getOperator() == OO_Call && OC->getNumArgs() > 0 &&
        isCallableType(OC->getArg(0)->getType()))
      if (std::string Fd = invokedField(OC->getArg(0), FD); !Fd.empty())
        F.Invokes.push_back(Fd);
  } else if (!Callee && !isa<CXXMemberCallExpr>(CE)) {
    if (std::string Fd = invokedField(CE->getCallee(), FD); !Fd.empty())
      F.Invokes.push_back(Fd);
  }
  {
    const Expr *Through = nullptr;
    if (const auto *OC = dyn_cast<CXXOperatorCallExpr>(CE)) {
      if (OC->getOperator() == OO_Call && OC->getNumArgs() > 0)
        Through = OC->getArg(0);
    } else if (!Callee && !isa<CXXMemberCallExpr>(CE)) {
      Through = CE->getCallee();
    }
    if (const FieldDecl *Fd = calledField(Through, FD))
      F.CallsThroughFields.push_back(usrOf(Fd));
  }
  if (!Callee)
    return;
  std::string Name = functionQualifiedName(Callee);
  // C synchronization functions (the rule packs' lock_functions,
  // wait_functions, ...), acting on the object their first argument points
  // to.
  {
    bool Locks = false, Waits = false;
    const Expr *Obj = nullptr;
    if (mutexFunctionCall(CE, Rules, Locks, Obj)) {
      if (std::string T = target(Obj, FD); !T.empty())
        F.SyncOps.push_back({Locks ? "lock" : "unlock", T, "mutex"});
    } else if (conditionFunctionCall(CE, Rules, Waits, Obj)) {
      if (std::string T = target(Obj, FD); !T.empty())
        F.SyncOps.push_back({Waits ? "wait" : "notify", T, "condvar"});
    }
  }
  // Thread functions' join/detach of a handle kept in a field.
  for (const ThreadFunctionRule &R : Rules.ThreadFunctions) {
    bool J = llvm::is_contained(R.Join, Name);
    bool D = llvm::is_contained(R.Detach, Name);
    if ((J || D) && CE->getNumArgs() > 0) {
      std::string T = target(CE->getArg(0), FD);
      if (T.rfind("param:", 0) != 0 && !T.empty())
        F.HandleOps.push_back({J ? "join" : "detach", T});
    }
  }
  const auto *MC = dyn_cast<CXXMemberCallExpr>(CE);
  if (MC) {
    const Expr *Obj = MC->getImplicitObjectArgument();
    std::string Method = calleeName(MC);
    QualType ObjT = Obj ? Obj->getType() : QualType();
    if (!ObjT.isNull() && ObjT->isPointerType())
      ObjT = ObjT->getPointeeType();
    if (const ThreadTypeRule *R = threadRule(ObjT, Rules)) {
      bool J = llvm::is_contained(R->Join, Method);
      bool D = llvm::is_contained(R->Detach, Method);
      std::string T = target(Obj, FD);
      if ((J || D) && !T.empty() && T.rfind("param:", 0) != 0)
        F.HandleOps.push_back({J ? "join" : "detach", T});
    }
    // A loop over a container of thread members: `for (auto &t : threads_)
    // t.join();`.
    if (Obj)
      if (const ValueDecl *Root = rootDecl(Obj->IgnoreParenImpCasts()))
        if (const ValueDecl *Alias = resolveAlias(Root, Ctx);
            Alias && Alias != Root && isa<FieldDecl>(Alias))
          if (const ThreadTypeRule *R = threadRule(ObjT, Rules)) {
            if (llvm::is_contained(R->Join, Method))
              F.HandleOps.push_back({"join", usrOf(Alias)});
            else if (llvm::is_contained(R->Detach, Method))
              F.HandleOps.push_back({"detach", usrOf(Alias)});
          }
    if (const MutexTypeRule *R = mutexRule(ObjT, Rules)) {
      std::string T = target(Obj, FD);
      if (!T.empty()) {
        if (llvm::is_contained(R->Lock, Method))
          F.SyncOps.push_back({"lock", T, "mutex"});
        else if (llvm::is_contained(R->Unlock, Method))
          F.SyncOps.push_back({"unlock", T, "mutex"});
      }
    }
    if (const ConditionVariableRule *R = conditionVariableRule(ObjT, Rules)) {
      std::string T = target(Obj, FD);
      bool IsWait = llvm::any_of(R->Wait, [&](const auto &W) {
        return W.first == Method;
      });
      if (!T.empty() && IsWait)
        F.SyncOps.push_back({"wait", T, "condvar"});
      else if (!T.empty() && llvm::is_contained(R->Notify, Method))
        F.SyncOps.push_back({"notify", T, "condvar"});
    }
    // Virtual methods of its own class called on `this`.
    if (Obj && isa<CXXThisExpr>(Obj->IgnoreParenImpCasts()))
      if (const auto *MD = dyn_cast<CXXMethodDecl>(Callee))
        if (MD->isVirtual())
          F.VirtualSelfCalls.push_back(usrOf(MD->getCanonicalDecl()));
  }
  // A callable handed to a method of a project class that no rule
  // describes: the project step decides whether it runs elsewhere.
  if (SpawnExprs.count(CE) || inSystem(Callee))
    return;
  recordStructHandoffs(CE, FD, F);
  const auto *MD = dyn_cast<CXXMethodDecl>(Callee);
  if (!MD || MD->getParent()->isLambda())
    return;
  unsigned First = isa<CXXOperatorCallExpr>(CE) ? 1 : 0;
  for (unsigned I = First; I < CE->getNumArgs(); ++I) {
    const Expr *A = CE->getArg(I);
    if (!isCallableType(A->getType()) &&
        !isCallableType(ignoreWrappers(A)->getType()))
      continue;
    auto Entries = resolveCallable(A, Ctx);
    int FromParam = forwardedParam(A, FD);
    if (Entries.empty() && FromParam < 0)
      continue;
    HandoffFact H = handoffAt(CE, MD, I - First, Entries);
    H.FromParam = FromParam;
    if (const auto *MC = dyn_cast<CXXMemberCallExpr>(CE))
      receiverLifetime(MC, FD, H.Bounded, H.Awaited);
    if (const auto *L = dyn_cast<LambdaExpr>(peelCallable(A))) {
      for (const LambdaCapture &Cap : L->captures()) {
        if (Cap.capturesThis())
          H.CapturesThis = true;
        else if (Cap.capturesVariable() && Cap.getCaptureKind() == LCK_ByRef)
          if (const auto *V = dyn_cast<VarDecl>(Cap.getCapturedVar()))
            // A reference captured by reference names the caller's
            // object, not a local of this frame.
            if (V->hasLocalStorage() && !V->getType()->isReferenceType())
              H.RefLocals.push_back(V->getNameAsString());
      }
    }
    F.Handoffs.push_back(std::move(H));
  }
}

void Extractor::visitGlobalRef(const Expr *E, const VarDecl *VD) {
  if (!VD->hasGlobalStorage() || VD->isConstexpr() ||
      VD->getType()->isReferenceType() || VD->getType()->isDependentType() ||
      VD->isImplicit() || inSystem(VD) ||
      Ctx.getBaseElementType(VD->getType()).isConstQualified())
    return;
  if (const auto *DC = VD->getDeclContext(); DC && DC->isDependentContext())
    return;
  if (SM.isInSystemHeader(SM.getExpansionLoc(E->getBeginLoc())))
    return;
  addGlobal(VD);
  if (usesSynchronizedMember(E, Ctx, Rules))
    return; // locking `&s.mutex` is not an access of `s`'s data
  // thread_local accesses are recorded too: the project step follows a
  // value set in one file and read in another (GlobalFact::ThreadLocal).
  std::string G = usrOf(VD->getCanonicalDecl());
  for (const FunctionDecl *FD : TC.enclosingFunctions(E)) {
    AccessFact A;
    A.Var = G;
    A.Write = isWriteAccess(E, Ctx, &Rules);
    A.Atomic = isAtomicAccess(E, Ctx, Rules);
    heldAround(E, FD, A.Locks, A.Guards);
    for (const FieldDecl *Fd : memberPath(E, Ctx)) {
      A.Member += "." + Fd->getNameAsString();
      const RecordDecl *Parent = Fd->getParent();
      if (Parent->isUnion()) {
        A.Path.push_back("union:" + usrOf(Parent));
        break; // its members overlap
      }
      A.Path.push_back(usrOf(bitFieldRunStart(Fd)));
    }
    A.Pos = pos(E->getBeginLoc());
    A.Seq = seq(E);
    // Before every thread start of the function (init, then start).
    bool AnyStart = false;
    A.BeforeStarts = true;
    for (const SpawnSite &S : TC.sites()) {
      auto Fns = TC.enclosingFunctions(S.Site);
      if (Fns.empty() || Fns.front() != FD)
        continue;
      AnyStart = true;
      A.BeforeStarts &= precedesThreadStart(E, FD, S.Site, TC, Ctx);
    }
    A.BeforeStarts &= AnyStart;
    functionFact(FD).Accesses.push_back(std::move(A));
  }
}

void Extractor::visitLocal(const VarDecl *VD, const FunctionDecl *FD) {
  const CXXRecordDecl *RD = recordOf(VD->getType());
  if (!RD || VD->getType()->isReferenceType() || VD->getType()->isPointerType() ||
      inSystem(RD) || !ownsThread(RD) || threadRule(VD->getType(), Rules))
    return;
  const auto *Owner =
      dyn_cast_or_null<FunctionDecl>(VD->getParentFunctionOrMethod());
  if (!Owner || !Owner->getBody())
    return;
  ObjectFact O;
  O.Class = usrOf(RD->getDefinition() ? RD->getDefinition() : RD);
  O.Var = VD->getNameAsString();
  O.Pos = pos(VD->getLocation());
  for (const Expr *Ref : referencesTo(VD, Owner->getBody(), Ctx)) {
    const CXXMemberCallExpr *MC = nullptr;
    UseKind K = classifyUse(Ref, Ctx, &MC);
    if (K == UseKind::MethodCall && MC)
      O.Calls.push_back({calleeName(MC), pos(MC->getBeginLoc())});
    else if (K != UseKind::Read)
      O.Escapes = true;
  }
  if (const auto *CE = dyn_cast_or_null<CXXConstructExpr>(
          VD->getInit() ? VD->getInit()->IgnoreImplicit() : nullptr))
    for (const Expr *A : CE->arguments())
      if (isCallableType(A->getType()) ||
          isCallableType(ignoreWrappers(A)->getType()))
        for (const FunctionDecl *E : resolveCallable(A, Ctx))
          O.CtorEntries.push_back(usrOf(E->getCanonicalDecl()));
  std::sort(O.Calls.begin(), O.Calls.end(), [](const auto &A, const auto &B) {
    return A.Pos.Line != B.Pos.Line ? A.Pos.Line < B.Pos.Line
                                    : A.Pos.Column < B.Pos.Column;
  });
  functionFact(FD).Objects.push_back(std::move(O));
}

void Extractor::recordStores(const FunctionDecl *FD, FunctionFact &F) {
  const auto *MD = dyn_cast<CXXMethodDecl>(FD);
  if (!MD || !FD->getBody())
    return;
  auto fieldOf = [&](const Expr *E) -> std::string {
    const FieldDecl *F = E ? ownerField(E) : nullptr;
    return F ? usrOf(F) : std::string();
  };
  for (unsigned I : F.CallableParams) {
    const ParmVarDecl *P = FD->getParamDecl(I);
    std::set<std::string> Into;
    for (const Expr *Ref : referencesTo(P, FD->getBody(), Ctx)) {
      const Stmt *Cur = Ref;
      for (int Depth = 0; Depth < 12 && Cur; ++Depth) {
        auto Parents = Ctx.getParents(*Cur);
        if (Parents.empty())
          break;
        if (const auto *Init = Parents[0].get<CXXCtorInitializer>()) {
          if (Init->getMember())
            Into.insert(usrOf(Init->getMember()));
          break;
        }
        if (const auto *Ctor = Parents[0].get<CXXConstructorDecl>()) {
          // Clang 19 reports a member initializer's parent as the
          // constructor itself.
          for (const CXXCtorInitializer *Init : Ctor->inits())
            if (Init->getMember() && Init->getInit() &&
                Init->getInit()->IgnoreImplicit() ==
                    dyn_cast<Expr>(Cur)->IgnoreImplicit())
              Into.insert(usrOf(Init->getMember()));
          break;
        }
        const Stmt *Par = Parents[0].get<Stmt>();
        if (!Par || isa<CompoundStmt>(Par) || isa<LambdaExpr>(Par))
          break;
        if (const auto *MC = dyn_cast<CXXMemberCallExpr>(Par)) {
          if (std::string Fd = fieldOf(MC->getImplicitObjectArgument());
              !Fd.empty())
            Into.insert(Fd);
          break;
        }
        if (const auto *BO = dyn_cast<BinaryOperator>(Par)) {
          if (BO->isAssignmentOp() && BO->getRHS() == Cur)
            if (std::string Fd = fieldOf(BO->getLHS()); !Fd.empty())
              Into.insert(Fd);
          break;
        }
        if (const auto *OC = dyn_cast<CXXOperatorCallExpr>(Par)) {
          if (OC->isAssignmentOp() && OC->getNumArgs() == 2 &&
              OC->getArg(1) == Cur)
            if (std::string Fd = fieldOf(OC->getArg(0)); !Fd.empty())
              Into.insert(Fd);
          if (OC->isAssignmentOp())
            break;
        }
        Cur = Par;
      }
    }
    // A member initializer (`func_(std::move(func))`) is not in the body.
    if (const auto *Ctor = dyn_cast<CXXConstructorDecl>(FD))
      for (const CXXCtorInitializer *Init : Ctor->inits())
        if (Init->isWritten() && Init->getMember() && Init->getInit() &&
            !referencesTo(P, Init->getInit(), Ctx).empty())
          Into.insert(usrOf(Init->getMember()));
    for (const std::string &Fd : Into)
      F.Stores.push_back({I, Fd});
  }
}

TUFacts Extractor::run() {
  for (const SpawnSite &S : TC.sites())
    SpawnExprs.insert(S.Site);
  // Functions first, so that every fact has its function.
  for (const FunctionDecl *Canon : TC.functions()) {
    // The canonical declaration names the function; the definition has the
    // body, the parameters the body uses and the place to point at.
    const FunctionDecl *FD = Canon->getDefinition() ? Canon->getDefinition()
                                                    : Canon;
    FunctionFact &F = functionFact(FD);
    F.USR = usrOf(FD);
    const auto *MD = dyn_cast<CXXMethodDecl>(FD);
    if (MD && MD->getParent()->isLambda()) {
      const auto *Outer = dyn_cast_or_null<FunctionDecl>(
          MD->getParent()->getParentFunctionOrMethod());
      F.Name = (Outer ? Outer->getQualifiedNameAsString() + "::" : "") +
               std::string("lambda");
    } else {
      F.Name = FD->getQualifiedNameAsString();
    }
    if (MD && !MD->getParent()->isLambda())
      F.Class = usrOf(MD->getParent()->getDefinition()
                          ? MD->getParent()->getDefinition()
                          : MD->getParent());
    F.Pos = pos(FD->getLocation());
    F.IsMain = FD->isMain();
    F.IsCtor = isa<CXXConstructorDecl>(FD);
    F.IsDtor = isa<CXXDestructorDecl>(FD);
    F.Virtual = MD && MD->isVirtual();
    const auto *Proto = FD->getType()->getAs<FunctionProtoType>();
    F.NoThrow = (Proto && Proto->isNothrow()) ||
                Rules.isNothrowFunction(functionQualifiedName(FD)) ||
                FD->isExternC();
    F.NumParams = FD->getNumParams();
    if (MD)
      for (const CXXMethodDecl *O : MD->overridden_methods())
        F.Overrides.push_back(usrOf(O->getCanonicalDecl()));
    for (unsigned I = 0; I < FD->getNumParams(); ++I)
      if (isCallableType(FD->getParamDecl(I)->getType()))
        F.CallableParams.push_back(I);
    // Lambdas created here and functions named as callbacks; calls and
    // constructions are recorded one by one by the walker (the graph keeps
    // one edge per callee, the facts keep every call site: main's order of
    // calls matters).
    for (const CallEdge &E : TC.callees(Canon)) {
      if (E.Virtual || !E.Where || isa<CallExpr, CXXConstructExpr>(E.Where))
        continue;
      CallFact CF;
      CF.Callee = usrOf(E.Callee);
      CF.Pos = pos(E.Where->getBeginLoc(), /*WithSource=*/false);
      CF.Seq = seq(E.Where);
      CF.Named = true;
      enclosing(E.Where, CF.InLoop, CF.Caught);
      F.Calls.push_back(std::move(CF));
    }
    if (const ThrowOrigin *O = TA.escapesBody(FD)) {
      F.HasThrow = true;
      F.Throw.What = O->What;
      F.Throw.Pos = pos(O->Site->getBeginLoc());
    }
    recordStores(FD, F);
  }
  for (const SpawnSite &S : TC.sites()) {
    for (const FunctionDecl *FD : TC.enclosingFunctions(S.Site)) {
      SpawnFact SF;
      switch (S.Kind) {
      case SpawnKind::ThreadObject:
        SF.Kind = SpawnFactKind::Thread;
        break;
      case SpawnKind::ThreadFunction:
        SF.Kind = SpawnFactKind::ThreadFunction;
        break;
      case SpawnKind::Async:
        SF.Kind = SpawnFactKind::Async;
        break;
      default:
        SF.Kind = SpawnFactKind::Executor;
      }
      SF.Spawner = S.Spawner;
      for (const FunctionDecl *E : S.Entries)
        SF.Entries.push_back(usrOf(E->getCanonicalDecl()));
      SF.Pos = pos(S.Site->getBeginLoc());
      SF.Seq = seq(S.Site);
      bool Caught;
      enclosing(S.Site, SF.InLoop, Caught);
      const ValueDecl *Holder = nullptr;
      if (S.Kind == SpawnKind::ThreadFunction) {
        const auto *CE = dyn_cast<CallExpr>(S.Site);
        const ThreadFunctionRule *R =
            CE && CE->getDirectCallee()
                ? Rules.threadFunction(functionQualifiedName(CE->getDirectCallee()))
                : nullptr;
        if (R && R->HandleArg < CE->getNumArgs()) {
          const Expr *H = CE->getArg(R->HandleArg)->IgnoreParenImpCasts();
          if (const auto *UO = dyn_cast<UnaryOperator>(H))
            H = UO->getSubExpr();
          Holder = rootDecl(H);
        }
      } else if (S.Kind == SpawnKind::ThreadObject) {
        Holder = valueHolder(S.Site, Ctx);
      }
      if (Holder && isa<FieldDecl>(Holder))
        SF.HandleField = usrOf(Holder);
      SF.FromParam = forwardedParam(S.Callable, FD);
      functionFact(FD).Spawns.push_back(std::move(SF));
    }
  }
  Walker(*this).TraverseDecl(Ctx.getTranslationUnitDecl());
  // Facts of functions only mentioned (no body here) are not kept.
  std::vector<FunctionFact> Kept;
  for (FunctionFact &F : Out.Functions)
    if (!F.USR.empty())
      Kept.push_back(std::move(F));
  Out.Functions = std::move(Kept);
  Out.ReportedGlobals = C.reportedKeys();
  return std::move(Out);
}

} // namespace

TUFacts extractFacts(CheckContext &C) { return Extractor(C).run(); }

} // namespace tether
