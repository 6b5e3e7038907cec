//===--- GlobalAccess.cpp - How code touches a variable with static storage ===//

#include "GlobalAccess.h"

#include "analysis/ExprUtils.h"
#include "analysis/StmtParents.h"

#include "clang/AST/ASTContext.h"
#include "clang/AST/DeclCXX.h"
#include "clang/AST/ExprCXX.h"
#include "clang/AST/ParentMapContext.h"
#include "clang/AST/StmtCXX.h"
#include "clang/Basic/SourceManager.h"

#include <algorithm>
#include <functional>
#include <optional>

using namespace clang;

namespace tether {

namespace {

bool nonConstRef(QualType T) {
  if (T.isNull())
    return false;
  if (T->isRValueReferenceType())
    return true;
  if (T->isLValueReferenceType())
    return !T.getNonReferenceType().isConstQualified();
  if (T->isPointerType())
    return !T->getPointeeType().isConstQualified();
  return false;
}

/// Non-const accessors whose result is the element: the access is a write
/// only if the element is then written.
bool isElementAccessor(const FunctionDecl *FD) {
  if (!FD)
    return false;
  if (FD->getOverloadedOperator() == OO_Subscript ||
      FD->getOverloadedOperator() == OO_Star ||
      FD->getOverloadedOperator() == OO_Arrow)
    return true;
  StringRef N = FD->getIdentifier() ? FD->getName() : "";
  return N == "at" || N == "front" || N == "back" || N == "data" ||
         N == "value" || N == "get";
}

/// True if argument `I` of a call of `FD` can be written through.
bool paramWrites(const FunctionDecl *FD, unsigned I) {
  if (!FD)
    return false;
  if (I >= FD->getNumParams())
    return false; // variadic: passed by value
  return nonConstRef(FD->getParamDecl(I)->getType());
}

} // namespace

bool isWriteAccess(const Expr *Ref, ASTContext &Ctx, const RuleSet *Rules) {
  const Expr *Cur = Ref;
  for (int Depth = 0; Depth < 32; ++Depth) {
    auto Parents = Ctx.getParents(*Cur);
    if (Parents.empty())
      return false;
    if (const auto *VD = Parents[0].get<VarDecl>()) {
      if (VD->isImplicit()) {
        // for (auto &x : g): the hidden range variable; the loop variable
        // says whether elements are written.
        for (const auto &P : Ctx.getParents(*VD))
          if (const auto *DS = P.get<DeclStmt>())
            for (const auto &PP : Ctx.getParents(*DS))
              if (const auto *RF = PP.get<CXXForRangeStmt>()) {
                // A non-const loop reference writes the range only if
                // the body writes through it (`for (auto &h : g) h();`
                // only reads).
                const VarDecl *LV = RF->getLoopVariable();
                if (!nonConstRef(LV->getType()))
                  return false;
                for (const Expr *U : referencesTo(LV, RF->getBody(), Ctx))
                  if (isWriteAccess(U, Ctx, Rules))
                    return true;
                return false;
              }
        return false;
      }
      return nonConstRef(VD->getType());
    }
    const Stmt *P = Parents[0].get<Stmt>();
    if (!P)
      return false;
    if (const auto *IC = dyn_cast<ImplicitCastExpr>(P)) {
      if (IC->getCastKind() == CK_LValueToRValue)
        return false;
      Cur = IC;
      continue;
    }
    if (isa<ParenExpr, MaterializeTemporaryExpr, CXXBindTemporaryExpr,
            ExprWithCleanups>(P)) {
      Cur = cast<Expr>(P);
      continue;
    }
    if (const auto *CO = dyn_cast<ConditionalOperator>(P)) {
      if (CO->getCond() == Cur)
        return false;
      Cur = CO;
      continue;
    }
    if (const auto *ME = dyn_cast<MemberExpr>(P)) {
      if (ME->isArrow())
        return false; // g->x: writes what the pointer points to, not g
      if (const auto *MD = dyn_cast<CXXMethodDecl>(ME->getMemberDecl())) {
        if (MD->isConst() || MD->isStatic())
          return false;
        auto PP = Ctx.getParents(*ME);
        const auto *Call =
            PP.empty() ? nullptr : PP[0].get<CXXMemberCallExpr>();
        if (Call && isElementAccessor(MD)) {
          Cur = Call;
          continue;
        }
        return true;
      }
      // A member that synchronizes itself (a mutex, an atomic): locking
      // `&s.mutex` or updating `s.hits` atomically does not write `s`.
      if (Rules && isa<FieldDecl>(ME->getMemberDecl()) &&
          isSelfSynchronizedType(ME->getType(), *Rules))
        return false;
      Cur = ME;
      continue;
    }
    if (const auto *ASE = dyn_cast<ArraySubscriptExpr>(P)) {
      if (ASE->getIdx() == Cur || ASE->getIdx()->IgnoreParenImpCasts() == Cur)
        return false;
      if (ASE->getBase()->IgnoreParenImpCasts()->getType()->isPointerType() &&
          !Cur->getType()->isArrayType())
        return false; // p[i] for a global pointer p: writes the pointee
      Cur = ASE;
      continue;
    }
    if (const auto *UO = dyn_cast<UnaryOperator>(P)) {
      switch (UO->getOpcode()) {
      case UO_PreInc:
      case UO_PreDec:
      case UO_PostInc:
      case UO_PostDec:
        return true;
      case UO_AddrOf: {
        // Taking the address lets the object be written, unless the address
        // is only returned (see below).
        const Stmt *Up = UO;
        for (int K = 0; K < 8; ++K) {
          auto PP = Ctx.getParents(*Up);
          const Stmt *Q = PP.empty() ? nullptr : PP[0].get<Stmt>();
          if (Q && isa<ParenExpr, ImplicitCastExpr, ExprWithCleanups>(Q)) {
            Up = Q;
            continue;
          }
          return !(Q && isa<ReturnStmt>(Q));
        }
        return true;
      }
      default:
        return false;
      }
    }
    if (const auto *BO = dyn_cast<BinaryOperator>(P))
      return BO->isAssignmentOp() && BO->getLHS() == Cur;
    if (const auto *OC = dyn_cast<CXXOperatorCallExpr>(P)) {
      const FunctionDecl *FD = OC->getDirectCallee();
      const auto *MD = dyn_cast_or_null<CXXMethodDecl>(FD);
      if (MD && !MD->isStatic() && OC->getNumArgs() >= 1 &&
          OC->getArg(0) == Cur) {
        if (MD->isConst())
          return false;
        if (isElementAccessor(MD)) {
          Cur = OC;
          continue;
        }
        return true;
      }
      for (unsigned I = 0; I < OC->getNumArgs(); ++I)
        if (OC->getArg(I) == Cur) {
          unsigned Shift = MD && !MD->isStatic() ? 1 : 0;
          return I >= Shift && paramWrites(FD, I - Shift);
        }
      return false;
    }
    if (const auto *C = dyn_cast<CallExpr>(P)) {
      const FunctionDecl *FD = C->getDirectCallee();
      for (unsigned I = 0; I < C->getNumArgs(); ++I)
        if (C->getArg(I) == Cur)
          return paramWrites(FD, I);
      return false;
    }
    if (const auto *CE = dyn_cast<CXXConstructExpr>(P)) {
      for (unsigned I = 0; I < CE->getNumArgs(); ++I)
        if (CE->getArg(I) == Cur)
          return paramWrites(CE->getConstructor(), I);
      return false;
    }
    // `return g;` from a function returning a reference, `return &g;`: an
    // accessor hands the object out; whoever writes through the result
    // writes, not the accessor (a function-local static singleton's
    // Instance() is not a write).
    if (isa<ReturnStmt>(P))
      return false;
    return false;
  }
  return false;
}

llvm::SmallVector<const FieldDecl *, 2> memberPath(const Expr *Ref,
                                                   ASTContext &Ctx) {
  llvm::SmallVector<const FieldDecl *, 2> Path;
  const Expr *Cur = Ref;
  for (int Depth = 0; Depth < 32; ++Depth) {
    auto Parents = Ctx.getParents(*Cur);
    const auto *P = Parents.empty() ? nullptr : Parents[0].get<Expr>();
    if (!P)
      break;
    if (const auto *ME = dyn_cast<MemberExpr>(P)) {
      const auto *F = dyn_cast<FieldDecl>(ME->getMemberDecl());
      if (ME->isArrow() || !F)
        break;
      Path.push_back(F);
    } else if (const auto *ASE = dyn_cast<ArraySubscriptExpr>(P)) {
      if (ASE->getBase()->IgnoreParenImpCasts() != Cur->IgnoreParenImpCasts())
        break; // the index, not the array
    } else if (const auto *IC = dyn_cast<ImplicitCastExpr>(P)) {
      if (IC->getCastKind() == CK_LValueToRValue)
        break;
    } else if (!isa<ParenExpr>(P)) {
      break;
    }
    Cur = P;
  }
  return Path;
}

const FieldDecl *bitFieldRunStart(const FieldDecl *F) {
  if (!F->isBitField() || F->isZeroLengthBitField(F->getASTContext()))
    return F;
  const FieldDecl *Start = nullptr;
  for (const FieldDecl *G : F->getParent()->fields()) {
    if (!G->isBitField() || G->isZeroLengthBitField(G->getASTContext()))
      Start = nullptr;
    else if (!Start)
      Start = G;
    if (G == F)
      return Start;
  }
  return F;
}

/// Two bit-fields of one record with nothing but non-zero-width bit-fields
/// between them share a memory location.
static bool sameBitFieldRun(const FieldDecl *A, const FieldDecl *B) {
  if (!A->isBitField() || !B->isBitField() || A->getParent() != B->getParent())
    return false;
  return bitFieldRunStart(A) == bitFieldRunStart(B);
}

bool samePlace(llvm::ArrayRef<const FieldDecl *> A,
               llvm::ArrayRef<const FieldDecl *> B) {
  for (size_t I = 0; I < A.size() && I < B.size(); ++I) {
    if (A[I] == B[I])
      continue;
    // Members of a union overlap.
    if (A[I]->getParent() == B[I]->getParent() &&
        A[I]->getParent()->isUnion())
      return true;
    return sameBitFieldRun(A[I], B[I]);
  }
  return true; // one is a prefix of the other
}

bool usesSynchronizedMember(const Expr *Ref, ASTContext &Ctx,
                            const RuleSet &Rules) {
  const Expr *Cur = Ref;
  for (int Depth = 0; Depth < 8; ++Depth) {
    auto Parents = Ctx.getParents(*Cur);
    const auto *P = Parents.empty() ? nullptr : Parents[0].get<Expr>();
    if (!P)
      return false;
    if (const auto *ME = dyn_cast<MemberExpr>(P)) {
      if (ME->isArrow() || !isa<FieldDecl>(ME->getMemberDecl()))
        return false;
      if (isSelfSynchronizedType(ME->getType(), Rules))
        return true;
      Cur = ME;
      continue;
    }
    if (!isa<ImplicitCastExpr, ParenExpr>(P))
      return false;
    Cur = P;
  }
  return false;
}

bool isAtomicAccess(const Expr *Ref, ASTContext &Ctx, const RuleSet &Rules) {
  const Expr *Cur = Ref;
  for (int Depth = 0; Depth < 8; ++Depth) {
    auto Parents = Ctx.getParents(*Cur);
    if (Parents.empty())
      return false;
    const auto *P = Parents[0].get<Expr>();
    if (!P)
      return false;
    if (isa<AtomicExpr>(P))
      return true; // __atomic_* / __c11_atomic_* builtins
    if (const auto *CE = dyn_cast<CXXConstructExpr>(P)) {
      const SynchronizedTypeRule *R = synchronizedRule(CE->getType(), Rules);
      return R && R->Wraps;
    }
    if (const auto *C = dyn_cast<CallExpr>(P)) {
      // An atomic function, or the flag of a once function.
      if (const FunctionDecl *FD = C->getDirectCallee())
        if (FD->getIdentifier())
          return Rules.atomicFunction(qualifiedName(FD)) != nullptr ||
                 Rules.onceFunction(qualifiedName(FD)) != nullptr;
      return false;
    }
    if (!isa<ImplicitCastExpr, ParenExpr, UnaryOperator>(P))
      return false;
    if (const auto *UO = dyn_cast<UnaryOperator>(P))
      if (UO->getOpcode() != UO_AddrOf)
        return false;
    Cur = P;
  }
  return false;
}

bool isSelfSynchronizedType(QualType T, const RuleSet &Rules) {
  if (T.isNull())
    return false;
  T = T.getNonReferenceType();
  while (const auto *AT = T->getAsArrayTypeUnsafe())
    T = AT->getElementType();
  if (T->isPointerType())
    return false; // the pointer itself can be raced on
  if (T->isAtomicType())
    return true; // C11 _Atomic
  if (synchronizedRule(T, Rules) || mutexRule(T, Rules) ||
      lockRule(T, Rules) || conditionVariableRule(T, Rules))
    return true;
  // A class that holds a mutex guards itself (a logger, a registry). Not a
  // C struct: its fields are reached directly, under the lock or not.
  const CXXRecordDecl *RD = recordOf(T);
  if (RD && RD->hasDefinition())
    for (const FieldDecl *F : RD->getDefinition()->fields())
      if (mutexRule(F->getType(), Rules) && !F->getType()->isPointerType())
        return true;
  return false;
}

llvm::SmallVector<const ValueDecl *, 2>
LockAnalysis::heldLocally(const Stmt *S) {
  llvm::SmallVector<const ValueDecl *, 2> Held;
  llvm::DenseMap<const VarDecl *, llvm::SmallVector<const ValueDecl *, 2>>
      Guards;
  auto Add = [&](const ValueDecl *M) {
    if (M && !llvm::is_contained(Held, M))
      Held.push_back(M);
  };
  auto Remove = [&](const ValueDecl *M) { llvm::erase(Held, M); };
  std::function<void(const Stmt *)> Process;
  // The lock calls in a condition, in evaluation order.
  std::function<void(const Stmt *)> ProcessCondition = [&](const Stmt *C) {
    if (!C)
      return;
    if (const auto *Call = dyn_cast<CallExpr>(C)) {
      Process(Call);
      return;
    }
    for (const Stmt *Child : C->children())
      ProcessCondition(Child);
  };
  Process = [&](const Stmt *St) {
    if (const auto *DS = dyn_cast<DeclStmt>(St)) {
      for (const Decl *D : DS->decls()) {
        const auto *VD = dyn_cast<VarDecl>(D);
        if (!VD || !VD->getInit())
          continue;
        const LockTypeRule *LR = lockRule(VD->getType(), Rules);
        if (!LR || VD->getType()->isPointerType())
          continue;
        const auto *CE = dyn_cast<CXXConstructExpr>(ignoreWrappers(VD->getInit()));
        if (!CE)
          continue;
        bool Deferred = false;
        llvm::SmallVector<const ValueDecl *, 2> Ms;
        for (const Expr *A : CE->arguments()) {
          if (!LR->DeferTag.empty())
            if (const CXXRecordDecl *ARD = recordOf(A->getType()))
              Deferred |= qualifiedNameMatches(LR->DeferTag, qualifiedName(ARD));
          if (mutexRule(A->getType(), Rules))
            if (const ValueDecl *M = rootDecl(A))
              Ms.push_back(M);
        }
        Guards[VD] = Ms;
        if (!Deferred)
          for (const ValueDecl *M : Ms)
            Add(M);
      }
      return;
    }
    if (const auto *If = dyn_cast<IfStmt>(St)) {
      // `if (mtx_lock(&m) != thrd_success) return;`: held after the if.
      ProcessCondition(If->getCond());
      return;
    }
    const auto *E = dyn_cast<Expr>(St);
    if (!E)
      return;
    E = ignoreWrappers(E);
    if (const auto *VC = dyn_cast<CStyleCastExpr>(E))
      if (VC->getType()->isVoidType())
        E = ignoreWrappers(VC->getSubExpr()); // (void)pthread_mutex_lock(&m)
    if (const auto *C = dyn_cast<CallExpr>(E)) {
      bool Locks = false;
      const Expr *Mutex = nullptr;
      if (mutexFunctionCall(C, Rules, Locks, Mutex)) {
        if (Locks)
          Add(rootDecl(Mutex));
        else
          Remove(rootDecl(Mutex));
        return;
      }
    }
    const auto *MC = dyn_cast<CXXMemberCallExpr>(E);
    if (!MC || !MC->getMethodDecl())
      return;
    std::string Method = MC->getMethodDecl()->getNameAsString();
    const Expr *Obj = MC->getImplicitObjectArgument();
    if (const MutexTypeRule *MR = mutexRule(Obj->getType(), Rules)) {
      const ValueDecl *M = rootDecl(Obj);
      if (llvm::is_contained(MR->Lock, Method))
        Add(M);
      else if (llvm::is_contained(MR->Unlock, Method))
        Remove(M);
      return;
    }
    if (const LockTypeRule *LR = lockRule(Obj->getType(), Rules)) {
      const auto *G = dyn_cast_or_null<VarDecl>(rootDecl(Obj));
      auto It = G ? Guards.find(G) : Guards.end();
      if (It == Guards.end())
        return;
      for (const ValueDecl *M : It->second) {
        if (llvm::is_contained(LR->Unlock, Method))
          Remove(M);
        else if (llvm::is_contained(LR->Lock, Method))
          Add(M);
      }
    }
  };
  // Each enclosing block: the statements before the one holding S, in
  // order; each enclosing `if` whose then-branch holds S: its condition
  // (`if (pthread_mutex_trylock(&m) == 0) { S }`).
  struct Level {
    const CompoundStmt *Block = nullptr;
    const Stmt *Child = nullptr;
    const Expr *Condition = nullptr;
  };
  llvm::SmallVector<Level, 8> Levels;
  DynTypedNode N = DynTypedNode::create(*S);
  for (int Depth = 0; Depth < 256; ++Depth) {
    auto Parents = Ctx.getParents(N);
    if (Parents.empty())
      break;
    const DynTypedNode &P = Parents[0];
    if (P.get<FunctionDecl>() || P.get<LambdaExpr>())
      break;
    const Stmt *Child = N.get<Stmt>();
    if (const auto *CS = P.get<CompoundStmt>()) {
      if (Child)
        Levels.push_back({CS, Child, nullptr});
    } else if (const auto *If = P.get<IfStmt>()) {
      if (Child && Child == If->getThen())
        Levels.push_back({nullptr, nullptr, If->getCond()});
    }
    N = P;
  }
  for (auto It = Levels.rbegin(); It != Levels.rend(); ++It) {
    if (It->Condition) {
      ProcessCondition(It->Condition);
      continue;
    }
    for (const Stmt *St : It->Block->body()) {
      if (St == It->Child)
        break;
      Process(St);
    }
  }
  return Held;
}

llvm::SmallVector<const ValueDecl *, 2>
LockAnalysis::heldOnEntry(const FunctionDecl *FD, int Depth) {
  if (!FD || Depth > 4)
    return {};
  auto Cached = EntryCache.find(FD);
  if (Cached != EntryCache.end())
    return Cached->second;
  EntryCache[FD] = {}; // recursion: assume nothing held
  for (const SpawnSite &S : TC.sites())
    for (const FunctionDecl *E : S.Entries)
      if (E->getCanonicalDecl() == FD->getCanonicalDecl())
        return {};
  auto Callers = TC.callers(FD);
  if (Callers.empty() || FD->isMain())
    return {};
  std::optional<llvm::SmallVector<const ValueDecl *, 2>> Common;
  for (const auto &[Caller, Where] : Callers) {
    if (!Caller)
      return {};
    auto H = heldLocally(Where);
    for (const ValueDecl *M : heldOnEntry(Caller, Depth + 1))
      if (!llvm::is_contained(H, M))
        H.push_back(M);
    if (!Common) {
      Common = H;
    } else {
      llvm::SmallVector<const ValueDecl *, 2> Both;
      for (const ValueDecl *M : *Common)
        if (llvm::is_contained(H, M))
          Both.push_back(M);
      Common = Both;
    }
  }
  EntryCache[FD] = *Common;
  return *Common;
}

llvm::SmallVector<const ValueDecl *, 2>
LockAnalysis::heldAt(const Stmt *S, const FunctionDecl *FD) {
  auto H = heldLocally(S);
  for (const ValueDecl *M : heldOnEntry(FD, 0))
    if (!llvm::is_contained(H, M))
      H.push_back(M);
  return H;
}

bool precedesThreadStart(const Expr *Access, const FunctionDecl *FD,
                         const Expr *Start, const ThreadContext &TC,
                         ASTContext &Ctx) {
  if (!Access || !FD || !Start)
    return false;
  auto Fns = TC.enclosingFunctions(Start);
  if (Fns.empty() || Fns.front() != FD)
    return false;
  const SourceManager &SM = Ctx.getSourceManager();
  SourceLocation AL = SM.getExpansionLoc(Access->getBeginLoc());
  if (!SM.isBeforeInTranslationUnit(AL,
                                    SM.getExpansionLoc(Start->getBeginLoc())))
    return false;
  for (const Stmt *S = Start; S;) {
    S = enclosingStmt(S, Ctx);
    if (!S || isa<LambdaExpr>(S))
      break;
    if (isLoop(S) &&
        SM.isPointWithin(AL, SM.getExpansionLoc(S->getBeginLoc()),
                         SM.getExpansionLoc(S->getEndLoc())))
      return false; // the next round's access races this round's thread
  }
  return true;
}

std::string contextLabel(const ThreadContext &TC, const Reach &R) {
  return TC.context(R.Context).Label;
}

} // namespace tether
