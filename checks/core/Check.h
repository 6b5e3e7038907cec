//===--- Check.h - Base class of every tether check -----------------------===//
//
// A check is a class with registerMatchers() and check(), as in clang-tidy:
// the constructor reads its options, registerMatchers() builds AST matchers
// (from the rule packs where the check needs API knowledge), check() handles
// one match, onEndOfTranslationUnit() runs whole-TU analyses over what the
// matches collected. One instance exists per translation unit, so a check may
// keep per-TU state in members and never needs locks or globals.
//
//===----------------------------------------------------------------------===//
#ifndef TETHER_CHECKS_CORE_CHECK_H
#define TETHER_CHECKS_CORE_CHECK_H

#include "CheckContext.h"

#include "clang/ASTMatchers/ASTMatchFinder.h"

namespace tether {

class Check : public clang::ast_matchers::MatchFinder::MatchCallback {
public:
  Check(llvm::StringRef Name, CheckContext &Context)
      : Name(Name.str()), Context(Context) {}
  ~Check() override = default;

  /// Adds this check's matchers to `Finder`, with `this` as the callback.
  virtual void
  registerMatchers(clang::ast_matchers::MatchFinder *Finder) = 0;

  /// Handles one match.
  virtual void
  check(const clang::ast_matchers::MatchFinder::MatchResult &Result) = 0;

  /// Called once after all matches of the translation unit.
  void onEndOfTranslationUnit() override {}

  llvm::StringRef name() const { return Name; }

protected:
  /// Reports a finding of this check at `Loc`. Notes and fix-its are added
  /// through the returned builder.
  DiagBuilder diag(clang::SourceLocation Loc, llvm::StringRef Message) {
    return Context.report(Name, Loc, Message);
  }
  const RuleSet &rules() const { return Context.rules(); }
  CheckContext &context() { return Context; }

private:
  void run(const clang::ast_matchers::MatchFinder::MatchResult &Result) final {
    check(Result);
  }
  llvm::StringRef getID() const final { return Name; }

  std::string Name;
  CheckContext &Context;
};

} // namespace tether

#endif
