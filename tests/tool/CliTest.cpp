//===--- CliTest.cpp - The tether command line, as scripts use it ---------===//
//
// Runs the built binary: every option, every exit code, the three output
// formats (SARIF checked field by field), -j determinism, a parse error in
// one file of several, broken databases and rule files, header findings.
//
//===----------------------------------------------------------------------===//

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <sys/wait.h>

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

const std::string Tether = TETHER_BINARY;
const std::string Data = TETHER_TEST_DATA;

struct Outcome {
  int Exit = -1;
  std::string Out, Err;
};

std::string slurp(const fs::path &P) {
  std::ifstream In(P);
  std::stringstream SS;
  SS << In.rdbuf();
  return SS.str();
}

std::string quote(const std::string &S) {
  std::string Q = "'";
  for (char C : S)
    Q += C == '\'' ? std::string("'\\''") : std::string(1, C);
  return Q + "'";
}

class Cli : public ::testing::Test {
protected:
  void SetUp() override {
    Tmp = fs::temp_directory_path() /
          ("tether-cli-" + std::to_string(::getpid()) + "-" +
           ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(Tmp);
    fs::create_directories(Tmp);
  }
  void TearDown() override { fs::remove_all(Tmp); }

  Outcome run(const std::vector<std::string> &Args, const std::string &Cwd = "") {
    std::string Cmd = (Cwd.empty() ? "" : "cd " + quote(Cwd) + " && ") +
                      quote(Tether);
    for (const auto &A : Args)
      Cmd += " " + quote(A);
    Cmd += " >" + quote((Tmp / "stdout").string()) + " 2>" +
           quote((Tmp / "stderr").string()) + " </dev/null";
    int Status = std::system(Cmd.c_str());
    Outcome R;
    R.Exit = WIFEXITED(Status) ? WEXITSTATUS(Status) : -1;
    R.Out = slurp(Tmp / "stdout");
    R.Err = slurp(Tmp / "stderr");
    return R;
  }
  std::string file(const std::string &Name) { return Data + "/" + Name; }

  fs::path Tmp;
};

TEST_F(Cli, VersionNamesToolAndLLVM) {
  Outcome R = run({"--version"});
  EXPECT_EQ(R.Exit, 0);
  EXPECT_NE(R.Out.find("tether version "), std::string::npos) << R.Out;
  EXPECT_NE(R.Out.find("LLVM 19."), std::string::npos) << R.Out;
}

TEST_F(Cli, HelpExitsZero) {
  Outcome R = run({"--help"});
  EXPECT_EQ(R.Exit, 0);
  EXPECT_NE(R.Out.find("--checks"), std::string::npos);
  EXPECT_NE(R.Out.find("Exit codes"), std::string::npos);
}

TEST_F(Cli, ListChecksHonoursGlobs) {
  Outcome All = run({"--list-checks"});
  EXPECT_EQ(All.Exit, 0);
  for (const char *C : {"spawn-detached-thread", "spawn-unjoined-thread",
                        "spawn-unjoined-pthread", "spawn-discarded-async"})
    EXPECT_NE(All.Out.find(C), std::string::npos) << C;
  Outcome One = run({"--list-checks", "--checks", "-*,spawn-detached-*"});
  EXPECT_EQ(One.Exit, 0);
  EXPECT_NE(One.Out.find("spawn-detached-thread"), std::string::npos);
  EXPECT_EQ(One.Out.find("spawn-unjoined-thread"), std::string::npos);
}

TEST_F(Cli, UsageErrorsExitTwo) {
  EXPECT_EQ(run({"--no-such-option"}).Exit, 2);
  EXPECT_EQ(run({}).Exit, 2); // no input
  Outcome NoChecks = run({"--checks", "-*", file("detached.cpp"), "--"});
  EXPECT_EQ(NoChecks.Exit, 2);
  EXPECT_NE(NoChecks.Err.find("no checks enabled"), std::string::npos);
  Outcome BadGlob = run({"--checks", "spawn-$", file("detached.cpp"), "--"});
  EXPECT_EQ(BadGlob.Exit, 2);
  EXPECT_EQ(run({"--format", "xml", file("detached.cpp"), "--"}).Exit, 2);
  Outcome BadRegex = run({"--header-filter", "(", file("detached.cpp"), "--"});
  EXPECT_EQ(BadRegex.Exit, 2);
  EXPECT_NE(BadRegex.Err.find("header-filter"), std::string::npos);
}

TEST_F(Cli, FindingsExitOneInClangFormat) {
  Outcome R = run({file("detached.cpp"), "--", "-std=c++20"});
  EXPECT_EQ(R.Exit, 1) << R.Err;
  // The path as given, line, column, severity, message, [check].
  std::regex Line("^" + file("detached.cpp") +
                  R"(:5:5: warning: .+ \[spawn-detached-thread\]$)");
  std::istringstream In(R.Out);
  std::string First;
  std::getline(In, First);
  EXPECT_TRUE(std::regex_match(First, Line)) << First;
  EXPECT_NE(R.Out.find("    5 |   t.detach();"), std::string::npos) << R.Out;
  EXPECT_NE(R.Out.find(":4:15: note: the thread is started here"),
            std::string::npos)
      << R.Out;
  EXPECT_EQ(R.Out.find("\033["), std::string::npos) << "no colour in a pipe";
  Outcome Color = run({"--color", "always", file("detached.cpp"), "--"});
  EXPECT_NE(Color.Out.find("\033["), std::string::npos);
}

TEST_F(Cli, CleanFileExitsZeroSilently) {
  Outcome R = run({"-q", file("clean.cpp"), "--", "-std=c++20"});
  EXPECT_EQ(R.Exit, 0) << R.Err;
  EXPECT_EQ(R.Out, "");
  EXPECT_EQ(R.Err, "");
}

TEST_F(Cli, MissingFileIsAnError) {
  Outcome R = run({file("does-not-exist.cpp"), "--"});
  EXPECT_EQ(R.Exit, 2);
  EXPECT_NE(R.Err.find("no such file"), std::string::npos) << R.Err;
}

TEST_F(Cli, JsonSchema) {
  Outcome R = run({"--format", "json", "--checks", "-*,spawn-*",
                   file("multi.cpp"), "--", "-std=c++20"});
  EXPECT_EQ(R.Exit, 1) << R.Err;
  json J = json::parse(R.Out);
  EXPECT_EQ(J["schema"], "tether-diagnostics");
  EXPECT_EQ(J["version"], 1);
  EXPECT_EQ(J["tool"]["name"], "tether");
  ASSERT_EQ(J["diagnostics"].size(), 3u);
  for (const auto &D : J["diagnostics"]) {
    for (const char *K : {"check", "severity", "file", "absolute_file", "line",
                          "column", "message", "context", "fingerprint",
                          "notes", "fixes"})
      EXPECT_TRUE(D.contains(K)) << K;
    EXPECT_EQ(D["fingerprint"].get<std::string>().size(), 16u);
  }
  EXPECT_EQ(J["diagnostics"][0]["check"], "spawn-detached-thread");
  EXPECT_EQ(J["diagnostics"][0]["context"], "a");
  EXPECT_EQ(J["diagnostics"][1]["check"], "spawn-unjoined-thread");
  // Note 0 is the "fix: " note at the finding; note 1 the return at line 8.
  EXPECT_EQ(J["diagnostics"][1]["notes"][0]["line"], 6);
  EXPECT_EQ(J["diagnostics"][1]["notes"][0]["message"].get<std::string>().rfind(
                "fix: ", 0),
            0u);
  EXPECT_EQ(J["diagnostics"][1]["notes"][1]["line"], 8);
  EXPECT_EQ(J["diagnostics"][2]["check"], "spawn-discarded-async");
  EXPECT_EQ(J["summary"]["findings"], 3);
  EXPECT_EQ(J["summary"]["files_analyzed"], 1);
  EXPECT_TRUE(J["errors"].empty());
}

TEST_F(Cli, SarifStructure) {
  Outcome R = run({"--format", "sarif", "--checks", "-*,spawn-*", "-o",
               (Tmp / "out.sarif").string(), "multi.cpp", "--", "-std=c++20"},
              Data);
  EXPECT_EQ(R.Exit, 1) << R.Err;
  EXPECT_EQ(R.Out, "");
  json S = json::parse(slurp(Tmp / "out.sarif"));
  EXPECT_EQ(S["version"], "2.1.0");
  EXPECT_EQ(S["$schema"], "https://json.schemastore.org/sarif-2.1.0.json");
  ASSERT_EQ(S["runs"].size(), 1u);
  const json &Run0 = S["runs"][0];
  const json &Driver = Run0["tool"]["driver"];
  EXPECT_EQ(Driver["name"], "tether");
  EXPECT_TRUE(Driver["version"].is_string());
  ASSERT_TRUE(Driver["rules"].is_array());
  // Every enabled check is listed, the same set as --list-checks.
  Outcome Listed = run({"--list-checks", "--checks", "-*,spawn-*"});
  size_t Enabled = 0;
  for (size_t P = Listed.Out.find("\n    "); P != std::string::npos;
       P = Listed.Out.find("\n    ", P + 1))
    ++Enabled;
  EXPECT_EQ(Enabled, 4u);
  EXPECT_EQ(Driver["rules"].size(), Enabled);
  for (const auto &Rule : Driver["rules"]) {
    EXPECT_TRUE(Rule["id"].is_string());
    EXPECT_FALSE(Rule["shortDescription"]["text"].get<std::string>().empty());
    std::string Help = Rule["helpUri"];
    EXPECT_NE(Help.find(Rule["id"].get<std::string>() + ".md"),
              std::string::npos);
    EXPECT_EQ(Rule["defaultConfiguration"]["level"], "warning");
  }
  EXPECT_TRUE(Run0["originalUriBaseIds"]["SRCROOT"]["uri"].is_string());
  EXPECT_EQ(Run0["invocations"][0]["executionSuccessful"], true);
  ASSERT_EQ(Run0["results"].size(), 3u);
  for (const auto &Res : Run0["results"]) {
    std::string Id = Res["ruleId"];
    int Index = Res["ruleIndex"];
    EXPECT_EQ(Driver["rules"][Index]["id"], Id);
    EXPECT_EQ(Res["level"], "warning");
    EXPECT_FALSE(Res["message"]["text"].get<std::string>().empty());
    const json &Phys = Res["locations"][0]["physicalLocation"];
    EXPECT_EQ(Phys["artifactLocation"]["uri"], "multi.cpp");
    EXPECT_EQ(Phys["artifactLocation"]["uriBaseId"], "SRCROOT");
    EXPECT_GE(Phys["region"]["startLine"].get<int>(), 1);
    EXPECT_GE(Phys["region"]["startColumn"].get<int>(), 1);
    EXPECT_TRUE(Res["partialFingerprints"]["tether/v1"].is_string());
  }
  const json &Unjoined = Run0["results"][1];
  EXPECT_EQ(Unjoined["ruleId"], "spawn-unjoined-thread");
  ASSERT_TRUE(Unjoined["relatedLocations"].is_array());
  EXPECT_EQ(Unjoined["relatedLocations"][1]["id"], 2);
  EXPECT_EQ(
      Unjoined["relatedLocations"][1]["physicalLocation"]["region"]["startLine"],
      8);
  EXPECT_FALSE(Unjoined["relatedLocations"][1]["message"]["text"]
                   .get<std::string>()
                   .empty());
}

TEST_F(Cli, UnwritableOutputFailsFastAndLeavesNothing) {
  Outcome R = run({"-o", "/nonexistent-dir/out.sarif", "--format", "sarif",
               file("detached.cpp"), "--"});
  EXPECT_EQ(R.Exit, 2);
  EXPECT_NE(R.Err.find("cannot write output file"), std::string::npos)
      << R.Err;
  // An existing report is replaced only by a complete one.
  fs::path Out = Tmp / "report.txt";
  std::ofstream(Out) << "previous";
  Outcome Bad = run({"-o", Out.string(), file("broken.cpp"), "--",
                 "--no-such-flag-xyz"});
  (void)Bad;
  for (const auto &E : fs::directory_iterator(Tmp))
    EXPECT_EQ(E.path().string().find(".tmp-"), std::string::npos)
        << "left a temporary file: " << E.path();
}

TEST_F(Cli, JobsDoNotChangeOutput) {
  std::vector<std::string> Files = {file("multi.cpp"), file("detached.cpp"),
                                    file("clean.cpp"), file("proj/a.cpp"),
                                    file("proj/b.cpp")};
  auto Args = [&](const char *J) {
    std::vector<std::string> A = {"-j", J, "--format", "json"};
    A.insert(A.end(), Files.begin(), Files.end());
    A.push_back("--");
    A.push_back("-std=c++20");
    return A;
  };
  Outcome One = run(Args("1"));
  Outcome Four = run(Args("4"));
  EXPECT_EQ(One.Exit, 1);
  EXPECT_EQ(One.Out, Four.Out);
  // And reversed input order gives the same sorted output.
  std::reverse(Files.begin(), Files.end());
  EXPECT_EQ(run(Args("3")).Out, One.Out);
}

TEST_F(Cli, ParseErrorInOneFileOfSeveral) {
  Outcome R = run({"-j", "2", file("broken.cpp"), file("detached.cpp"), "--",
               "-std=c++20"});
  EXPECT_EQ(R.Exit, 2); // an unanalyzed file wins over findings
  EXPECT_NE(R.Out.find("[spawn-detached-thread]"), std::string::npos)
      << "the other file is still analyzed";
  EXPECT_NE(R.Err.find("broken.cpp: error: could not analyze this file"),
            std::string::npos)
      << R.Err;
  EXPECT_NE(R.Err.find("expected expression"), std::string::npos)
      << "the compiler's own error: " << R.Err;
  EXPECT_NE(R.Err.find("1 could not be analyzed"), std::string::npos);
  // Structured formats carry it too.
  Outcome J = run({"--format", "sarif", file("broken.cpp"), "--"});
  json S = json::parse(J.Out);
  EXPECT_EQ(S["runs"][0]["invocations"][0]["executionSuccessful"], false);
  EXPECT_EQ(S["runs"][0]["invocations"][0]["toolExecutionNotifications"][0]
               ["level"],
            "error");
}

void writeDb(const fs::path &Dir, const std::string &Text) {
  fs::create_directories(Dir);
  std::ofstream(Dir / "compile_commands.json") << Text;
}

TEST_F(Cli, CompilationDatabase) {
  std::string Proj = Data + "/proj";
  writeDb(Tmp / "build", R"([
    {"directory": ")" + Proj + R"(", "file": "a.cpp",
     "command": "/usr/bin/c++ -std=c++20 -O2 -c a.cpp -o a.o"},
    {"directory": ")" + Proj + R"(", "file": "b.cpp",
     "arguments": ["c++", "-std=c++20", "-c", "b.cpp"]}
  ])");
  // Every translation unit of the database.
  Outcome All = run({"-p", (Tmp / "build").string(), "--format", "json",
                     "--checks", "-*,spawn-*"});
  EXPECT_EQ(All.Exit, 1) << All.Err;
  json J = json::parse(All.Out);
  EXPECT_EQ(J["summary"]["files_analyzed"], 2);
  ASSERT_EQ(J["diagnostics"].size(), 1u);
  EXPECT_EQ(J["diagnostics"][0]["line"], 3);
  // One file of it.
  Outcome One = run({"-p", (Tmp / "build").string(), Proj + "/b.cpp"});
  EXPECT_EQ(One.Exit, 0) << One.Err;
}

TEST_F(Cli, BrokenCompilationDatabase) {
  writeDb(Tmp / "build", "[ {\"directory\": \"/tmp\", \"file\": ");
  Outcome R = run({"-p", (Tmp / "build").string()});
  EXPECT_EQ(R.Exit, 2);
  EXPECT_NE(R.Err.find("cannot read the compilation database"),
            std::string::npos)
      << R.Err;
  Outcome Missing = run({"-p", (Tmp / "nowhere").string()});
  EXPECT_EQ(Missing.Exit, 2);
  EXPECT_NE(Missing.Err.find("no compile_commands.json"), std::string::npos);
}

TEST_F(Cli, UserRulePackExtendsTheChecks) {
  Outcome Without = run({file("custom.cpp"), "--"});
  EXPECT_EQ(Without.Exit, 0) << Without.Out;
  Outcome With = run({"--rules", file("custom-rules.json"), file("custom.cpp"),
                  "--"});
  EXPECT_EQ(With.Exit, 1) << With.Err;
  EXPECT_NE(With.Out.find("custom.cpp:13:5: warning: 'Detach' leaves this "
                          "mylib::Thread unowned"),
            std::string::npos)
      << With.Out;
}

TEST_F(Cli, NoDefaultRulesTurnsOffBuiltins) {
  Outcome R = run({"--no-default-rules", file("detached.cpp"), "--"});
  EXPECT_EQ(R.Exit, 0) << R.Out;
}

TEST_F(Cli, MalformedRuleFilesNamePosition) {
  Outcome Syntax = run({"--rules", file("bad-syntax.json"), file("clean.cpp"),
                    "--"});
  EXPECT_EQ(Syntax.Exit, 2);
  EXPECT_NE(Syntax.Err.find("bad-syntax.json:4:23: invalid JSON"),
            std::string::npos)
      << Syntax.Err;
  Outcome Schema = run({"--rules", file("bad-schema.json"), file("clean.cpp"),
                    "--"});
  EXPECT_EQ(Schema.Exit, 2);
  EXPECT_NE(Schema.Err.find("bad-schema.json:6:15: /thread_types/0/join: "
                            "expected an array of strings"),
            std::string::npos)
      << Schema.Err;
  Outcome Missing = run({"--rules", file("nope.json"), file("clean.cpp"), "--"});
  EXPECT_EQ(Missing.Exit, 2);
  EXPECT_NE(Missing.Err.find("nope.json: cannot read rule file"),
            std::string::npos);
}

TEST_F(Cli, HeaderFindingsOncePerRunAndFiltered) {
  std::vector<std::string> Files = {file("hdr/one.cpp"), file("hdr/two.cpp")};
  auto Args = [&](std::vector<std::string> Extra) {
    Extra.push_back("--checks=-*,spawn-*"); // the header holds a detach
    Extra.insert(Extra.end(), Files.begin(), Files.end());
    Extra.push_back("--");
    Extra.push_back("-std=c++20");
    return Extra;
  };
  Outcome Hidden = run(Args({"--format", "json"}));
  EXPECT_EQ(Hidden.Exit, 0) << "headers are filtered out by default";
  Outcome Shown = run(Args({"--format", "json", "--header-filter", "worker\\.h"}));
  EXPECT_EQ(Shown.Exit, 1);
  json J = json::parse(Shown.Out);
  ASSERT_EQ(J["diagnostics"].size(), 1u) << "reported once, not per TU";
  EXPECT_NE(J["diagnostics"][0]["file"].get<std::string>().find("worker.h"),
            std::string::npos);
  Outcome Other = run(Args({"--header-filter", "nomatch"}));
  EXPECT_EQ(Other.Exit, 0);
}

TEST_F(Cli, StrictGlobalsFlagsUnsharedGlobals) {
  std::vector<std::string> Base = {"--format", "json", "--checks",
                                   "-*,global-*", file("unshared_global.cpp"),
                                   "--"};
  Outcome Default = run(Base);
  EXPECT_EQ(Default.Exit, 0) << Default.Out << Default.Err;
  std::vector<std::string> Strict = Base;
  Strict.insert(Strict.begin(), "--strict-globals");
  Outcome R = run(Strict);
  EXPECT_EQ(R.Exit, 1) << R.Err;
  json J = json::parse(R.Out);
  ASSERT_EQ(J["diagnostics"].size(), 1u) << R.Out;
  EXPECT_EQ(J["diagnostics"][0]["check"], "global-shared-mutable");
}

TEST_F(Cli, ExtraArgsReachTheCompiler) {
  // -DNDEBUG-style flags: the broken file parses once the bad line is gone.
  std::ofstream(Tmp / "cond.cpp") << "#include <thread>\nvoid w();\n"
                                     "#ifndef SKIP\nint x = ;\n#endif\n"
                                     "void f() { std::thread(w).detach(); }\n";
  Outcome R = run({"--extra-arg=-DSKIP", (Tmp / "cond.cpp").string(), "--"});
  EXPECT_EQ(R.Exit, 1) << R.Err;
}

} // namespace
