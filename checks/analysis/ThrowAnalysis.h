//===--- ThrowAnalysis.h - Which exceptions can leave a function ----------===//
//
// The exception half of the supervision-* family: can an exception leave a
// function, a call or a statement, and where does it come from? It follows
// calls to functions defined in the translation unit (outside system
// headers), respects `noexcept`, `try`/`catch` whose handler catches the
// thrown type (a handler that rethrows is walked like any code), the rule
// packs' `nothrow_functions`, and knows the library functions of
// `throwing_functions`. A call through a function pointer, a member
// function pointer, a `std::function` or another callable variable is
// followed into every target the translation unit shows it can hold (a
// local or global initialized with a lambda, a function, `&C::m`, a
// `std::bind`; resolveCallable in SpawnSites.h). A call to anything else (a
// function defined in another translation unit, a callable parameter or
// member whose targets are unknown, a virtual call that could reach any
// override) is assumed not to throw: a false positive costs more than a
// miss. A query can ask for less certainty (UnseenCalls): then a call
// through a callable or a virtual function whose targets are not visible is
// an origin that *may* throw (ThrowOrigin::Maybe), everywhere (a thread's
// worker loop) or only where a handler rethrows (`catch (...) { log();
// throw; }`: its author expects the try block to throw).
//
// What never throws: `noexcept` functions, `nothrow_functions`, functions
// with C language linkage (`extern "C"`, a C header) and callables declared
// in C code (a function pointer member of a C struct), everything in a C
// translation unit, and the call of a promise-like object whose rule pack
// entry says `operator()` satisfies it (std::packaged_task: the callable's
// exception goes into the future, not to the caller).
//
// Built once per translation unit and shared by the supervision checks
// through CheckContext::sharedAnalysis (see throwAnalysis()).
//
//===----------------------------------------------------------------------===//
#ifndef TETHER_CHECKS_ANALYSIS_THROWANALYSIS_H
#define TETHER_CHECKS_ANALYSIS_THROWANALYSIS_H

#include "core/CheckContext.h"
#include "core/Rules.h"

#include "clang/AST/Type.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/SmallVector.h"

#include <memory>
#include <optional>
#include <string>

namespace clang {
class ASTContext;
class CallExpr;
class CXXCatchStmt;
class CXXTryStmt;
class Expr;
class FunctionDecl;
class Stmt;
class VarDecl;
} // namespace clang

namespace tether {

/// How a query treats calls whose targets the analysis cannot see (a
/// callable parameter or member, a std::function from elsewhere, a virtual
/// call).
enum class UnseenCalls {
  /// They do not throw (the default: a false positive costs more).
  Ignore,
  /// They may throw only for deciding whether a handler that rethrows runs.
  UnderRethrow,
  /// They may throw wherever they are.
  MayThrow,
};

/// Where an exception that can leave some code comes from.
struct ThrowOrigin {
  /// The `throw` expression, or the call of a rule-pack throwing function.
  const clang::Stmt *Site = nullptr;
  /// "'std::runtime_error' is thrown here", "'std::stoi' can throw ...".
  std::string What;
  /// The thrown type when known (a `throw` of a known type); null otherwise,
  /// and then any handler is assumed to catch it.
  clang::QualType Type;
  /// The functions from the one asked about to the one holding `Site`,
  /// both ends included.
  llvm::SmallVector<const clang::FunctionDecl *, 4> Chain;
  /// Only possible: it comes from a call whose targets are not visible
  /// (What then starts with "may throw").
  bool Maybe = false;
};

class ThrowAnalysis {
public:
  ThrowAnalysis(clang::ASTContext &Ctx, const RuleSet &Rules)
      : Ctx(Ctx), Rules(Rules) {}

  /// An exception that can leave the body of `FD` (its declared `noexcept`
  /// is not considered: an exception leaving a noexcept body terminates
  /// too), or null. The first one in source order.
  /// A certain origin is preferred to one that only may throw.
  const ThrowOrigin *escapesBody(const clang::FunctionDecl *FD,
                                 UnseenCalls U = UnseenCalls::Ignore);

  /// An exception that the call or construction `E` can throw into its
  /// caller (noexcept callees, nothrow rules and unknown callees: none).
  std::optional<ThrowOrigin> thrownBy(const clang::Expr *E,
                                      UnseenCalls U = UnseenCalls::Ignore);

  /// An exception that can leave statement `S` (not the handlers around it)
  /// without being caught inside it; `Within` is the function holding `S`,
  /// the first element of the chain.
  std::optional<ThrowOrigin> escapesStmt(const clang::Stmt *S,
                                         const clang::FunctionDecl *Within,
                                         UnseenCalls U = UnseenCalls::Ignore);

  /// Does handler `H` catch an exception of type `T` (null: unknown type,
  /// caught by every handler)?
  static bool catches(const clang::CXXCatchStmt *H, clang::QualType T);
  /// Does any handler of `Try` catch `T`?
  static bool catches(const clang::CXXTryStmt *Try, clang::QualType T);

  /// Does an exception of type `T` (null: unknown, caught by any handler)
  /// raised at `At` leave the scope of the local `V`, destroying it? A
  /// handler of its type around `At` (in the same function or lambda body)
  /// keeps `V` alive unless `V` lives inside that try block. Shared by the
  /// path-sensitive checks that follow local handles (spawn-unjoined-thread,
  /// supervision-broken-promise).
  static bool leavesScope(const clang::Stmt *At, clang::QualType T,
                          const clang::VarDecl *V, clang::ASTContext &Ctx);

private:
  std::optional<ThrowOrigin>
  thrownThroughCallable(const clang::CallExpr *C, const clang::Expr *Obj);
  std::optional<ThrowOrigin> thrownByCall(const clang::Expr *E);
  const ThrowOrigin *escapesBodyIn(const clang::FunctionDecl *FD);
  std::optional<ThrowOrigin> unseen(const clang::Expr *Call, std::string What);
  void walk(const clang::Stmt *S,
            llvm::SmallVectorImpl<const clang::CXXTryStmt *> &Tries,
            const clang::FunctionDecl *Within,
            std::optional<ThrowOrigin> &Out);

  clang::ASTContext &Ctx;
  const RuleSet &Rules;
  /// The mode of the query under way.
  UnseenCalls Mode = UnseenCalls::Ignore;
  /// Per mode (indexed by UnseenCalls).
  llvm::DenseMap<const clang::FunctionDecl *, std::unique_ptr<ThrowOrigin>>
      Memo[3];
  llvm::DenseSet<const clang::FunctionDecl *> Done[3];
  llvm::DenseSet<const clang::FunctionDecl *> InProgress[3];
};

/// The throw analysis of the current translation unit, shared by every
/// supervision check.
inline ThrowAnalysis &throwAnalysis(CheckContext &C) {
  return C.sharedAnalysis<ThrowAnalysis>([&C] {
    return std::make_unique<ThrowAnalysis>(*C.astContext(), C.rules());
  });
}

} // namespace tether

#endif
