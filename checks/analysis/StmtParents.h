//===--- StmtParents.h - Walking up from a statement ----------------------===//
//
// Walks that climb from an expression to the statements around it (is it in
// a loop? in a try block? in a branch?) must pass through a declaration
// whose initializer holds it: the parent of `f()` in `auto r = f();` is the
// VarDecl, not a statement, and a walk that stops there misses the loop
// around it (found on abseil's waiter: a wait_for in a conditional
// initializer inside a while loop was taken for a wait outside any loop).
//
//===----------------------------------------------------------------------===//
#ifndef TETHER_CHECKS_ANALYSIS_STMTPARENTS_H
#define TETHER_CHECKS_ANALYSIS_STMTPARENTS_H

namespace clang {
class ASTContext;
class FunctionDecl;
class Expr;
class Stmt;
} // namespace clang

namespace tether {

/// The statement directly above `S`: its parent statement, or, when `S`
/// initializes a variable (or a structured binding), the DeclStmt that
/// declares it. Null at a function's body, a member initializer, a global's
/// initializer, or anything else that is not inside a statement.
const clang::Stmt *enclosingStmt(const clang::Stmt *S, clang::ASTContext &Ctx);

/// The function whose body holds `S` (a lambda's operator() for code in a
/// lambda's body), through the parent map; null outside functions.
const clang::FunctionDecl *enclosingFunction(const clang::Stmt *S,
                                             clang::ASTContext &Ctx);

/// Is `S` a loop (while, do, for, range-for)? Its condition (null for a
/// range-for and for `for (;;)`) and its body.
bool isLoop(const clang::Stmt *S);
const clang::Expr *loopCondition(const clang::Stmt *Loop);
const clang::Stmt *loopBody(const clang::Stmt *Loop);

} // namespace tether

#endif
