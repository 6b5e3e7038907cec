//===--- ExprUtils.h - Shared AST helpers for tether checks ---------------===//
//
// Small, check-independent questions about expressions and types: is this
// value discarded, which declaration does this handle expression refer to,
// does a use of a variable let it escape, which rule describes this type.
//
//===----------------------------------------------------------------------===//
#ifndef TETHER_CHECKS_ANALYSIS_EXPRUTILS_H
#define TETHER_CHECKS_ANALYSIS_EXPRUTILS_H

#include "core/Rules.h"

#include "clang/AST/Expr.h"
#include "clang/AST/Type.h"

#include <vector>

namespace clang {
class ASTContext;
class CXXCtorInitializer;
class CXXRecordDecl;
class DynTypedNode;
class DeclRefExpr;
class FunctionDecl;
class NamedDecl;
class ValueDecl;
class VarDecl;
} // namespace clang

namespace tether {

/// The qualified name without inline namespaces or template arguments:
/// "std::thread", "std::future" for std::future<int>.
std::string qualifiedName(const clang::NamedDecl *D);

/// A function's qualified name as rule packs spell it: a method of a class
/// template specialization without the template arguments
/// ("std::vector::at"), a free function without them ("std::stoi").
std::string functionQualifiedName(const clang::FunctionDecl *FD);

/// The class a (possibly aliased, cv-qualified) type names, or null.
const clang::CXXRecordDecl *recordOf(clang::QualType T);

/// Rules describing the type `T` (through aliases and typedefs), or null.
const ThreadTypeRule *threadRule(clang::QualType T, const RuleSet &Rules);
const FutureTypeRule *futureRule(clang::QualType T, const RuleSet &Rules);

/// Rules describing the synchronization type `T` (through aliases, typedefs,
/// references and one level of pointer), or null.
const ConditionVariableRule *conditionVariableRule(clang::QualType T,
                                                   const RuleSet &Rules);
const MutexTypeRule *mutexRule(clang::QualType T, const RuleSet &Rules);
const LockTypeRule *lockRule(clang::QualType T, const RuleSet &Rules);
const SynchronizedTypeRule *synchronizedRule(clang::QualType T,
                                             const RuleSet &Rules);
const ThreadSpecificRule *threadSpecificRule(clang::QualType T,
                                             const RuleSet &Rules);

/// If `C` calls a C mutex function of the rules (pthread_mutex_lock,
/// mtx_unlock), its rule; `Locks` says whether it locks and `Mutex` is the
/// argument pointing to the mutex.
const MutexTypeRule *mutexFunctionCall(const clang::CallExpr *C,
                                       const RuleSet &Rules, bool &Locks,
                                       const clang::Expr *&Mutex);
/// Likewise for a C condition variable function (pthread_cond_wait,
/// cnd_signal): `Waits` says whether it waits, `Condition` is the argument
/// pointing to the condition variable.
const ConditionVariableRule *
conditionFunctionCall(const clang::CallExpr *C, const RuleSet &Rules,
                      bool &Waits, const clang::Expr *&Condition);

/// True if `E`'s value is explicitly cast to void (`(void)f()`,
/// `static_cast<void>(f())`): the programmer looked at it and dropped it.
bool isCastToVoid(const clang::Expr *E, clang::ASTContext &Ctx);

/// For a container named in the rules (std::vector<T>, std::optional<T>...),
/// its element type; otherwise a null type.
clang::QualType containerElement(clang::QualType T, const RuleSet &Rules);

/// Skips parentheses, implicit casts, temporaries' bindings, cleanups and
/// functional casts that only convert by constructor.
const clang::Expr *ignoreWrappers(const clang::Expr *E);

/// A method that waits for an executor's or a future's work, by the
/// convention of thread pools: wait*, join, join_all, drain.
bool isWaitMethodName(llvm::StringRef Name);

/// True if the value of `E` is thrown away: `E` is (behind wrappers) an
/// expression statement, a cast to void, the left side of a comma, or the
/// increment of a for loop.
bool isDiscarded(const clang::Expr *E, clang::ASTContext &Ctx);

/// std::move(x), std::forward<T>(x) or static_cast<T&&>(x): the argument.
const clang::Expr *movedArgument(const clang::Expr *E);

/// The variable or field a handle expression is rooted in: `t`, `this->t_`,
/// `p->x`, `*p`, `v[i]`, `v.at(i)`, `v.back()`, `it->`, `ptr.get()`; null if
/// the expression is something else (a call result, a temporary).
const clang::ValueDecl *rootDecl(const clang::Expr *E);

/// Follows a variable that only refers into another: a range-for loop
/// variable to its range, an iterator or reference initialized from a
/// container expression to that container. Returns `D` itself otherwise.
const clang::ValueDecl *resolveAlias(const clang::ValueDecl *D,
                                     clang::ASTContext &Ctx);

/// How one reference to a handle variable uses it.
enum class UseKind {
  Read,        ///< a const use: copies a value out, calls a const method
  MethodCall,  ///< the object of a member call (see the call for the name)
  Moved,       ///< std::move(x) given away
  Escaped,     ///< passed by non-const reference or pointer, address taken,
               ///< returned, captured by reference, bound to a reference
  Assigned,    ///< left side of an assignment
};

/// Classifies a reference to a variable or field by looking at its parents.
/// `Call` receives the member call for UseKind::MethodCall.
/// With `CopiesEscape` (for pointers and other copyable handles), a copy of
/// the value into another variable, argument or member counts as Escaped.
UseKind classifyUse(const clang::Expr *Ref, clang::ASTContext &Ctx,
                    const clang::CXXMemberCallExpr **Call = nullptr,
                    bool CopiesEscape = false);

/// Every reference (DeclRefExpr or MemberExpr) to `D` below `Scope`, or in
/// the whole translation unit when `Scope` is null.
std::vector<const clang::Expr *> referencesTo(const clang::ValueDecl *D,
                                              const clang::Stmt *Scope,
                                              clang::ASTContext &Ctx);

/// The member initializer `E` is the initializer expression of, when
/// `Parent` is a parent of `E`: either that CXXCtorInitializer or (as the
/// parent map of Clang 19 reports it) the constructor itself. Null if `E` is
/// not a constructor's member initializer.
const clang::CXXCtorInitializer *
ctorInitializerOf(const clang::Expr *E, const clang::DynTypedNode &Parent);

/// The method name of a member call, or of an operator call's callee.
std::string calleeName(const clang::CallExpr *C);

/// Where the value of `E` (a call returning a handle: a future, a thread)
/// is kept: the variable it initializes or is assigned to, the member it
/// initializes, or the container it is pushed into. Null if it goes
/// anywhere else (returned, passed on), which is not followed.
const clang::ValueDecl *valueHolder(const clang::Expr *E,
                                    clang::ASTContext &Ctx);

} // namespace tether

#endif
