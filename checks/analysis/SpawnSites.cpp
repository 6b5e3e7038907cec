//===--- SpawnSites.cpp - Where callables are handed to other threads -----===//

#include "SpawnSites.h"

#include "ExprUtils.h"

#include "clang/AST/ASTContext.h"
#include "clang/AST/DeclCXX.h"
#include "clang/AST/DeclTemplate.h"
#include "clang/AST/ExprCXX.h"
#include "clang/AST/ParentMapContext.h"
#include "clang/AST/RecursiveASTVisitor.h"
#include "clang/Basic/SourceManager.h"
#include "clang/Lex/Lexer.h"
#include "llvm/ADT/SmallPtrSet.h"
#include "llvm/ADT/StringExtras.h"

#include <algorithm>

using namespace clang;

namespace tether {

namespace {

bool contains(const std::vector<std::string> &V, const std::string &S) {
  return std::find(V.begin(), V.end(), S) != V.end();
}

/// Strips what does not change which function a callable runs: wrappers,
/// explicit casts (pthread entries are often cast to void *(*)(void *)),
/// std::move / std::forward, std::ref / std::cref.
const Expr *stripCallable(const Expr *E) {
  for (int Depth = 0; E && Depth < 16; ++Depth) {
    const Expr *Prev = E;
    E = ignoreWrappers(E);
    if (const auto *CE = dyn_cast<ExplicitCastExpr>(E))
      if (!isa<CXXFunctionalCastExpr>(CE) ||
          CE->getCastKind() == CK_NoOp)
        E = CE->getSubExpr();
    if (const Expr *M = movedArgument(E))
      E = M;
    if (const auto *C = dyn_cast<CallExpr>(E))
      if (const FunctionDecl *FD = C->getDirectCallee())
        if (C->getNumArgs() == 1) {
          std::string N = qualifiedName(FD);
          if (N == "std::ref" || N == "std::cref" || N == "boost::ref" ||
              N == "boost::cref")
            E = C->getArg(0);
        }
    if (E == Prev)
      break;
  }
  return E;
}

/// A function object's call operators: the non-template ones, and every
/// instantiation of a call operator template (a generic lambda).
void callOperators(const CXXRecordDecl *RD,
                   llvm::SmallVectorImpl<const FunctionDecl *> &Out) {
  if (!RD || !RD->hasDefinition())
    return;
  RD = RD->getDefinition();
  auto AddFrom = [&Out](const CXXRecordDecl *R) {
    for (const Decl *D : R->decls()) {
      if (const auto *MD = dyn_cast<CXXMethodDecl>(D)) {
        if (MD->getOverloadedOperator() == OO_Call)
          Out.push_back(MD);
      } else if (const auto *FT = dyn_cast<FunctionTemplateDecl>(D)) {
        if (FT->getTemplatedDecl()->getOverloadedOperator() == OO_Call)
          for (const FunctionDecl *Spec : FT->specializations())
            Out.push_back(Spec);
      }
    }
  };
  AddFrom(RD);
  if (!Out.empty())
    return;
  RD->forallBases([&](const CXXRecordDecl *Base) {
    AddFrom(Base);
    return true;
  });
}

bool hasCallOperator(const CXXRecordDecl *RD) {
  if (!RD || !RD->hasDefinition())
    return false;
  bool Found = false;
  auto Look = [&Found](const CXXRecordDecl *R) {
    for (const Decl *D : R->decls()) {
      const FunctionDecl *FD = nullptr;
      if (const auto *FT = dyn_cast<FunctionTemplateDecl>(D))
        FD = FT->getTemplatedDecl();
      else
        FD = dyn_cast<FunctionDecl>(D);
      if (FD && FD->getOverloadedOperator() == OO_Call)
        Found = true;
    }
  };
  Look(RD->getDefinition());
  if (!Found)
    RD->getDefinition()->forallBases([&](const CXXRecordDecl *B) {
      Look(B);
      return !Found;
    });
  return Found;
}

/// True if a value of type `T` can be called: a function, a pointer or
/// reference to one, a member function pointer, a class with operator()
/// (closures, std::function, functors).
bool isCallableType(QualType T) {
  if (T.isNull())
    return false;
  T = T.getNonReferenceType().getCanonicalType();
  if (T->isFunctionType() || T->isFunctionPointerType() ||
      T->isMemberFunctionPointerType())
    return true;
  return hasCallOperator(recordOf(T));
}

bool isLaunchPolicy(const Expr *E) {
  QualType T = E->getType().getCanonicalType();
  if (const auto *ET = T->getAs<EnumType>())
    return qualifiedNameMatches("std::launch", qualifiedName(ET->getDecl())) ||
           ET->getDecl()->getName() == "launch";
  return false;
}

bool isDependent(const Expr *E) {
  return E->isTypeDependent() || E->isValueDependent() ||
         E->isInstantiationDependent();
}

void resolveInto(const Expr *E, ASTContext &Ctx,
                 llvm::SmallVectorImpl<const FunctionDecl *> &Out,
                 llvm::SmallPtrSetImpl<const Decl *> &Seen, int Depth);

/// A variable holding a callable: what it was initialized with (and, for a
/// local never reassigned, that is all it can hold), else its type.
void resolveVar(const VarDecl *VD, ASTContext &Ctx,
                llvm::SmallVectorImpl<const FunctionDecl *> &Out,
                llvm::SmallPtrSetImpl<const Decl *> &Seen, int Depth) {
  if (!Seen.insert(VD).second)
    return;
  size_t Before = Out.size();
  if (const Expr *Init = VD->getAnyInitializer())
    resolveInto(Init, Ctx, Out, Seen, Depth + 1);
  if (Out.size() == Before)
    callOperators(recordOf(VD->getType()), Out);
}

void resolveInto(const Expr *E, ASTContext &Ctx,
                 llvm::SmallVectorImpl<const FunctionDecl *> &Out,
                 llvm::SmallPtrSetImpl<const Decl *> &Seen, int Depth) {
  if (!E || Depth > 8)
    return;
  E = stripCallable(E);
  if (const auto *L = dyn_cast<LambdaExpr>(E)) {
    if (const FunctionTemplateDecl *FT = L->getDependentCallOperator()) {
      for (const FunctionDecl *Spec : FT->specializations())
        Out.push_back(Spec);
      return;
    }
    Out.push_back(L->getCallOperator());
    return;
  }
  if (const auto *UO = dyn_cast<UnaryOperator>(E))
    if (UO->getOpcode() == UO_AddrOf || UO->getOpcode() == UO_Deref)
      return resolveInto(UO->getSubExpr(), Ctx, Out, Seen, Depth + 1);
  if (const auto *DRE = dyn_cast<DeclRefExpr>(E)) {
    const ValueDecl *D = DRE->getDecl();
    if (const auto *FD = dyn_cast<FunctionDecl>(D)) {
      Out.push_back(FD);
      return;
    }
    if (const auto *VD = dyn_cast<VarDecl>(D))
      return resolveVar(VD, Ctx, Out, Seen, Depth);
    return;
  }
  if (const auto *ME = dyn_cast<MemberExpr>(E)) {
    if (const auto *MD = dyn_cast<CXXMethodDecl>(ME->getMemberDecl())) {
      Out.push_back(MD);
      return;
    }
    if (const auto *VD = dyn_cast<VarDecl>(ME->getMemberDecl()))
      return resolveVar(VD, Ctx, Out, Seen, Depth);
    callOperators(recordOf(ME->getType()), Out);
    return;
  }
  if (const auto *C = dyn_cast<CallExpr>(E)) {
    if (const FunctionDecl *FD = C->getDirectCallee()) {
      std::string N = qualifiedName(FD);
      if ((N == "std::bind" || N == "std::bind_front" || N == "std::bind_back" ||
           N == "boost::bind" || N == "std::mem_fn") &&
          C->getNumArgs() >= 1)
        return resolveInto(C->getArg(0), Ctx, Out, Seen, Depth + 1);
    }
    // A call returning a function object: its type says what runs.
    callOperators(recordOf(C->getType()), Out);
    return;
  }
  if (const auto *CE = dyn_cast<CXXConstructExpr>(E)) {
    // std::function<void()>(f), a copy of a functor: follow the argument.
    const CXXRecordDecl *RD = CE->getConstructor()->getParent();
    bool Wrapper = CE->getNumArgs() == 1 &&
                   (CE->getConstructor()->isCopyOrMoveConstructor() ||
                    !RD->isLambda());
    if (Wrapper) {
      size_t Before = Out.size();
      resolveInto(CE->getArg(0), Ctx, Out, Seen, Depth + 1);
      if (Out.size() != Before)
        return;
    }
    callOperators(RD, Out);
    return;
  }
  if (const auto *CO = dyn_cast<ConditionalOperator>(E)) {
    resolveInto(CO->getTrueExpr(), Ctx, Out, Seen, Depth + 1);
    resolveInto(CO->getFalseExpr(), Ctx, Out, Seen, Depth + 1);
    return;
  }
  // Anything else of class type: a functor's operator().
  callOperators(recordOf(E->getType()), Out);
}

class SiteFinder : public RecursiveASTVisitor<SiteFinder> {
public:
  SiteFinder(ASTContext &Ctx, const RuleSet &Rules) : Ctx(Ctx), Rules(Rules) {}

  bool shouldVisitTemplateInstantiations() const { return true; }
  bool shouldVisitImplicitCode() const { return false; }

  bool TraverseDecl(Decl *D) {
    if (!D)
      return true;
    // Template patterns: their instantiations are visited instead.
    if (isa<FunctionDecl, CXXRecordDecl>(D) &&
        cast<DeclContext>(D)->isDependentContext())
      return true;
    return RecursiveASTVisitor::TraverseDecl(D);
  }

  bool VisitCXXConstructExpr(CXXConstructExpr *CE) {
    if (skip(CE))
      return true;
    const CXXConstructorDecl *Ctor = CE->getConstructor();
    if (!Ctor || Ctor->isCopyOrMoveConstructor())
      return true;
    const ThreadTypeRule *R = threadRule(CE->getType(), Rules);
    if (!R)
      return true;
    addThreadObject(CE, *R, CE->getArgs(), CE->getNumArgs(),
                    R->Type);
    return true;
  }

  bool VisitCallExpr(CallExpr *C) {
    if (skip(C))
      return true;
    if (auto *MC = dyn_cast<CXXMemberCallExpr>(C)) {
      visitMemberCall(MC);
      return true;
    }
    const FunctionDecl *FD = C->getDirectCallee();
    if (!FD)
      return true;
    std::string Name = qualifiedName(FD);
    for (const ThreadFunctionRule &R : Rules.ThreadFunctions)
      if (R.EntryArg >= 0 && qualifiedNameMatches(R.Function, Name) &&
          static_cast<unsigned>(R.EntryArg) < C->getNumArgs()) {
        SpawnSite &S = add(SpawnKind::ThreadFunction, C, C->getArg(R.EntryArg),
                           pthreadFate(C, R), R.Function);
        for (unsigned I = R.EntryArg + 1; I < C->getNumArgs(); ++I)
          S.EntryArgs.push_back(C->getArg(I));
        return true;
      }
    for (const AsyncFunctionRule &R : Rules.AsyncFunctions)
      if (qualifiedNameMatches(R.Function, Name)) {
        const Expr *Entry = nullptr;
        if (R.EntryArg >= 0) {
          if (static_cast<unsigned>(R.EntryArg) < C->getNumArgs())
            Entry = C->getArg(R.EntryArg);
        } else {
          for (const Expr *A : C->arguments())
            if (!isLaunchPolicy(A)) {
              Entry = A;
              break;
            }
        }
        if (Entry)
          add(SpawnKind::Async, C, Entry,
              isDiscarded(C, Ctx) ? HandleFate::Discarded
                                  : HandleFate::Unknown,
              R.Function);
        return true;
      }
    // std::make_unique<std::thread>(f), std::make_shared<boost::thread>(f):
    // the construction itself is in a system header.
    if ((Name == "std::make_unique" || Name == "std::make_shared" ||
         Name == "boost::make_shared") &&
        FD->getTemplateSpecializationArgs() &&
        FD->getTemplateSpecializationArgs()->size() >= 1) {
      const TemplateArgument &A = FD->getTemplateSpecializationArgs()->get(0);
      if (A.getKind() == TemplateArgument::Type)
        if (const ThreadTypeRule *R = threadRule(A.getAsType(), Rules))
          addThreadObject(C, *R, C->getArgs(), C->getNumArgs(),
                          R->Type);
    }
    return true;
  }

  std::vector<SpawnSite> Sites;

private:
  ASTContext &Ctx;
  const RuleSet &Rules;

  bool skip(const Expr *E) {
    if (isDependent(E))
      return true;
    SourceLocation L = E->getBeginLoc();
    if (L.isInvalid())
      return true;
    const SourceManager &SM = Ctx.getSourceManager();
    return SM.isInSystemHeader(SM.getExpansionLoc(L));
  }

  void addThreadObject(const Expr *Site, const ThreadTypeRule &R,
                       const Expr *const *Args, unsigned NumArgs,
                       const std::string &Spawner) {
    if (R.EntryArg < 0 || static_cast<unsigned>(R.EntryArg) >= NumArgs)
      return;
    const Expr *Entry = Args[R.EntryArg];
    if (isa<CXXDefaultArgExpr>(Entry))
      return;
    // A thread constructed from another thread object is a move, not a start.
    if (threadRule(Entry->getType(), Rules))
      return;
    SpawnSite &S =
        add(SpawnKind::ThreadObject, Site, Entry, threadFate(Site, R), Spawner);
    for (unsigned I = R.EntryArg + 1; I < NumArgs; ++I)
      if (!isa<CXXDefaultArgExpr>(Args[I]))
        S.EntryArgs.push_back(Args[I]);
  }

  /// The body of the function holding `S`, found through the parent map.
  /// The function whose body holds `S` (a lambda's call operator for code
  /// in a lambda), found through the parent map.
  const FunctionDecl *enclosingFunction(const Stmt *S) {
    DynTypedNode N = DynTypedNode::create(*S);
    for (int Depth = 0; Depth < 64; ++Depth) {
      auto Parents = Ctx.getParents(N);
      if (Parents.empty())
        return nullptr;
      N = Parents[0];
      if (const auto *FD = N.get<FunctionDecl>())
        return FD;
      if (const auto *L = N.get<LambdaExpr>())
        return L->getCallOperator();
    }
    return nullptr;
  }

  const Stmt *enclosingBody(const Stmt *S) {
    const FunctionDecl *FD = enclosingFunction(S);
    return FD ? FD->getBody() : nullptr;
  }

  /// An executor method that calls another executor method on `this`
  /// (BS::thread_pool's detach_blocks -> enqueue_blocks): the executor's own
  /// plumbing. The outer call, in the user's code, is the spawn site.
  bool forwardsWithinExecutor(const CXXMemberCallExpr *MC) {
    const Expr *Obj = MC->getImplicitObjectArgument();
    if (!Obj || !isa<CXXThisExpr>(Obj->IgnoreParenImpCasts()))
      return false;
    // In a lambda the enclosing function is its call operator, which is
    // no executor method.
    const auto *EnclMD =
        dyn_cast_or_null<CXXMethodDecl>(enclosingFunction(MC));
    if (!EnclMD)
      return false;
    std::string Name = EnclMD->getNameAsString();
    std::string Class = EnclMD->getParent()->getNameAsString();
    for (const ExecutorRule &R : Rules.Executors)
      if (contains(R.Methods, Name) &&
          qualifiedNameMatches(R.Class, qualifiedName(EnclMD->getParent())))
        return true;
    return Rules.ExecutorNameHeuristics && looksLikeExecutor(Class, Name);
  }

  static void forEachCall(const Stmt *S,
                          llvm::function_ref<void(const CallExpr *)> F) {
    if (!S)
      return;
    if (const auto *C = dyn_cast<CallExpr>(S))
      F(C);
    for (const Stmt *Child : S->children())
      forEachCall(Child, F);
  }

  /// Does the value expression `V` name `Wanted` (an enumerator or a macro
  /// such as PTHREAD_CREATE_DETACHED)?
  bool namesValue(const Expr *V, const std::string &Wanted) {
    if (Wanted.empty())
      return false;
    if (const auto *DRE = dyn_cast<DeclRefExpr>(V->IgnoreParenImpCasts()))
      if (DRE->getDecl()->getName() == Wanted)
        return true;
    SourceLocation L = V->getBeginLoc();
    return L.isMacroID() &&
           Lexer::getImmediateMacroName(L, Ctx.getSourceManager(),
                                        Ctx.getLangOpts()) == Wanted;
  }

  /// pthread_create(&t, &attr, ...): detached when the attribute is set to
  /// detached or pthread_detach(t) is called in the same function, or the
  /// entry detaches itself (pthread_detach(pthread_self())).
  HandleFate pthreadFate(const CallExpr *C, const ThreadFunctionRule &R) {
    const Stmt *Body = enclosingBody(C);
    const ValueDecl *Handle = R.HandleArg < C->getNumArgs()
                                  ? rootDecl(C->getArg(R.HandleArg))
                                  : nullptr;
    const ValueDecl *Attr =
        R.AttrArg >= 0 && static_cast<unsigned>(R.AttrArg) < C->getNumArgs()
            ? rootDecl(C->getArg(R.AttrArg))
            : nullptr;
    bool Detached = false;
    forEachCall(Body, [&](const CallExpr *Call) {
      const FunctionDecl *FD = Call->getDirectCallee();
      if (!FD || Call->getNumArgs() == 0)
        return;
      std::string N = qualifiedName(FD);
      if (Handle && contains(R.Detach, N) &&
          rootDecl(Call->getArg(0)) == Handle)
        Detached = true;
      if (Attr && !R.DetachAttrSetter.empty() && Call->getNumArgs() >= 2 &&
          qualifiedNameMatches(R.DetachAttrSetter, N) &&
          rootDecl(Call->getArg(0)) == Attr &&
          namesValue(Call->getArg(1), R.DetachAttrValue))
        Detached = true;
    });
    if (Detached || R.Self.empty() ||
        static_cast<unsigned>(R.EntryArg) >= C->getNumArgs())
      return Detached ? HandleFate::Detached : HandleFate::Unknown;
    for (const FunctionDecl *Entry :
         resolveCallable(C->getArg(R.EntryArg), Ctx))
      forEachCall(Entry->getBody(), [&](const CallExpr *Call) {
        const FunctionDecl *FD = Call->getDirectCallee();
        if (!FD || Call->getNumArgs() == 0 ||
            !contains(R.Detach, qualifiedName(FD)))
          return;
        if (const auto *Arg =
                dyn_cast<CallExpr>(Call->getArg(0)->IgnoreParenImpCasts()))
          if (Arg->getDirectCallee() &&
              qualifiedNameMatches(R.Self, qualifiedName(Arg->getDirectCallee())))
            Detached = true;
      });
    return Detached ? HandleFate::Detached : HandleFate::Unknown;
  }

  /// std::thread(f).detach(): detached; std::thread(f); discarded.
  HandleFate threadFate(const Expr *Site, const ThreadTypeRule &R) {
    const Stmt *Cur = Site;
    for (int Depth = 0; Depth < 6; ++Depth) {
      auto Parents = Ctx.getParents(*Cur);
      if (Parents.empty())
        break;
      const Stmt *P = Parents[0].get<Stmt>();
      if (!P)
        break;
      if (const auto *ME = dyn_cast<MemberExpr>(P)) {
        if (contains(R.Detach, ME->getMemberDecl()->getNameAsString()))
          return HandleFate::Detached;
        return HandleFate::Unknown;
      }
      if (!isa<ImplicitCastExpr, ParenExpr, MaterializeTemporaryExpr,
               CXXBindTemporaryExpr, ExprWithCleanups, CXXFunctionalCastExpr>(
              P))
        break;
      Cur = P;
    }
    if (isa<CXXConstructExpr>(Site) && isDiscarded(Site, Ctx))
      return HandleFate::Discarded;
    // std::thread t(f); ... t.detach();
    auto Parents = Ctx.getParents(*Cur);
    if (const auto *V = Parents.empty() ? nullptr : Parents[0].get<VarDecl>())
      if (V->hasLocalStorage() && !V->getType()->isReferenceType())
        if (const auto *FD = dyn_cast_or_null<FunctionDecl>(
                V->getParentFunctionOrMethod()))
          for (const Expr *Ref : referencesTo(V, FD->getBody(), Ctx)) {
            const CXXMemberCallExpr *MC = nullptr;
            if (classifyUse(Ref, Ctx, &MC) == UseKind::MethodCall && MC &&
                contains(R.Detach, calleeName(MC)))
              return HandleFate::Detached;
          }
    return HandleFate::Unknown;
  }

  void visitMemberCall(const CXXMemberCallExpr *MC) {
    const CXXMethodDecl *MD = MC->getMethodDecl();
    if (!MD)
      return;
    std::string Method = MD->getNameAsString();
    // threads.emplace_back(worker): the construction is in a system header.
    if (Method == "emplace_back" || Method == "emplace_front" ||
        Method == "emplace") {
      QualType Elem = containerElement(
          MC->getImplicitObjectArgument()->getType(), Rules);
      if (!Elem.isNull())
        if (const ThreadTypeRule *R = threadRule(Elem, Rules)) {
          // vector::emplace takes the position first.
          unsigned Skip = Method == "emplace" && MC->getNumArgs() > 0 &&
                                  !threadRule(MC->getArg(0)->getType(),
                                              Rules) &&
                                  recordOf(MC->getArg(0)->getType()) &&
                                  !isCallableType(MC->getArg(0)->getType())
                              ? 1
                              : 0;
          addThreadObject(MC, *R,
                          MC->getArgs() + Skip,
                          MC->getNumArgs() - Skip, R->Type);
          return;
        }
    }
    const CXXRecordDecl *Obj = MC->getRecordDecl();
    const CXXRecordDecl *Owner = MD->getParent();
    auto ClassMatches = [&](const std::string &Pattern) {
      for (const CXXRecordDecl *RD : {Obj, Owner}) {
        if (!RD)
          continue;
        if (qualifiedNameMatches(Pattern, qualifiedName(RD)))
          return true;
      }
      return false;
    };
    if (forwardsWithinExecutor(MC))
      return;
    for (const ExecutorRule &R : Rules.Executors)
      if (contains(R.Methods, Method) && ClassMatches(R.Class)) {
        if (R.EntryArg >= 0 &&
            static_cast<unsigned>(R.EntryArg) < MC->getNumArgs())
          add(SpawnKind::Executor, MC, MC->getArg(R.EntryArg),
              HandleFate::None, R.Class + "::" + Method)
              .Receiver = MC->getImplicitObjectArgument();
        return;
      }
    if (!Rules.ExecutorNameHeuristics)
      return;
    bool Named = false;
    for (const CXXRecordDecl *RD : {Obj, Owner})
      if (RD && looksLikeExecutor(RD->getNameAsString(), Method))
        Named = true;
    if (!Named)
      return;
    // The first argument that is a callable is the task.
    for (const Expr *A : MC->arguments()) {
      const Expr *S = stripCallable(A);
      bool Callable = isCallableType(S->getType());
      if (const auto *DRE = dyn_cast<DeclRefExpr>(S))
        Callable |= isa<FunctionDecl>(DRE->getDecl());
      if (Callable) {
        add(SpawnKind::HeuristicExecutor, MC, A, HandleFate::None,
            qualifiedName(MD))
            .Receiver = MC->getImplicitObjectArgument();
        return;
      }
    }
  }

  SpawnSite &add(SpawnKind Kind, const Expr *Site, const Expr *Callable,
                 HandleFate Fate, std::string Spawner) {
    SpawnSite S;
    S.Kind = Kind;
    S.Site = Site;
    S.Callable = Callable;
    S.Entries = resolveCallable(Callable, Ctx);
    S.Lambda = dyn_cast<LambdaExpr>(stripCallable(Callable));
    S.Fate = Fate;
    S.Spawner = std::move(Spawner);
    Sites.push_back(std::move(S));
    return Sites.back();
  }
};

} // namespace

llvm::SmallVector<const FunctionDecl *, 2>
resolveCallable(const Expr *Callable, ASTContext &Ctx) {
  llvm::SmallVector<const FunctionDecl *, 2> Out;
  llvm::SmallPtrSet<const Decl *, 4> Seen;
  resolveInto(Callable, Ctx, Out, Seen, 0);
  // Unique, keeping the order.
  llvm::SmallVector<const FunctionDecl *, 2> Unique;
  llvm::SmallPtrSet<const FunctionDecl *, 4> Have;
  for (const FunctionDecl *FD : Out)
    if (FD && Have.insert(FD->getCanonicalDecl()).second)
      Unique.push_back(FD);
  return Unique;
}

namespace {

std::string squashName(const std::string &S) {
  std::string Out;
  for (char C : S)
    if (C != '_')
      Out.push_back(llvm::toLower(C));
  return Out;
}

/// `submit_task`, `postWork`, `TryEnqueue` -> {"submit", "task"}, ...:
/// lower-case words split at underscores and case changes.
std::vector<std::string> nameWords(const std::string &S) {
  std::vector<std::string> Out;
  std::string Cur;
  for (size_t I = 0; I < S.size(); ++I) {
    char C = S[I];
    if (C == '_') {
      if (!Cur.empty())
        Out.push_back(Cur);
      Cur.clear();
      continue;
    }
    bool Upper = llvm::isUpper(C);
    if (Upper && !Cur.empty() &&
        (llvm::isLower(S[I - 1]) ||
         (I + 1 < S.size() && llvm::isLower(S[I + 1])))) {
      Out.push_back(Cur);
      Cur.clear();
    }
    Cur.push_back(llvm::toLower(C));
  }
  if (!Cur.empty())
    Out.push_back(Cur);
  return Out;
}

/// The method is one of `Methods` (`post`, `add_task`), or starts with one
/// of `Verbs` followed by more words (`submit_task`, `detach_loop`,
/// `postWork`); a leading `try` is ignored. The class name contains one of
/// `Classes`.
bool nameHeuristic(const std::string &ClassName, const std::string &MethodName,
                   llvm::ArrayRef<const char *> Classes,
                   llvm::ArrayRef<const char *> Methods,
                   llvm::ArrayRef<const char *> Verbs) {
  std::vector<std::string> W = nameWords(MethodName);
  if (W.size() > 1 && W.front() == "try")
    W.erase(W.begin());
  std::string M;
  for (const std::string &X : W)
    M += X;
  std::string C = squashName(ClassName);
  bool MethodOk = false, ClassOk = false;
  for (const char *X : Methods)
    MethodOk |= M == X;
  if (W.size() > 1)
    for (const char *X : Verbs)
      MethodOk |= W.front() == X;
  for (const char *X : Classes)
    ClassOk |= C.find(X) != std::string::npos;
  return MethodOk && ClassOk;
}

const char *const ExecutorMethods[] = {"post",     "submit",   "enqueue",
                                       "execute",  "dispatch", "schedule",
                                       "addtask"};
/// Verbs that start an executor method name: `submit_task`, `post_work`,
/// and BS::thread_pool's `detach_task`/`detach_loop`.
const char *const ExecutorVerbs[] = {"post",     "submit",   "enqueue",
                                     "execute",  "dispatch", "schedule",
                                     "detach"};
const char *const ExecutorClasses[] = {"pool",      "executor", "queue",
                                       "scheduler", "worker",   "strand"};

} // namespace

bool looksLikeExecutor(const std::string &ClassName,
                       const std::string &MethodName) {
  return nameHeuristic(ClassName, MethodName, ExecutorClasses,
                       ExecutorMethods, ExecutorVerbs);
}

bool looksLikeSender(const std::string &ClassName,
                     const std::string &MethodName) {
  static const char *const Methods[] = {"post",     "submit",   "enqueue",
                                        "execute",  "dispatch", "schedule",
                                        "addtask",  "push",     "send"};
  static const char *const Verbs[] = {"post",     "submit",   "enqueue",
                                      "execute",  "dispatch", "schedule",
                                      "push",     "send"};
  static const char *const Classes[] = {"pool",    "executor", "queue",
                                        "scheduler", "worker", "strand",
                                        "channel", "mailbox"};
  return nameHeuristic(ClassName, MethodName, Classes, Methods, Verbs);
}

std::vector<SpawnSite> findSpawnSites(ASTContext &Ctx, const RuleSet &Rules) {
  SiteFinder F(Ctx, Rules);
  F.TraverseAST(Ctx);
  std::vector<SpawnSite> Sites = std::move(F.Sites);
  const SourceManager &SM = Ctx.getSourceManager();
  std::stable_sort(Sites.begin(), Sites.end(),
                   [&SM](const SpawnSite &A, const SpawnSite &B) {
                     return SM.isBeforeInTranslationUnit(
                         A.Site->getBeginLoc(), B.Site->getBeginLoc());
                   });
  return Sites;
}

} // namespace tether
