//===--- CoreTest.cpp - The Clang-free core: rules, globs, the model ------===//

#include "Baseline.h"
#include "Config.h"
#include "Suppressions.h"
#include "core/Diagnostic.h"
#include "core/Glob.h"
#include "core/Rules.h"
#include "output/Writers.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <sstream>

using namespace tether;

TEST(Glob, ClangTidySemantics) {
  CheckGlobs G;
  std::string Err;
  ASSERT_TRUE(G.parse("-*,spawn-*,-spawn-unjoined-pthread", Err)) << Err;
  EXPECT_TRUE(G.enabled("spawn-detached-thread"));
  EXPECT_FALSE(G.enabled("spawn-unjoined-pthread"));
  EXPECT_FALSE(G.enabled("global-shared-mutable"));
  ASSERT_TRUE(G.parse("*", Err));
  EXPECT_TRUE(G.enabled("anything"));
  ASSERT_TRUE(G.parse("", Err));
  EXPECT_FALSE(G.enabled("spawn-detached-thread"));
  EXPECT_FALSE(G.parse("spawn-$", Err));
  EXPECT_FALSE(G.parse("-", Err));
  EXPECT_TRUE(globMatch("a*c*e", "abcde"));
  EXPECT_FALSE(globMatch("a*c*f", "abcde"));
}

TEST(Rules, BuiltinPacksLoad) {
  RuleSet R;
  std::string Err;
  ASSERT_TRUE(loadBuiltinRules(R, Err)) << Err;
  ASSERT_NE(R.threadType("std::thread"), nullptr);
  EXPECT_EQ(R.threadType("std::thread")->OnDestroy,
            OnDestroyJoinable::Terminate);
  EXPECT_EQ(R.threadType("::std::jthread")->OnDestroy, OnDestroyJoinable::Join);
  EXPECT_EQ(R.threadType("boost::thread")->OnDestroy,
            OnDestroyJoinable::Detach);
  ASSERT_NE(R.threadFunction("pthread_create"), nullptr);
  EXPECT_EQ(R.threadFunction("pthread_create")->HandleArg, 0u);
  EXPECT_NE(R.futureType("std::future"), nullptr);
  for (const auto &T : R.ThreadTypes)
    EXPECT_FALSE(T.Why.empty()) << T.Type;
}

static std::string loadError(const std::string &Text) {
  RuleSet R;
  std::string Err;
  EXPECT_FALSE(loadRulePack(Text, "x.json", R, Err));
  EXPECT_TRUE(R.Packs.empty()) << "a failed load leaves the set unchanged";
  return Err;
}

TEST(Rules, ErrorsNamePositionAndProblem) {
  EXPECT_EQ(loadError("{\n  \"tether-rules\": 1,\n  \"bogus\": []\n}"),
            "x.json:3:12: /bogus: unknown key 'bogus' (see docs/rules.md for "
            "the schema)");
  EXPECT_EQ(loadError("{\"tether-rules\": 2}"),
            "x.json:1:18: /tether-rules: unsupported schema version; this "
            "tether reads version 1");
  EXPECT_EQ(loadError("[]"), "x.json:1:1: /: a rule pack must be a JSON object");
  EXPECT_EQ(loadError("{\"tether-rules\": 1, \"thread_types\": [{\"why\": "
                      "\"w\"}]}"),
            "x.json:1:38: /thread_types/0: missing required key \"type\"");
  EXPECT_EQ(loadError("{\"tether-rules\": 1, \"thread_types\": [{\"type\": "
                      "\"T\", \"why\": \"w\", \"on_destroy_joinable\": "
                      "\"explode\"}]}"),
            "x.json:1:87: /thread_types/0/on_destroy_joinable: expected "
            "\"terminate\", \"detach\" or \"join\"");
  std::string Syntax = loadError("{\n\"tether-rules\": 1,,\n}");
  EXPECT_EQ(Syntax.rfind("x.json:2:19: invalid JSON", 0), 0u) << Syntax;
  // A number no double holds is an error, not an escaping exception.
  std::string Huge = loadError("{\"tether-rules\": 1e999999}");
  EXPECT_EQ(Huge.rfind("x.json: invalid JSON", 0), 0u) << Huge;
}

TEST(Rules, C11AndPosixPacksDescribeCSynchronization) {
  RuleSet R;
  std::string Err;
  ASSERT_TRUE(loadBuiltinRules(R, Err)) << Err;
  bool Locks = false, Waits = true;
  const MutexTypeRule *M = R.mutexFunction("mtx_lock", Locks);
  ASSERT_NE(M, nullptr);
  EXPECT_TRUE(Locks);
  EXPECT_EQ(M->Type, "mtx_t");
  ASSERT_NE(R.mutexFunction("pthread_mutex_unlock", Locks), nullptr);
  EXPECT_FALSE(Locks);
  const ConditionVariableRule *C =
      R.conditionVariableFunction("pthread_cond_signal", Waits);
  ASSERT_NE(C, nullptr);
  EXPECT_FALSE(Waits);
  EXPECT_EQ(C->NotifyOne, std::vector<std::string>{"pthread_cond_signal"});
  ASSERT_NE(R.conditionVariableFunction("cnd_timedwait", Waits), nullptr);
  EXPECT_TRUE(Waits);
  EXPECT_NE(R.threadFunction("thrd_create"), nullptr);
  EXPECT_NE(R.threadSpecific("tss_t"), nullptr);
  EXPECT_EQ(loadError("{\"tether-rules\": 1, \"condition_variables\": "
                      "[{\"type\": \"T\", \"notify\": [\"wake\"], \"notify_one\": "
                      "[\"ring\"], \"why\": \"w\"}]}"),
            "x.json:1:93: /condition_variables/0/notify_one: 'ring' is not "
            "one of \"notify\" or \"notify_functions\"");
}

TEST(Rules, UserPackMerges) {
  RuleSet R;
  std::string Err;
  ASSERT_TRUE(loadBuiltinRules(R, Err));
  size_t Before = R.ThreadTypes.size();
  ASSERT_TRUE(loadRulePack(R"({"tether-rules": 1, "pack": "mine",
    "thread_types": [{"type": "my::Thread", "join": ["Join"],
                      "why": "ours"}],
    "executors": [{"class": "my::Pool", "methods": ["Submit"], "why": "ours"}]})",
                           "mine.json", R, Err))
      << Err;
  EXPECT_EQ(R.ThreadTypes.size(), Before + 1);
  EXPECT_EQ(R.threadType("my::Thread")->Pack, "mine");
  EXPECT_EQ(R.Executors.back().Methods[0], "Submit");
}

static Diagnostic diagAt(unsigned Line, std::string Check = "spawn-x") {
  Diagnostic D;
  D.Check = std::move(Check);
  D.Pos = {"/src/a.cpp", "a.cpp", Line, 3};
  D.Message = "m";
  D.SourceLine = "  t.detach();";
  D.Context = "ns::f";
  return D;
}

TEST(Model, SortsDeduplicatesAndFingerprints) {
  std::vector<Diagnostic> V = {diagAt(9), diagAt(4), diagAt(9),
                               diagAt(4, "spawn-a")};
  normalizeDiagnostics(V);
  ASSERT_EQ(V.size(), 3u) << "the same finding from two TUs is kept once";
  EXPECT_EQ(V[0].Check, "spawn-a");
  EXPECT_EQ(V[1].Pos.Line, 4u);
  EXPECT_EQ(V[2].Pos.Line, 9u);
  // Same check, context and line text on different lines: distinct, but
  // each stable against line shifts (occurrence index, not line number).
  EXPECT_NE(V[1].Fingerprint, V[2].Fingerprint);
  std::vector<Diagnostic> Shifted = {diagAt(14), diagAt(19),
                                     diagAt(14, "spawn-a")};
  normalizeDiagnostics(Shifted);
  EXPECT_EQ(Shifted[1].Fingerprint, V[1].Fingerprint);
  EXPECT_EQ(Shifted[2].Fingerprint, V[2].Fingerprint);
}

TEST(Writers, TextIsClangStyle) {
  RunResult R;
  Diagnostic D = diagAt(7);
  D.Notes.push_back({{"/src/a.cpp", "a.cpp", 5, 15}, "started here",
                     "  std::thread t(f);"});
  R.Diagnostics.push_back(D);
  std::ostringstream OS;
  writeText(R, OS, false);
  EXPECT_EQ(OS.str(), "a.cpp:7:3: warning: m [spawn-x]\n"
                      "    7 |   t.detach();\n"
                      "      |   ^\n"
                      "a.cpp:5:15: note: started here\n"
                      "    5 |   std::thread t(f);\n"
                      "      |               ^\n");
}

TEST(Writers, SarifRelativeUris) {
  EXPECT_EQ(pathToUri("/a/b c.cpp"), "file:///a/b%20c.cpp");
  EXPECT_EQ(pathToUri("src/x#1.cpp"), "src/x%231.cpp");
  RunResult R;
  R.Diagnostics.push_back(diagAt(2));
  OutputInfo Info;
  Info.WorkingDir = "/src";
  std::ostringstream OS;
  writeSarif(R, Info, OS);
  auto J = nlohmann::json::parse(OS.str());
  auto &Loc = J["runs"][0]["results"][0]["locations"][0]["physicalLocation"];
  EXPECT_EQ(Loc["artifactLocation"]["uri"], "a.cpp");
  EXPECT_EQ(Loc["artifactLocation"]["uriBaseId"], "SRCROOT");
  EXPECT_EQ(J["runs"][0]["originalUriBaseIds"]["SRCROOT"]["uri"],
            "file:///src/");
}

TEST(Suppressions, ClangTidyDirectives) {
  FileSuppressions S("a(); // NOLINT\n"                          // 1
                     "b(); // NOLINT(spawn-*, -spawn-unjoined-*)\n" // 2
                     "// NOLINTNEXTLINE(global-*)\n"               // 3
                     "c();\n"                                       // 4
                     "/* NOLINTBEGIN(send-*) */\n"                 // 5
                     "d();\n"                                       // 6
                     "// NOLINTEND(send-*)\n"                      // 7
                     "e(); // NOLINTFOO()\n");                     // 8
  EXPECT_TRUE(S.suppresses(1, "anything"));
  EXPECT_TRUE(S.suppresses(2, "spawn-detached-thread"));
  EXPECT_FALSE(S.suppresses(2, "spawn-unjoined-thread"));
  EXPECT_FALSE(S.suppresses(2, "global-shared-mutable"));
  EXPECT_FALSE(S.suppresses(3, "global-shared-mutable"));
  EXPECT_TRUE(S.suppresses(4, "global-shared-mutable"));
  EXPECT_FALSE(S.suppresses(4, "spawn-detached-thread"));
  EXPECT_TRUE(S.suppresses(6, "send-dangling-capture"));
  EXPECT_FALSE(S.suppresses(6, "spawn-detached-thread"));
  EXPECT_FALSE(S.suppresses(8, "spawn-detached-thread"));
  EXPECT_TRUE(S.unmatched().empty());
}

TEST(Suppressions, UnmatchedBeginAndEnd) {
  FileSuppressions S("// NOLINTBEGIN(spawn-*)\n"
                     "x();\n"
                     "// NOLINTEND(send-*)\n"
                     "  // NOLINTEND\n");
  ASSERT_EQ(S.unmatched().size(), 3u);
  EXPECT_TRUE(S.unmatched()[0].IsBegin);
  EXPECT_EQ(S.unmatched()[0].Line, 1u);
  EXPECT_EQ(S.unmatched()[2].Line, 4u);
  EXPECT_EQ(S.unmatched()[2].Column, 6u);
  EXPECT_FALSE(S.suppresses(2, "spawn-detached-thread"));
}

TEST(Config, ExcludeGlobs) {
  EffectiveConfig C;
  C.Exclude = {{"/p", "third_party"}, {"/p", "gen/**/*.pb.cc"},
               {"/p/sub", "*_test.cpp"}, {"/p", "/abs/x.cpp"}};
  EXPECT_TRUE(C.excludes("/p/third_party/a/b.cpp"));
  EXPECT_FALSE(C.excludes("/p/src/third_party.cpp"));
  EXPECT_TRUE(C.excludes("/p/gen/a.pb.cc"));
  EXPECT_TRUE(C.excludes("/p/gen/x/y/a.pb.cc"));
  EXPECT_TRUE(C.excludes("/p/sub/a_test.cpp"));
  EXPECT_FALSE(C.excludes("/p/sub/deeper/a_test.cpp"));
  EXPECT_FALSE(C.excludes("/p/a_test.cpp"));
  EXPECT_TRUE(C.excludes("/abs/x.cpp"));
}

TEST(Baseline, NewUnchangedAbsent) {
  RunResult R;
  R.Diagnostics = {diagAt(2), diagAt(3, "spawn-a")};
  normalizeDiagnostics(R.Diagnostics);
  std::vector<BaselineEntry> B = {{R.Diagnostics[0].Fingerprint, "spawn-x",
                                   "a.cpp", 2, "m"},
                                  {"0123", "spawn-gone", "b.cpp", 5, "old"}};
  applyBaseline(R, B, "/src");
  ASSERT_EQ(R.Diagnostics.size(), 1u);
  EXPECT_EQ(R.Diagnostics[0].Check, "spawn-a");
  EXPECT_EQ(R.Diagnostics[0].Baseline, BaselineState::New);
  ASSERT_EQ(R.Hidden.size(), 2u);
  EXPECT_EQ(R.Hidden[0].Baseline, BaselineState::Unchanged);
  EXPECT_EQ(R.Hidden[1].Baseline, BaselineState::Absent);
  EXPECT_EQ(R.Hidden[1].Pos.File, "/src/b.cpp");
  OutputInfo Info;
  Info.WorkingDir = "/src";
  std::ostringstream OS;
  writeSarif(R, Info, OS);
  auto J = nlohmann::json::parse(OS.str());
  auto &Res = J["runs"][0]["results"];
  ASSERT_EQ(Res.size(), 3u);
  EXPECT_EQ(Res[0]["baselineState"], "new");
  EXPECT_EQ(Res[1]["baselineState"], "unchanged");
  EXPECT_EQ(Res[2]["baselineState"], "absent");
  EXPECT_FALSE(Res[2]["locations"][0]["physicalLocation"]["region"].contains(
      "startColumn"));
}

TEST(Writers, CodeClimate) {
  RunResult R;
  R.Diagnostics.push_back(diagAt(7));
  R.Diagnostics[0].Fingerprint = "f00";
  R.Diagnostics[0].Pos.File = "/src/a.cpp";
  OutputInfo Info;
  Info.WorkingDir = "/src";
  std::ostringstream OS;
  writeCodeClimate(R, Info, OS);
  auto J = nlohmann::json::parse(OS.str());
  ASSERT_TRUE(J.is_array());
  EXPECT_EQ(J[0]["check_name"], "spawn-x");
  EXPECT_EQ(J[0]["description"], "m");
  EXPECT_EQ(J[0]["fingerprint"], "f00");
  EXPECT_EQ(J[0]["severity"], "major");
  EXPECT_EQ(J[0]["location"]["path"], "a.cpp");
  EXPECT_EQ(J[0]["location"]["lines"]["begin"], 7);
}
