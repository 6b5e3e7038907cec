//===--- FixtureTest.cpp - Runs every fixtures/<check>/*.{cpp,c} ----------===//
//
// Each fixture runs with only its folder's check enabled (unless it says
// otherwise) and must produce exactly the diagnostics and notes it expects:
// a missing one fails, and so does any unexpected one.
//
//===----------------------------------------------------------------------===//

#include "Expectations.h"

#include "Driver.h"
#include "core/Glob.h"

#include <gtest/gtest.h>

#include <cctype>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace fs = std::filesystem;
using namespace tether;
using namespace tether::testing;

namespace {

struct Fixture {
  std::string Check; // folder name
  std::string Path;
};

std::vector<Fixture> listFixtures() {
  std::vector<Fixture> Out;
  fs::path Root(TETHER_FIXTURES_DIR);
  for (const auto &Dir : fs::directory_iterator(Root)) {
    if (!Dir.is_directory() || Dir.path().filename() == "include")
      continue;
    for (const auto &F : fs::directory_iterator(Dir.path()))
      if (F.path().extension() == ".cpp" || F.path().extension() == ".c")
        Out.push_back({Dir.path().filename().string(), F.path().string()});
  }
  std::sort(Out.begin(), Out.end(),
            [](const Fixture &A, const Fixture &B) { return A.Path < B.Path; });
  return Out;
}

/// The length of `Message` with every quoted name ('...') counted as its
/// two quotes.
size_t unquotedLength(const std::string &Message) {
  size_t N = 0;
  bool InQuote = false;
  for (size_t I = 0; I < Message.size(); ++I) {
    char C = Message[I];
    // An apostrophe inside a word ("thread's") is not a quote.
    bool Word = I > 0 && I + 1 < Message.size() &&
                std::isalpha(static_cast<unsigned char>(Message[I - 1])) &&
                std::isalpha(static_cast<unsigned char>(Message[I + 1]));
    if (C == '\'' && !Word) {
      InQuote = !InQuote;
      ++N;
    } else if (!InQuote) {
      ++N;
    }
  }
  return N;
}

std::string readFile(const std::string &P) {
  std::ifstream In(P);
  std::stringstream SS;
  SS << In.rdbuf();
  return SS.str();
}

class FixtureTest : public ::testing::TestWithParam<Fixture> {};

TEST_P(FixtureTest, MatchesExpectations) {
  const Fixture &F = GetParam();
  FixtureSpec Spec = parseFixture(readFile(F.Path));
  for (const std::string &E : Spec.Errors)
    ADD_FAILURE() << F.Path << ": " << E;
  if (!Spec.Errors.empty())
    return;

  static CheckRegistry Registry = [] {
    CheckRegistry R;
    registerAllChecks(R);
    return R;
  }();
  ASSERT_TRUE(Registry.find(F.Check) != nullptr)
      << "fixtures/" << F.Check << " does not name a registered check";

  DriverOptions O;
  std::string Err;
  if (!Spec.NoDefaultRules)
    ASSERT_TRUE(loadBuiltinRules(O.Rules, Err)) << Err;
  for (const std::string &Pack : Spec.RulePacks) {
    std::string PackPath = (fs::path(F.Path).parent_path() / Pack).string();
    ASSERT_TRUE(loadRulePackFile(PackPath, O.Rules, Err)) << Err;
  }
  O.Options.StrictGlobals = Spec.StrictGlobals;
  for (const auto &[Key, Value] : Spec.Options)
    O.Options.Values[Key] = Value;
  CheckGlobs Globs;
  ASSERT_TRUE(Globs.parse(Spec.Checks.empty() ? F.Check : Spec.Checks, Err))
      << Err;
  for (const CheckDescriptor &C : Registry.checks())
    if (Globs.enabled(C.Name))
      O.Checks.push_back(&C);
  O.Files = {F.Path};
  std::vector<std::string> Flags = Spec.Args;
  Flags.push_back(std::string("-I") + TETHER_FIXTURES_DIR + "/include");
  O.FixedFlags = Flags;
  O.Jobs = 1;
  O.HeaderFilter = Spec.HeaderFilter;

  auto Result = runAnalysis(O);
  ASSERT_TRUE(std::holds_alternative<RunResult>(Result))
      << std::get<DriverSetupError>(Result).Message;
  const RunResult &R = std::get<RunResult>(Result);
  for (const ToolError &E : R.Errors)
    ADD_FAILURE() << "could not analyze: " << E.Message << "\n" << E.Details;

  std::string Abs = fs::weakly_canonical(fs::absolute(F.Path)).string();
  std::vector<bool> Used(Spec.Expectations.size(), false);
  auto Claim = [&](bool IsNote, const SourcePos &P, const std::string &Check,
                   const std::string &Message) {
    if (P.File != Abs)
      return false;
    for (size_t K = 0; K < Spec.Expectations.size(); ++K) {
      const Expected &E = Spec.Expectations[K];
      if (Used[K] || E.IsNote != IsNote || E.Line != P.Line ||
          E.Column != P.Column || (!IsNote && E.Check != Check) ||
          Message.find(E.Text) == std::string::npos)
        continue;
      Used[K] = true;
      return true;
    }
    return false;
  };
  for (const Diagnostic &D : R.Diagnostics) {
    if (!Claim(false, D.Pos, D.Check, D.Message))
      ADD_FAILURE() << "unexpected warning at " << D.Pos.DisplayFile << ":"
                    << D.Pos.Line << ":" << D.Pos.Column << " [" << D.Check
                    << "]: " << D.Message;
    // Every finding carries exactly one cure note ("fix: ..."), at its own
    // location; a fixture may pin its text with an expected-note, and need
    // not list it otherwise.
    unsigned Cures = 0;
    for (const Note &N : D.Notes)
      if (N.Message.rfind("fix: ", 0) == 0) {
        ++Cures;
        EXPECT_TRUE(N.Pos.File == D.Pos.File && N.Pos.Line == D.Pos.Line &&
                    N.Pos.Column == D.Pos.Column)
            << "the fix note of " << D.Check << " at " << D.Pos.Line << ":"
            << D.Pos.Column << " is elsewhere: " << N.Message;
      }
    EXPECT_EQ(Cures, 1u) << "[" << D.Check << "] at " << D.Pos.Line << ":"
                         << D.Pos.Column << " needs one 'fix: ' note";
    // The message is one line for a squiggle, a log line or an alert title.
    // Names in quotes are the user's own and count as two characters.
    EXPECT_LE(unquotedLength(D.Message), 100u)
        << "[" << D.Check << "] message too long: " << D.Message;
    for (const Note &N : D.Notes)
      if (N.Message.rfind("fix: ", 0) == 0)
        Claim(true, N.Pos, "", N.Message); // optional expectation
      else if (!Claim(true, N.Pos, "", N.Message))
        ADD_FAILURE() << "unexpected note at " << N.Pos.DisplayFile << ":"
                      << N.Pos.Line << ":" << N.Pos.Column << ": "
                      << N.Message;
  }
  for (size_t K = 0; K < Spec.Expectations.size(); ++K)
    if (!Used[K]) {
      const Expected &E = Spec.Expectations[K];
      ADD_FAILURE() << "missing " << (E.IsNote ? "note" : "warning") << " at "
                    << F.Path << ":" << E.Line << ":" << E.Column << " "
                    << (E.IsNote ? "" : "[" + E.Check + "] ") << "{{"
                    << E.Text << "}} (expected on line " << E.SourceLine
                    << ")";
    }
}

std::string testName(const ::testing::TestParamInfo<Fixture> &Info) {
  std::string N = Info.param.Check + "__" +
                  fs::path(Info.param.Path).stem().string();
  for (char &C : N)
    if (!std::isalnum(static_cast<unsigned char>(C)))
      C = '_';
  return N;
}

INSTANTIATE_TEST_SUITE_P(Fixtures, FixtureTest,
                         ::testing::ValuesIn(listFixtures()), testName);

/// Every registered check has a fixture folder and a docs page.
TEST(CheckInventory, EveryCheckHasFixturesAndDocs) {
  CheckRegistry Registry;
  registerAllChecks(Registry);
  for (const CheckDescriptor &C : Registry.checks()) {
    fs::path Dir = fs::path(TETHER_FIXTURES_DIR) / C.Name;
    bool HasPositive = false, HasNegative = false;
    if (fs::exists(Dir))
      for (const auto &F : fs::directory_iterator(Dir)) {
        if (F.path().extension() != ".cpp" && F.path().extension() != ".c")
          continue;
        FixtureSpec S = parseFixture(readFile(F.path().string()));
        HasNegative |= S.NoDiagnostics;
        HasPositive |= !S.Expectations.empty();
      }
    EXPECT_TRUE(HasPositive) << C.Name << ": no positive fixture in " << Dir;
    EXPECT_TRUE(HasNegative) << C.Name << ": no negative fixture in " << Dir;
    fs::path Doc = fs::path(TETHER_DOCS_DIR) / "checks" / (C.Name + ".md");
    ASSERT_TRUE(fs::exists(Doc)) << C.Name << ": missing " << Doc;
    // The docs page opens with the same sentence as the registry summary.
    std::string Text = readFile(Doc.string());
    EXPECT_NE(Text.find(C.Summary), std::string::npos)
        << Doc << " should contain the summary: " << C.Summary;
  }
}

} // namespace
