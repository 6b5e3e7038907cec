//===--- SwallowedErrorCheck.h - supervision-swallowed-error --------------===//
#ifndef TETHER_CHECKS_SUPERVISION_SWALLOWEDERRORCHECK_H
#define TETHER_CHECKS_SUPERVISION_SWALLOWEDERRORCHECK_H

#include "core/Check.h"

#include "llvm/ADT/SetVector.h"

namespace tether {

/// Finds catch handlers in code that runs on a worker thread that discard
/// the error: no rethrow, no report, no stored exception, no status set.
///
/// What counts as handling is deliberately generous, because a false
/// positive costs more than a miss: a handler that calls any function
/// (logging, `std::current_exception()`, `set_exception`, `e.what()`),
/// throws, returns a value, or assigns to anything that is not a local
/// variable of the handler's function (a member, a global, a reference or
/// pointer parameter) handles the error. What is left is a handler that is
/// empty, or only `continue`s, `break`s, returns from a `void` function or
/// touches its own locals - and holds no comment (a comment in the handler
/// records a decision someone made). Whether the code runs on a worker thread comes
/// from the thread-context analysis (ThreadContext.h). A handler inside a
/// template is judged in every instantiation: Clang shares a non-dependent
/// handler between the pattern and its instantiations, so it counts as
/// running on a thread when any instantiation does.
class SwallowedErrorCheck : public Check {
public:
  using Check::Check;
  void registerMatchers(clang::ast_matchers::MatchFinder *Finder) override;
  void check(const clang::ast_matchers::MatchFinder::MatchResult &R) override;
  void onEndOfTranslationUnit() override;

private:
  clang::ASTContext *Ctx = nullptr;
  /// Each handler once (a handler shared by a template and its
  /// instantiations is matched once per traversal).
  llvm::SetVector<const clang::CXXCatchStmt *> Handlers;
};

} // namespace tether

#endif
