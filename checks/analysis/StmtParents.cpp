//===--- StmtParents.cpp - Walking up from a statement --------------------===//

#include "StmtParents.h"

#include "clang/AST/ASTContext.h"
#include "clang/AST/DeclCXX.h"
#include "clang/AST/ParentMapContext.h"
#include "clang/AST/StmtCXX.h"

using namespace clang;

namespace tether {

const FunctionDecl *enclosingFunction(const Stmt *S, ASTContext &Ctx) {
  DynTypedNode N = DynTypedNode::create(*S);
  for (int Depth = 0; Depth < 512; ++Depth) {
    auto Parents = Ctx.getParents(N);
    if (Parents.empty())
      return nullptr;
    if (const auto *FD = Parents[0].get<FunctionDecl>())
      return FD;
    if (const auto *L = Parents[0].get<LambdaExpr>())
      if (N.get<Stmt>() == L->getBody())
        return L->getCallOperator();
    N = Parents[0];
  }
  return nullptr;
}

const Stmt *enclosingStmt(const Stmt *S, ASTContext &Ctx) {
  auto Parents = Ctx.getParents(*S);
  for (int Depth = 0; Depth < 4 && !Parents.empty(); ++Depth) {
    if (const Stmt *P = Parents[0].get<Stmt>())
      return P;
    const Decl *D = Parents[0].get<Decl>();
    if (!D || !isa<VarDecl, BindingDecl>(D) || isa<ParmVarDecl>(D))
      return nullptr;
    const auto *V = dyn_cast<VarDecl>(D);
    if (V && !V->isLocalVarDecl() && !isa<DecompositionDecl>(V))
      return nullptr; // a global's or a static member's initializer
    Parents = Ctx.getParents(*D);
  }
  return nullptr;
}

bool isLoop(const Stmt *S) {
  return isa_and_nonnull<WhileStmt, DoStmt, ForStmt, CXXForRangeStmt>(S);
}

const Expr *loopCondition(const Stmt *Loop) {
  if (const auto *W = dyn_cast_or_null<WhileStmt>(Loop))
    return W->getCond();
  if (const auto *D = dyn_cast_or_null<DoStmt>(Loop))
    return D->getCond();
  if (const auto *F = dyn_cast_or_null<ForStmt>(Loop))
    return F->getCond();
  return nullptr;
}

const Stmt *loopBody(const Stmt *Loop) {
  if (const auto *W = dyn_cast_or_null<WhileStmt>(Loop))
    return W->getBody();
  if (const auto *D = dyn_cast_or_null<DoStmt>(Loop))
    return D->getBody();
  if (const auto *F = dyn_cast_or_null<ForStmt>(Loop))
    return F->getBody();
  if (const auto *R = dyn_cast_or_null<CXXForRangeStmt>(Loop))
    return R->getBody();
  return nullptr;
}

} // namespace tether
