//===--- Expectations.cpp - Inline expectations in fixture files ----------===//

#include "Expectations.h"

#include <cstring>
#include <regex>
#include <sstream>

namespace tether::testing {

static std::vector<std::string> splitArgs(const std::string &S) {
  std::istringstream In(S);
  std::vector<std::string> Out;
  for (std::string W; In >> W;)
    Out.push_back(W);
  return Out;
}

static std::string trim(std::string S) {
  while (!S.empty() && std::isspace(static_cast<unsigned char>(S.back())))
    S.pop_back();
  size_t B = 0;
  while (B < S.size() && std::isspace(static_cast<unsigned char>(S[B])))
    ++B;
  return S.substr(B);
}

FixtureSpec parseFixture(const std::string &Text) {
  FixtureSpec Spec;
  static const std::regex Expect(
      R"(expected-(warning|note)(@([+-]?)(\d+))?:(\d+)\s*(\[([A-Za-z0-9_.-]+)\])?\s*\{\{(.*?)\}\})");
  static const std::regex Loose(R"(expected-(warning|note|error))");
  std::istringstream In(Text);
  std::string Line;
  unsigned LineNo = 0;
  bool SawArgs = false;
  while (std::getline(In, Line)) {
    ++LineNo;
    auto Directive = [&](const char *Key) -> const char * {
      auto Pos = Line.find(Key);
      return Pos == std::string::npos ? nullptr
                                      : Line.c_str() + Pos + strlen(Key);
    };
    if (const char *A = Directive("tether-args:")) {
      Spec.Args = splitArgs(A);
      SawArgs = true;
      continue;
    }
    if (const char *C = Directive("tether-checks:")) {
      Spec.Checks = trim(C);
      continue;
    }
    if (const char *H = Directive("tether-header-filter:")) {
      Spec.HeaderFilter = trim(H);
      continue;
    }
    if (const char *R = Directive("tether-rules:")) {
      for (std::string &P : splitArgs(R))
        Spec.RulePacks.push_back(std::move(P));
      continue;
    }
    if (Directive("tether-no-default-rules")) {
      Spec.NoDefaultRules = true;
      continue;
    }
    if (const char *O = Directive("tether-options:")) {
      for (const std::string &W : splitArgs(O)) {
        if (W == "strict-globals") {
          Spec.StrictGlobals = true;
          continue;
        }
        auto Eq = W.find('=');
        if (Eq == std::string::npos || Eq == 0)
          Spec.Errors.push_back("line " + std::to_string(LineNo) +
                                ": tether-options wants strict-globals or "
                                "Check.Key=Value, not '" + W + "'");
        else
          Spec.Options.emplace_back(W.substr(0, Eq), W.substr(Eq + 1));
      }
      continue;
    }
    if (Line.find("expected-no-diagnostics") != std::string::npos) {
      Spec.NoDiagnostics = true;
      continue;
    }
    unsigned Found = 0;
    for (auto It = std::sregex_iterator(Line.begin(), Line.end(), Expect);
         It != std::sregex_iterator(); ++It, ++Found) {
      const std::smatch &M = *It;
      Expected E;
      E.IsNote = M[1] == "note";
      E.SourceLine = LineNo;
      E.Line = LineNo;
      if (M[2].matched) {
        unsigned N = std::stoul(M[4]);
        if (M[3] == "+")
          E.Line = LineNo + N;
        else if (M[3] == "-")
          E.Line = LineNo - N;
        else
          E.Line = N;
      }
      E.Column = std::stoul(M[5]);
      E.Check = M[7];
      E.Text = M[8];
      if (!E.IsNote && E.Check.empty())
        Spec.Errors.push_back("line " + std::to_string(LineNo) +
                              ": expected-warning needs a [check-name]");
      Spec.Expectations.push_back(E);
    }
    unsigned LooseCount = 0;
    for (auto It = std::sregex_iterator(Line.begin(), Line.end(), Loose);
         It != std::sregex_iterator(); ++It)
      ++LooseCount;
    if (LooseCount != Found)
      Spec.Errors.push_back("line " + std::to_string(LineNo) +
                            ": malformed expectation (want "
                            "expected-warning[@+N]:COL [check] {{text}})");
  }
  if (!SawArgs)
    Spec.Args = {"-std=c++20"};
  if (Spec.NoDiagnostics && !Spec.Expectations.empty())
    Spec.Errors.push_back("expected-no-diagnostics together with expectations");
  if (!Spec.NoDiagnostics && Spec.Expectations.empty())
    Spec.Errors.push_back("no expectations: add expected-no-diagnostics for a "
                          "clean fixture");
  return Spec;
}

} // namespace tether::testing
