//===--- ThreadLocalParameterCheck.cpp - global-thread-local-parameter ----===//

#include "ThreadLocalParameterCheck.h"

#include "GlobalAccess.h"

#include "analysis/SharedAnalyses.h"

#include "clang/AST/ASTContext.h"
#include "clang/AST/DeclCXX.h"
#include "clang/Basic/SourceManager.h"

using namespace clang;
using namespace clang::ast_matchers;

namespace tether {

void ThreadLocalParameterCheck::registerMatchers(MatchFinder *Finder) {
  auto TLS = varDecl(hasThreadStorageDuration());
  Finder->addMatcher(declRefExpr(to(TLS)).bind("ref"), this);
  Finder->addMatcher(memberExpr(member(TLS)).bind("ref"), this);
}

void ThreadLocalParameterCheck::check(const MatchFinder::MatchResult &R) {
  const auto *E = R.Nodes.getNodeAs<Expr>("ref");
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
  Refs[VD->getCanonicalDecl()].push_back(E);
}

void ThreadLocalParameterCheck::onEndOfTranslationUnit() {
  ASTContext *Ctx = context().astContext();
  if (!Ctx || Refs.empty()) {
    Refs.clear();
    return;
  }
  ThreadContext &TC = threadContext(context()); // shared by all checks
  const SourceManager &SM = Ctx->getSourceManager();
  for (auto &[VD, Exprs] : Refs) {
    struct Use {
      const Expr *Ref;
      const FunctionDecl *Fn;
    };
    std::vector<Use> Writes, Reads;
    llvm::DenseMap<const FunctionDecl *, const Expr *> FirstWrite;
    for (const Expr *E : Exprs)
      for (const FunctionDecl *FD : TC.enclosingFunctions(E)) {
      if (isWriteAccess(E, *Ctx)) {
        Writes.push_back({E, FD});
        FirstWrite.try_emplace(FD, E);
      } else {
        Reads.push_back({E, FD});
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
    bool Done = false;
    for (const Use &W : Writes) {
      for (const Use &Rd : Reads) {
        if (Rd.Fn == W.Fn || SelfManaged(Rd) || FirstWrite.count(Rd.Fn))
          continue;
        llvm::SmallVector<const FunctionDecl *, 4> Chain;
        if (!TC.calls(W.Fn, Rd.Fn, &Chain))
          continue;
        std::string Name = VD->getNameAsString();
        diag(W.Ref->getBeginLoc(),
             "thread_local '" + Name + "' is set here and read in '" +
                 Rd.Fn->getNameAsString() +
                 "', which this function calls: a hidden parameter that "
                 "does not follow the work to another thread, a task or a "
                 "callback, and leaks into whatever runs next on this "
                 "thread; pass the value as an argument, or keep "
                 "per-request state in a tether::server's state")
            .note(VD->getLocation(), "'" + Name + "' is declared here")
            .note(Rd.Ref->getBeginLoc(),
                  "read here, reached through " +
                      ThreadContext::chainText(Chain));
        Done = true;
        break;
      }
      if (Done)
        break;
    }
  }
  Refs.clear();
}

} // namespace tether
