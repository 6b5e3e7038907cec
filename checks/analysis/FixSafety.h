//===--- FixSafety.h - When a rewrite onto the runtime keeps the program ---===//
//
// The questions every fix-it onto the tether runtime asks before it rewrites
// (docs/fixes.md, "When tether rewrites"):
//
//  - Does the work end on its own? A supervised task, a std::jthread or a
//    joined thread makes shutdown wait for its body: a body with an endless
//    loop turns a detached thread into a hang at exit.
//  - Does the callable keep nothing that dies first alive by reference?
//  - What is the exact source text of an expression, outside any macro?
//
//===----------------------------------------------------------------------===//
#ifndef TETHER_CHECKS_ANALYSIS_FIXSAFETY_H
#define TETHER_CHECKS_ANALYSIS_FIXSAFETY_H

#include "llvm/ADT/StringRef.h"

#include <optional>
#include <string>

namespace clang {
class ASTContext;
class CXXRecordDecl;
class Expr;
class FieldDecl;
class FunctionDecl;
class SourceRange;
class Stmt;
} // namespace clang

namespace tether {

/// `Callable` without what turns it into an argument: parentheses, implicit
/// casts, temporaries, and the conversion to std::function.
const clang::Expr *underlyingCallable(const clang::Expr *Callable);

/// The function a thread or task would run for `Callable` (a lambda, a
/// function name, `&f`), when its body is in this translation unit.
const clang::FunctionDecl *callableBody(const clang::Expr *Callable);

/// True when `FD` takes a std::stop_token as its only parameter: the work
/// can be asked to stop.
bool takesStopToken(const clang::FunctionDecl *FD);

/// True when the body of `FD`, and of every function it calls whose body is
/// in this translation unit (a few levels deep), has no loop that may run
/// forever: no `while`, `do` or condition-less `for`, and no `goto`
/// backwards. Calls to functions defined elsewhere are assumed to return.
bool endsOnItsOwn(const clang::FunctionDecl *FD);

/// How a lambda captures: by copy only, or it captures `this` or something
/// by reference (explicitly or by default).
struct CaptureSummary {
  bool This = false;
  bool ByReference = false;
};
CaptureSummary captures(const clang::Expr *Callable);

/// The source text of `E`, when it is written out in one file (not built by
/// a macro).
std::optional<std::string> sourceText(const clang::Expr *E,
                                      const clang::ASTContext &Ctx);

/// The text of a source range as written, when it lies in one file.
std::optional<std::string> sourceText(clang::SourceRange R,
                                      const clang::ASTContext &Ctx);

/// A field of `RD` whose type is tether::task_supervisor, if there is one.
const clang::FieldDecl *taskSupervisorMember(const clang::CXXRecordDecl *RD);

/// True when `F` is the last field of its class: destroyed first, so what it
/// joins stops while every other member still lives.
bool declaredLast(const clang::FieldDecl *F);

/// True when no class in this translation unit derives from `RD`, and it is
/// final or has no virtual functions that a derived class elsewhere could
/// run on the thread.
bool hasNoDerivedClasses(const clang::CXXRecordDecl *RD,
                         clang::ASTContext &Ctx);

} // namespace tether

#endif
