//===--- Expectations.h - Inline expectations in fixture files ------------===//
//
// Fixture syntax (docs/testing.md), in the manner of clang's -verify:
//
//   t.detach(); // expected-warning:5 [spawn-detached-thread] {{unowned}}
//   // expected-warning@+1:3 [spawn-unjoined-thread] {{destroyed}}
//   // expected-note@-2:10 {{returning here}}
//   // expected-no-diagnostics
//   // tether-args: -std=c++17 -DFOO       (default: -std=c++20)
//   // tether-checks: spawn-*              (default: the folder's check)
//   // tether-header-filter: .*            (default: none)
//   // tether-rules: extra.json            (rule packs beside the fixture,
//   //                                      loaded after the built-in ones)
//   // tether-no-default-rules             (only the packs named above)
//   // tether-options: strict-globals Check.Key=Value
//
// `@+N`/`@-N` moves the expectation to another line, `@N` names a line. The
// column is required: expectations pin line and column. The text in {{ }} is
// a substring of the message.
//
//===----------------------------------------------------------------------===//
#ifndef TETHER_TESTS_TOOL_EXPECTATIONS_H
#define TETHER_TESTS_TOOL_EXPECTATIONS_H

#include <string>
#include <utility>
#include <vector>

namespace tether::testing {

struct Expected {
  bool IsNote = false;
  unsigned Line = 0;
  unsigned Column = 0;
  std::string Check;  // warnings only
  std::string Text;   // substring of the message
  unsigned SourceLine = 0; // where the comment is, for failure messages
};

struct FixtureSpec {
  std::vector<Expected> Expectations;
  bool NoDiagnostics = false;
  std::vector<std::string> Args;
  std::string Checks;
  std::string HeaderFilter;
  std::vector<std::string> RulePacks;  // relative to the fixture's folder
  bool NoDefaultRules = false;
  bool StrictGlobals = false;
  std::vector<std::pair<std::string, std::string>> Options; // Key=Value
  std::vector<std::string> Errors; // malformed expectation comments
};

FixtureSpec parseFixture(const std::string &Text);

} // namespace tether::testing

#endif
