//===--- AnalysisTestSupport.h - Parsing snippets for analysis tests -----===//
#ifndef TETHER_TESTS_ANALYSIS_ANALYSISTESTSUPPORT_H
#define TETHER_TESTS_ANALYSIS_ANALYSISTESTSUPPORT_H

#include "core/Rules.h"

#include "clang/AST/ASTContext.h"
#include "clang/AST/Decl.h"
#include "clang/Frontend/ASTUnit.h"
#include "clang/Tooling/Tooling.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>

namespace tether::testing {

/// Parses `Code` as C++20 against the real standard headers.
inline std::unique_ptr<clang::ASTUnit> parse(const std::string &Code) {
  auto AST = clang::tooling::buildASTFromCodeWithArgs(
      Code,
      {"-std=c++20", "-pthread", "-resource-dir=" TETHER_CLANG_RESOURCE_DIR},
      "input.cc");
  EXPECT_TRUE(AST != nullptr);
  if (AST)
    EXPECT_FALSE(AST->getDiagnostics().hasErrorOccurred())
        << "the snippet does not compile";
  return AST;
}

inline RuleSet builtinRules() {
  RuleSet R;
  std::string Err;
  EXPECT_TRUE(loadBuiltinRules(R, Err)) << Err;
  return R;
}

/// "C::run", "worker", "operator()" as printed for test comparisons.
inline std::string nameOf(const clang::FunctionDecl *FD) {
  if (!FD)
    return "<null>";
  return FD->getQualifiedNameAsString();
}

} // namespace tether::testing

#endif
