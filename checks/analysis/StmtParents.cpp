//===--- StmtParents.cpp - Walking up from a statement --------------------===//

#include "StmtParents.h"

#include "clang/AST/ASTContext.h"
#include "clang/AST/DeclCXX.h"
#include "clang/AST/ParentMapContext.h"

using namespace clang;

namespace tether {

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

} // namespace tether
