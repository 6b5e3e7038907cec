//===--- ThreadLocalParameterCheck.cpp - global-thread-local-parameter ----===//

#include "ThreadLocalParameterCheck.h"

#include "analysis/GlobalAccess.h"

#include "analysis/ExprUtils.h"
#include "analysis/SharedAnalyses.h"

#include "clang/AST/ASTContext.h"
#include "clang/AST/DeclCXX.h"
#include "clang/AST/ExprCXX.h"
#include "clang/AST/ParentMapContext.h"
#include "clang/Basic/SourceManager.h"

using namespace clang;
using namespace clang::ast_matchers;

namespace tether {

namespace {

/// Is `E` the calling thread's id: a call of a rule pack's `self` function
/// (std::this_thread::get_id(), pthread_self()), or a local initialized
/// from one?
bool isThreadIdKey(const Expr *E, const RuleSet &Rules) {
  for (int Depth = 0; E && Depth < 4; ++Depth) {
    E = ignoreWrappers(E);
    if (const auto *CE = dyn_cast<CXXConstructExpr>(E))
      if (CE->getNumArgs() == 1 &&
          CE->getConstructor()->isCopyOrMoveConstructor()) {
        E = CE->getArg(0);
        continue;
      }
    if (const auto *C = dyn_cast<CallExpr>(E))
      if (const FunctionDecl *FD = C->getDirectCallee())
        return Rules.isThreadSelf(qualifiedName(FD));
    if (const auto *DRE = dyn_cast<DeclRefExpr>(E))
      if (const auto *VD = dyn_cast<VarDecl>(DRE->getDecl()))
        if (VD->hasLocalStorage() && VD->getInit()) {
          E = VD->getInit();
          continue;
        }
    return false;
  }
  return false;
}

/// Methods of an associative container that take a key and only look.
bool isLookup(StringRef M) {
  return M == "at" || M == "find" || M == "count" || M == "contains" ||
         M == "equal_range" || M == "lower_bound" || M == "upper_bound";
}

/// Methods that store or remove under a key.
bool isKeyedStore(StringRef M) {
  return M == "emplace" || M == "try_emplace" || M == "insert" ||
         M == "insert_or_assign" || M == "erase" || M == "emplace_hint";
}

/// When `Ref` (a reference to a global) is used with the calling thread's id
/// as the key (`g[std::this_thread::get_id()]`, `g.find(pthread_self())`,
/// `g.emplace(id, v)` with `auto id = std::this_thread::get_id()`), the
/// keyed access expression and whether it writes; otherwise null.
const Expr *threadKeyedAccess(const Expr *Ref, ASTContext &Ctx,
                              const RuleSet &Rules, bool &Write) {
  const Expr *Cur = Ref;
  for (int Depth = 0; Depth < 4; ++Depth) {
    auto Parents = Ctx.getParents(*Cur);
    if (Parents.empty())
      return nullptr;
    const auto *P = Parents[0].get<Expr>();
    if (!P)
      return nullptr;
    if (const auto *Op = dyn_cast<CXXOperatorCallExpr>(P)) {
      if (Op->getOperator() != OO_Subscript || Op->getNumArgs() != 2 ||
          ignoreWrappers(Op->getArg(0)) != ignoreWrappers(Cur) ||
          !isThreadIdKey(Op->getArg(1), Rules))
        return nullptr;
      Write = isWriteAccess(Op, Ctx);
      return Op;
    }
    if (const auto *ME = dyn_cast<MemberExpr>(P)) {
      auto PP = Ctx.getParents(*ME);
      const auto *Call = PP.empty() ? nullptr : PP[0].get<CXXMemberCallExpr>();
      if (!Call || ME->isArrow() || Call->getNumArgs() == 0 ||
          !Call->getMethodDecl())
        return nullptr;
      StringRef M = Call->getMethodDecl()->getName();
      const Expr *Key = Call->getArg(0);
      // insert({id, v}) / insert(std::make_pair(id, v)): the pair's first.
      if (M == "insert")
        if (const auto *Init = dyn_cast<InitListExpr>(ignoreWrappers(Key)))
          Key = Init->getNumInits() ? Init->getInit(0) : nullptr;
      if (!Key || !isThreadIdKey(Key, Rules))
        return nullptr;
      if (isLookup(M)) {
        Write = M == "at" && isWriteAccess(Call, Ctx);
        return Call;
      }
      if (isKeyedStore(M)) {
        Write = true;
        return Call;
      }
      return nullptr;
    }
    if (!isa<ImplicitCastExpr, ParenExpr>(P))
      return nullptr;
    Cur = P;
  }
  return nullptr;
}

} // namespace

void ThreadLocalParameterCheck::registerMatchers(MatchFinder *Finder) {
  auto TLS = varDecl(hasThreadStorageDuration());
  Finder->addMatcher(declRefExpr(to(TLS)).bind("ref"), this);
  Finder->addMatcher(memberExpr(member(TLS)).bind("ref"), this);
  // Globals keyed by the calling thread's id: per-thread slots by hand.
  auto Keyed = varDecl(hasStaticStorageDuration(), hasType(cxxRecordDecl()));
  Finder->addMatcher(declRefExpr(to(Keyed)).bind("keyed"), this);
  Finder->addMatcher(memberExpr(member(Keyed)).bind("keyed"), this);
}

void ThreadLocalParameterCheck::check(const MatchFinder::MatchResult &R) {
  const auto *E = R.Nodes.getNodeAs<Expr>("ref");
  bool Keyed = false;
  if (!E) {
    E = R.Nodes.getNodeAs<Expr>("keyed");
    Keyed = true;
  }
  const ValueDecl *D = nullptr;
  if (const auto *DRE = dyn_cast<DeclRefExpr>(E))
    D = DRE->getDecl();
  else if (const auto *ME = dyn_cast<MemberExpr>(E))
    D = ME->getMemberDecl();
  const auto *VD = dyn_cast_or_null<VarDecl>(D);
  if (!VD || VD->isConstexpr() ||
      R.Context->getBaseElementType(VD->getType()).isConstQualified())
    return;
  const SourceManager &SM = *R.SourceManager;
  if (SM.isInSystemHeader(SM.getExpansionLoc(VD->getLocation())) ||
      SM.isInSystemHeader(SM.getExpansionLoc(E->getBeginLoc())))
    return;
  Access A;
  if (Keyed) {
    A.Ref = threadKeyedAccess(E, *R.Context, rules(), A.Write);
    if (!A.Ref)
      return;
  } else {
    A.Ref = E;
    A.Write = isWriteAccess(E, *R.Context);
  }
  Refs[VD->getCanonicalDecl()].push_back(A);
}

void ThreadLocalParameterCheck::onEndOfTranslationUnit() {
  ASTContext *Ctx = context().astContext();
  if (!Ctx || Refs.empty()) {
    Refs.clear();
    return;
  }
  ThreadContext &TC = threadContext(context()); // shared by all checks
  const SourceManager &SM = Ctx->getSourceManager();
  for (auto &[VD, Accesses] : Refs) {
    struct Use {
      const Expr *Ref;
      const FunctionDecl *Fn;
    };
    std::vector<Use> Writes, Reads;
    llvm::DenseMap<const FunctionDecl *, const Expr *> FirstWrite;
    for (const Access &A : Accesses)
      for (const FunctionDecl *FD : TC.enclosingFunctions(A.Ref)) {
        if (A.Write) {
          Writes.push_back({A.Ref, FD});
          FirstWrite.try_emplace(FD, A.Ref);
        } else {
          Reads.push_back({A.Ref, FD});
        }
      }
    // A reader that itself writes first (a lazily filled per-thread cache)
    // does not depend on its callers.
    auto SelfManaged = [&](const Use &R) {
      auto It = FirstWrite.find(R.Fn);
      return It != FirstWrite.end() &&
             SM.isBeforeInTranslationUnit(It->second->getBeginLoc(),
                                          R.Ref->getBeginLoc());
    };
    bool IsTLS = VD->getTLSKind() != VarDecl::TLS_None;
    std::string Name = VD->getNameAsString();
    std::string What = IsTLS ? "thread_local '" + Name + "'"
                             : "'" + Name + "' (keyed by thread id)";
    auto Report = [&](const Use &W, const Use &Rd,
                      llvm::ArrayRef<const FunctionDecl *> Chain,
                      const Stmt *SetterCall, const FunctionDecl *Caller) {
      std::string How =
          SetterCall ? "which '" + Caller->getNameAsString() +
                           "' calls after calling '" +
                           W.Fn->getNameAsString() + "'"
                     : std::string("which this function calls");
      auto D = diag(W.Ref->getBeginLoc(),
                    What + " is set here and read in '" +
                        Rd.Fn->getNameAsString() + "', " + How +
                        ": a hidden parameter");
      D.cure("pass the value as an argument: a hidden parameter does not "
             "follow the work to another thread, a task or a callback, and "
             "leaks into whatever runs next on this thread; keep "
             "per-request state in a tether::server's state");
      D.note(VD->getLocation(), "'" + Name + "' is declared here");
      if (SetterCall)
        D.note(SetterCall->getBeginLoc(),
               "'" + W.Fn->getNameAsString() + "' is called here");
      D.note(Rd.Ref->getBeginLoc(),
             "read here, reached through " + ThreadContext::chainText(Chain));
    };
    // The reader is reached from the writer, or from a function that calls
    // the writer (a setter) and then, later in its body, the reader (a
    // getter) or a function reaching it.
    auto Find = [&](const Use &W, const Use &Rd) {
      llvm::SmallVector<const FunctionDecl *, 4> Chain;
      if (TC.calls(W.Fn, Rd.Fn, &Chain)) {
        Report(W, Rd, Chain, nullptr, nullptr);
        return true;
      }
      for (const auto &[Caller, SetCall] : TC.callers(W.Fn)) {
        if (Caller == Rd.Fn || FirstWrite.count(Caller))
          continue;
        for (const CallEdge &E : TC.callees(Caller)) {
          if (E.Callee == W.Fn || !E.Where ||
              !SM.isBeforeInTranslationUnit(SetCall->getBeginLoc(),
                                            E.Where->getBeginLoc()))
            continue;
          llvm::SmallVector<const FunctionDecl *, 4> Rest;
          if (E.Callee != Rd.Fn && !TC.calls(E.Callee, Rd.Fn, &Rest))
            continue;
          Chain = {Caller};
          if (Rest.empty())
            Chain.push_back(Rd.Fn);
          else
            Chain.append(Rest.begin(), Rest.end());
          Report(W, Rd, Chain, SetCall, Caller);
          return true;
        }
      }
      return false;
    };
    // A reader that fills the variable itself when it finds it empty,
    // directly or through a function it calls (`if (t_tid == 0)
    // cache_tid(); return t_tid;`), is a cache: a writer elsewhere only
    // invalidates it (muduo's afterFork resets t_cachedTid).
    auto FillsItself = [&](const FunctionDecl *Fn) {
      if (FirstWrite.count(Fn))
        return true;
      for (const auto &[WFn, WRef] : FirstWrite)
        if (TC.calls(Fn, WFn))
          return true;
      return false;
    };
    bool Done = false;
    for (const Use &W : Writes) {
      for (const Use &Rd : Reads) {
        if (Rd.Fn == W.Fn || SelfManaged(Rd) || FillsItself(Rd.Fn))
          continue;
        if ((Done = Find(W, Rd)))
          break;
      }
      if (Done)
        break;
    }
  }
  Refs.clear();
}

} // namespace tether
