//===--- FixApplyTest.cpp - Planning, formatting, writing fix-its ---------===//
//
// FixApply (tool/FixApply.h) on findings built by hand: which fix-its are
// chosen, identical ones applied once, conflicts refuse every finding
// involved, offsets checked against the file, clang-format on the changed
// lines only, atomic writes, the clang-apply-replacements YAML.
//
//===----------------------------------------------------------------------===//

#include "FixApply.h"

#include "clang/Tooling/DiagnosticsYaml.h"
#include "llvm/Support/YAMLTraits.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <sys/stat.h>
#include <unistd.h>

using namespace tether;
namespace fs = std::filesystem;

namespace {

const std::string File = "/src/a.cpp";

FixIt fix(unsigned Offset, unsigned Length, const std::string &Text,
          const std::string &F = File) {
  return {F, Offset, Length, Text};
}

Diagnostic finding(const std::string &Check, std::vector<FixIt> Fixes,
                   unsigned Line = 1) {
  Diagnostic D;
  D.Check = Check;
  D.Pos = {File, "a.cpp", Line, 1};
  D.Message = "message of " + Check;
  D.Fixes = std::move(Fixes);
  return D;
}

/// Files in memory.
struct Memory {
  std::map<std::string, std::string> Files;
  ContentReader reader() {
    return
        [this](const std::string &F, std::string &Content, std::string &Error) {
          auto It = Files.find(F);
          if (It == Files.end()) {
            Error = "cannot read '" + F + "': no such file";
            return false;
          }
          Content = It->second;
          return true;
        };
  }
};

std::string applied(const FixPlan &P, const std::string &F = File) {
  for (const FileEdits &E : P.Files)
    if (E.File == F)
      return applyEdits(E.Original, E.Edits);
  return "<not planned>";
}

TEST(FixApply, ChosenFixesPreferTheFindingsOwnThenTheFirstNoteWithSome) {
  Diagnostic D = finding("c", {});
  D.Notes.push_back({{File, "a.cpp", 1, 1}, "no fix", "", {}});
  D.Notes.push_back({{File, "a.cpp", 1, 1}, "fix: one", "", {fix(0, 1, "x")}});
  D.Notes.push_back({{File, "a.cpp", 1, 1}, "fix: two", "", {fix(1, 1, "y")}});
  EXPECT_EQ(chosenFixes(D, false), nullptr);
  ASSERT_NE(chosenFixes(D, true), nullptr);
  EXPECT_EQ(chosenFixes(D, true), &D.Notes[1].Fixes);
  D.Fixes = {fix(2, 1, "z")};
  EXPECT_EQ(chosenFixes(D, true), &D.Fixes);
  EXPECT_EQ(chosenFixes(D, false), &D.Fixes);
}

TEST(FixApply, IdenticalReplacementsOfTwoFindingsAreAppliedOnce) {
  Memory M;
  M.Files[File] = "int a;\nint b;\n";
  std::vector<Diagnostic> Ds = {
      finding("inc-a", {fix(0, 0, "#include <x>\n"), fix(4, 1, "A")}),
      finding("inc-b", {fix(0, 0, "#include <x>\n"), fix(11, 1, "B")}, 2)};
  FixPlan P = planFixes(Ds, false, M.reader());
  EXPECT_TRUE(P.Conflicts.empty());
  EXPECT_TRUE(P.Errors.empty());
  EXPECT_EQ(P.Applied, (std::vector<size_t>{0, 1}));
  EXPECT_EQ(applied(P), "#include <x>\nint A;\nint B;\n");
  ASSERT_EQ(P.Files.size(), 1u);
  EXPECT_EQ(P.Files[0].FixCount, 3u);
  // The same finding twice (a header reached from two translation units).
  FixPlan Twice = planFixes({Ds[0], Ds[0]}, false, M.reader());
  EXPECT_TRUE(Twice.Conflicts.empty());
  EXPECT_EQ(applied(Twice), "#include <x>\nint A;\nint b;\n");
}

TEST(FixApply, OverlappingFixItsRefuseEveryFixItOfBothFindings) {
  Memory M;
  M.Files[File] = "0123456789\nabcdefghij\n";
  std::vector<Diagnostic> Ds = {
      finding("check-a", {fix(2, 4, "AA"), fix(11, 1, "X")}),
      finding("check-b", {fix(5, 3, "BB")}),
      finding("check-c", {fix(20, 1, "C")}, 2)};
  FixPlan P = planFixes(Ds, false, M.reader());
  ASSERT_EQ(P.Conflicts.size(), 1u);
  EXPECT_EQ(P.Conflicts[0].First, 0u);
  EXPECT_EQ(P.Conflicts[0].Second, 1u);
  EXPECT_EQ(P.Conflicts[0].Message,
            "conflicting fix-its in a.cpp: [check-a] at 1:3 and [check-b] at "
            "1:6; neither applied");
  EXPECT_EQ(P.Applied, (std::vector<size_t>{2}));
  EXPECT_EQ(P.NotApplied, (std::vector<size_t>{0, 1}));
  // check-a's second fix-it (the 'a' at 11) is not applied either.
  EXPECT_EQ(applied(P), "0123456789\nabcdefghiC\n");
  EXPECT_EQ(fixSummary(P, 1), "applied 1 fix-it for 1 finding in 1 file; 2 "
                              "findings not fixed (conflicts: 2)");
}

TEST(FixApply, DifferentInsertionsAtOneOffsetConflict) {
  Memory M;
  M.Files[File] = "int x;\n";
  std::vector<Diagnostic> Ds = {finding("a", {fix(0, 0, "#include <a>\n")}),
                                finding("b", {fix(0, 0, "#include <b>\n")})};
  FixPlan P = planFixes(Ds, false, M.reader());
  EXPECT_EQ(P.Conflicts.size(), 1u);
  EXPECT_TRUE(P.Files.empty());
  EXPECT_TRUE(P.Applied.empty());
}

TEST(FixApply, InsertionsOfOneFindingAtOneOffsetKeepTheirOrder) {
  Memory M;
  M.Files[File] = "f();\n";
  std::vector<Diagnostic> Ds = {
      finding("a", {fix(0, 0, "first "), fix(0, 0, "second "), fix(0, 1, "g"),
                    fix(0, 0, "third ")})};
  FixPlan P = planFixes(Ds, false, M.reader());
  EXPECT_TRUE(P.Errors.empty());
  EXPECT_EQ(applied(P), "first second third g();\n");
  ASSERT_EQ(P.Files.size(), 1u);
  EXPECT_EQ(P.Files[0].Edits.size(), 1u); // merged into one replacement
}

TEST(FixApply, InsertionAtTheEdgeOfAnotherFindingsRangeIsNoConflict) {
  Memory M;
  M.Files[File] = "abcdef\n";
  std::vector<Diagnostic> Ds = {finding("a", {fix(2, 2, "XY")}),
                                finding("b", {fix(2, 0, "<")}),
                                finding("c", {fix(4, 0, ">")})};
  FixPlan P = planFixes(Ds, false, M.reader());
  EXPECT_TRUE(P.Conflicts.empty());
  EXPECT_EQ(applied(P), "ab<XY>ef\n");
  // Strictly inside is a conflict.
  FixPlan In =
      planFixes({Ds[0], finding("d", {fix(3, 0, "!")})}, false, M.reader());
  EXPECT_EQ(In.Conflicts.size(), 1u);
}

TEST(FixApply, NoteFixItsOnlyWithFixNotes) {
  Memory M;
  M.Files[File] = "t.detach();\n";
  Diagnostic D = finding("spawn-x", {});
  D.Notes.push_back(
      {{File, "a.cpp", 1, 1}, "fix: join", "", {fix(2, 6, "join")}});
  FixPlan Without = planFixes({D}, false, M.reader());
  EXPECT_TRUE(Without.Files.empty());
  EXPECT_TRUE(Without.Applied.empty());
  EXPECT_TRUE(Without.NotApplied.empty());
  FixPlan With = planFixes({D}, true, M.reader());
  EXPECT_EQ(applied(With), "t.join();\n");
  EXPECT_EQ(With.Applied, (std::vector<size_t>{0}));
}

TEST(FixApply, OffsetsBeyondTheFileAreAnErrorNotACrash) {
  Memory M;
  M.Files[File] = "short\n";
  M.Files["/src/b.cpp"] = "other\n";
  std::vector<Diagnostic> Ds = {
      finding("a", {fix(4, 100, "x")}),
      finding("b", {fix(0, 0, "// ok\n", "/src/b.cpp")}),
      finding("c", {fix(0xFFFFFFF0u, 0x20, "y")})};
  FixPlan P = planFixes(Ds, false, M.reader());
  ASSERT_EQ(P.Errors.size(), 1u);
  EXPECT_NE(P.Errors[0].Message.find("changed since it was analyzed"),
            std::string::npos)
      << P.Errors[0].Message;
  EXPECT_EQ(P.Applied, (std::vector<size_t>{1}));
  EXPECT_EQ(P.NotApplied, (std::vector<size_t>{0, 2}));
  EXPECT_EQ(applied(P, "/src/b.cpp"), "// ok\nother\n");
  // An unreadable file is an error too.
  FixPlan Missing = planFixes({finding("a", {fix(0, 0, "x", "/nope.cpp")})},
                              false, M.reader());
  ASSERT_EQ(Missing.Errors.size(), 1u);
  EXPECT_NE(Missing.Errors[0].Message.find("/nope.cpp"), std::string::npos);
}

TEST(FixApply, AFindingWhoseOwnFixItsOverlapIsNotApplied) {
  Memory M;
  M.Files[File] = "abcdef\n";
  FixPlan P = planFixes({finding("a", {fix(0, 3, "x"), fix(2, 2, "y")})}, false,
                        M.reader());
  EXPECT_EQ(P.Errors.size(), 1u);
  EXPECT_TRUE(P.Files.empty());
  EXPECT_EQ(P.NotApplied, (std::vector<size_t>{0}));
}

TEST(FixApply, AFindingOverSeveralFilesIsAllOrNone) {
  Memory M;
  M.Files[File] = "abc\n";
  M.Files["/src/b.h"] = "xyz\n";
  std::vector<Diagnostic> Ds = {
      finding("a", {fix(0, 1, "A"), fix(0, 1, "X", "/src/b.h")}),
      finding("b", {fix(1, 1, "Y", "/src/b.h")})};
  // [0,1) and [1,2) of b.h are adjacent: both apply.
  FixPlan P = planFixes(Ds, false, M.reader());
  EXPECT_EQ(P.Applied.size(), 2u);
  EXPECT_EQ(applied(P, "/src/b.h"), "XYz\n");
  // A conflict in b.h keeps a's edit of a.cpp out as well.
  Ds[1].Fixes = {fix(0, 2, "Q", "/src/b.h")};
  FixPlan C = planFixes(Ds, false, M.reader());
  EXPECT_EQ(C.Conflicts.size(), 1u);
  EXPECT_TRUE(C.Files.empty());
  // A file that fails late (not writable) drops its findings.
  Ds[1].Fixes = {fix(2, 1, "Z", "/src/b.h")};
  FixPlan L = planFixes(Ds, false, M.reader());
  ASSERT_EQ(L.Files.size(), 2u);
  failFile(L, Ds, false, File, "a.cpp: read-only");
  EXPECT_EQ(L.Applied, (std::vector<size_t>{1}));
  EXPECT_EQ(L.NotApplied, (std::vector<size_t>{0}));
  EXPECT_EQ(L.Files.size(), 1u);
  EXPECT_EQ(fixSummary(L, 1), "applied 2 fix-its for 1 finding in 1 file; 1 "
                              "finding not fixed (errors: 1)");
  // Refused before any write: a's edit of b.h goes too.
  FixPlan R = planFixes(Ds, false, M.reader(), {{File, "a.cpp: no style"}});
  EXPECT_EQ(R.Applied, (std::vector<size_t>{1}));
  EXPECT_EQ(applied(R, "/src/b.h"), "xyZ\n");
  ASSERT_EQ(R.Errors.size(), 1u);
  EXPECT_EQ(R.Errors[0].Message, "a.cpp: no style");
}

struct TempDir {
  fs::path Path;
  TempDir() {
    Path = fs::temp_directory_path() /
           ("tether-fixapply-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(Path);
    fs::create_directories(Path);
  }
  ~TempDir() {
    fs::permissions(Path, fs::perms::owner_all, fs::perm_options::add);
    fs::remove_all(Path);
  }
  std::string write(const std::string &Name, const std::string &Text) {
    std::ofstream(Path / Name, std::ios::binary) << Text;
    return (Path / Name).string();
  }
  std::string read(const std::string &Name) {
    std::ifstream In(Path / Name, std::ios::binary);
    std::stringstream SS;
    SS << In.rdbuf();
    return SS.str();
  }
};

TEST(FixApply, FormattingTouchesOnlyTheChangedLines) {
  TempDir T;
  // Badly formatted on purpose: only line 2 is edited.
  std::string Code = "int   a  =  1;\nint b=2;\nint   c  =  3;\n";
  std::string Path = T.write("f.cpp", Code);
  FileEdits E;
  E.File = Path;
  E.DisplayFile = "f.cpp";
  E.Original = Code;
  E.Edits = {fix(21, 1, "g(1,2)", Path)};
  std::string Out, Err;
  ASSERT_TRUE(formatEdits(E, "none", Out, Err)) << Err;
  EXPECT_EQ(Out, "int   a  =  1;\nint b=g(1,2);\nint   c  =  3;\n");
  ASSERT_TRUE(formatEdits(E, "LLVM", Out, Err)) << Err;
  EXPECT_EQ(Out, "int   a  =  1;\nint b = g(1, 2);\nint   c  =  3;\n");
  // "file": the nearest .clang-format, here a space before parentheses.
  T.write(".clang-format", "BasedOnStyle: LLVM\nSpaceBeforeParens: Always\n");
  ASSERT_TRUE(formatEdits(E, "file", Out, Err)) << Err;
  EXPECT_EQ(Out, "int   a  =  1;\nint b = g (1, 2);\nint   c  =  3;\n");
  EXPECT_FALSE(formatEdits(E, "NoSuchStyle", Out, Err));
  EXPECT_NE(Err.find("f.cpp"), std::string::npos) << Err;
  EXPECT_TRUE(checkFormatStyle("none", Err));
  EXPECT_TRUE(checkFormatStyle("Google", Err));
  EXPECT_FALSE(checkFormatStyle("NoSuchStyle", Err));
}

TEST(FixApply, WritesAtomicallyKeepingPermissions) {
  TempDir T;
  std::string Path = T.write("w.cpp", "old\n");
  ::chmod(Path.c_str(), 0640);
  std::string Err;
  ASSERT_TRUE(writeFileAtomically(Path, "new\n", Err)) << Err;
  EXPECT_EQ(T.read("w.cpp"), "new\n");
  struct stat St;
  ASSERT_EQ(::stat(Path.c_str(), &St), 0);
  EXPECT_EQ(St.st_mode & 0777, 0640u);
  // Through a symbolic link: the target is rewritten, the link stays.
  fs::create_symlink(Path, T.Path / "link.cpp");
  ASSERT_TRUE(writeFileAtomically((T.Path / "link.cpp").string(), "via\n", Err))
      << Err;
  EXPECT_TRUE(fs::is_symlink(T.Path / "link.cpp"));
  EXPECT_EQ(T.read("w.cpp"), "via\n");
  // A read-only file is refused, even where the rename would work (root).
  std::string RO = T.write("ro.cpp", "keep\n");
  ::chmod(RO.c_str(), 0444);
  EXPECT_FALSE(writeFileAtomically(RO, "lost\n", Err));
  EXPECT_NE(Err.find("ro.cpp"), std::string::npos) << Err;
  EXPECT_NE(Err.find("read-only"), std::string::npos) << Err;
  EXPECT_EQ(T.read("ro.cpp"), "keep\n");
  EXPECT_FALSE(
      writeFileAtomically((T.Path / "missing.cpp").string(), "x", Err));
  // No temporary file is left behind.
  for (const auto &E : fs::directory_iterator(T.Path))
    EXPECT_EQ(E.path().filename().string().find(".tether-fix-"),
              std::string::npos)
        << E.path();
}

TEST(FixApply, ExportedYamlReadsBackAsClangTidyWritesIt) {
  Memory M;
  M.Files[File] = "int a;\nint b;\n";
  Diagnostic A =
      finding("inc-a", {fix(0, 0, "#include <x>\n"), fix(4, 1, "A")});
  Diagnostic B = finding("inc-b", {fix(0, 0, "#include <x>\n")}, 2);
  B.Pos.Column = 5;
  B.Level = Severity::Error;
  B.Notes.push_back(
      {{File, "a.cpp", 2, 1}, "fix: note", "", {fix(7, 3, "long")}});
  Diagnostic C = finding("clash-1", {fix(11, 1, "x")}, 2);
  Diagnostic D = finding("clash-2", {fix(11, 1, "y")}, 2);
  std::vector<Diagnostic> Ds = {A, B, C, D};
  FixPlan P = planFixes(Ds, false, M.reader());
  std::ostringstream OS;
  writeExportedFixes(Ds, P, false, File, OS);
  std::string Yaml = OS.str();
  clang::tooling::TranslationUnitDiagnostics TUD;
  llvm::yaml::Input In(Yaml);
  In >> TUD;
  ASSERT_FALSE(In.error()) << Yaml;
  EXPECT_EQ(TUD.MainSourceFile, File);
  ASSERT_EQ(TUD.Diagnostics.size(), 4u) << Yaml;
  const auto &TA = TUD.Diagnostics[0];
  EXPECT_EQ(TA.DiagnosticName, "inc-a");
  EXPECT_EQ(TA.Message.Message, "message of inc-a");
  EXPECT_EQ(TA.Message.FilePath, File);
  EXPECT_EQ(TA.Message.FileOffset, 0u);
  ASSERT_EQ(TA.Message.Fix.count(File), 1u);
  EXPECT_EQ(TA.Message.Fix.lookup(File).size(), 2u);
  const auto &TB = TUD.Diagnostics[1];
  EXPECT_EQ(TB.Message.FileOffset, 11u); // line 2, column 5
  EXPECT_EQ(TB.DiagLevel, clang::tooling::Diagnostic::Error);
  // The shared #include once, under inc-a; the note's fix-it not without
  // --fix-notes.
  EXPECT_TRUE(TB.Message.Fix.empty()) << Yaml;
  ASSERT_EQ(TB.Notes.size(), 1u);
  EXPECT_EQ(TB.Notes[0].Message, "fix: note");
  EXPECT_EQ(TB.Notes[0].FileOffset, 7u);
  EXPECT_TRUE(TB.Notes[0].Fix.empty());
  // The conflicting findings are exported without replacements.
  EXPECT_TRUE(TUD.Diagnostics[2].Message.Fix.empty());
  EXPECT_TRUE(TUD.Diagnostics[3].Message.Fix.empty());
  EXPECT_NE(Yaml.find("ReplacementText: \"#include <x>\\n\""),
            std::string::npos)
      << Yaml;
  // With --fix-notes, a finding without fix-its of its own exports its
  // note's.
  Diagnostic N = finding("noted", {});
  N.Notes.push_back({{File, "a.cpp", 1, 1}, "fix: join", "", {fix(4, 1, "Z")}});
  FixPlan PN = planFixes({N}, true, M.reader());
  std::ostringstream ON;
  writeExportedFixes({N}, PN, true, File, ON);
  clang::tooling::TranslationUnitDiagnostics TN;
  std::string YamlN = ON.str(); // yaml::Input keeps a reference
  llvm::yaml::Input InN(YamlN);
  InN >> TN;
  ASSERT_EQ(TN.Diagnostics.size(), 1u);
  EXPECT_EQ(TN.Diagnostics[0].Notes[0].Fix.lookup(File).size(), 1u) << ON.str();
}

} // namespace
