//===--- LspTest.cpp - Unit tests of the language server's protocol layer -===//
//
// The framing of tool/lsp/Protocol.h on hostile input, and the conversions
// of tool/lsp/Convert.h: UTF-16 and UTF-8 positions, a finding with notes
// and fix-its as an LSP diagnostic and its code actions, the NOLINT edit.
// The server itself is driven by a real LSP client in lsp_test.py.
//
//===----------------------------------------------------------------------===//

#include "Suppressions.h"
#include "lsp/Convert.h"
#include "lsp/Protocol.h"

#include <gtest/gtest.h>

#include <unistd.h>

using namespace tether;
using namespace tether::lsp;
using nlohmann::json;

namespace {

/// Reads every message `Input` holds, as statuses and bodies.
std::vector<std::pair<MessageReader::Status, std::string>>
readAll(const std::string &Input) {
  int P[2];
  EXPECT_EQ(::pipe(P), 0);
  EXPECT_EQ(::write(P[1], Input.data(), Input.size()),
            static_cast<ssize_t>(Input.size()));
  ::close(P[1]);
  MessageReader R(P[0]);
  std::vector<std::pair<MessageReader::Status, std::string>> Out;
  for (;;) {
    std::string Body, Error;
    MessageReader::Status S = R.read(Body, Error);
    if (S == MessageReader::Status::End)
      break;
    Out.push_back({S, S == MessageReader::Status::Ok ? Body : Error});
  }
  ::close(P[0]);
  return Out;
}

std::string frame(const std::string &Body) {
  return "Content-Length: " + std::to_string(Body.size()) + "\r\n\r\n" + Body;
}

TEST(Protocol, ReadsFramedMessagesAndOtherHeaders) {
  auto M = readAll(frame("{\"a\":1}") +
                   "Content-Type: application/vscode-jsonrpc; charset=utf-8\r\n"
                   "content-length: 2\r\n\r\n{}");
  ASSERT_EQ(M.size(), 2u);
  EXPECT_EQ(M[0].second, "{\"a\":1}");
  EXPECT_EQ(M[1].first, MessageReader::Status::Ok);
  EXPECT_EQ(M[1].second, "{}");
}

TEST(Protocol, SkipsBadHeadersAndGoesOn) {
  auto M = readAll("Content-Length: banana\r\n\r\n" +
                   std::string("X-Nonsense\r\n\r\n") +
                   "Content-Type: text/plain\r\n\r\n" +
                   "Content-Length: 99999999999999\r\n\r\n" + frame("[1]"));
  ASSERT_EQ(M.size(), 5u);
  for (int I = 0; I < 4; ++I)
    EXPECT_EQ(M[I].first, MessageReader::Status::BadHeader) << M[I].second;
  EXPECT_EQ(M[4].first, MessageReader::Status::Ok);
  EXPECT_EQ(M[4].second, "[1]");
}

TEST(Protocol, TruncatedBodyIsTheEnd) {
  auto M = readAll("Content-Length: 10\r\n\r\n{\"a\"");
  EXPECT_TRUE(M.empty());
}

TEST(Convert, Utf16AndUtf8Characters) {
  // "é" is 2 bytes and 1 UTF-16 unit; "😀" 4 bytes and 2 units.
  std::string Line = "/*é😀*/ x";
  unsigned XByte = static_cast<unsigned>(Line.find('x'));
  EXPECT_EQ(characters(Line, XByte, Encoding::UTF8), XByte);
  EXPECT_EQ(characters(Line, XByte, Encoding::UTF16), XByte - 1 - 2);
  LineTable T("a\r\n" + Line + "\n");
  EXPECT_EQ(T.line(0), "a");
  EXPECT_EQ(T.lineBreak(), "\r\n");
  json P = T.positionOfOffset(3 + XByte, Encoding::UTF16);
  EXPECT_EQ(P, json({{"line", 1}, {"character", XByte - 3}}));
}

TEST(Convert, Uris) {
  EXPECT_EQ(fileUri("/a b/c++.cpp"), "file:///a%20b/c%2B%2B.cpp");
  EXPECT_EQ(uriPath("file:///a%20b/c%2B%2B.cpp"), "/a b/c++.cpp");
  EXPECT_EQ(uriPath("untitled:Untitled-1"), "");
}

Diagnostic detachedFinding() {
  Diagnostic D;
  D.Check = "spawn-detached-thread";
  D.Pos = {"/src/a.cpp", "/src/a.cpp", 3, 5};
  D.Message = "detached thread";
  Note Start;
  Start.Pos = {"/src/a.cpp", "/src/a.cpp", 2, 15};
  Start.Message = "the thread is created here";
  Note Cure;
  Cure.Pos = D.Pos;
  Cure.Message = "fix: join the thread";
  // A note fix: "detach" becomes "join" (offset 38 in Source below).
  Cure.Fixes.push_back({"/src/a.cpp", 38, 6, "join"});
  D.Notes = {Start, Cure};
  D.Fixes.push_back({"/src/a.cpp", 38, 6, "join"});
  D.Fixes.push_back({"/src/a.cpp", 0, 0, "#include <x>\n"});
  D.Fixes.push_back({"/src/a.cpp", 0, 0, "#include <x>\n"}); // applied once
  return D;
}

const char *const Source = "void f() {\n"             // offsets 0..10
                           "  std::thread t(work);\n" // 11..33
                           "  t.detach(); // why\n";  // 34..

TEST(Convert, FindingAsLspDiagnosticWithFixes) {
  std::string Text = Source;
  // The offsets of the finding's fix-its are in this text.
  ASSERT_EQ(Text.substr(38, 6), "detach");
  Diagnostic D = detachedFinding(); // at "detach": line 3, column 5
  ConvertContext C;
  C.DocsBaseUri = "https://docs/";
  C.TextOf = [](const std::string &) -> const LineTable * { return nullptr; };
  LineTable T(Text);
  json L = toLspDiagnostic(D, "/src/a.cpp", T, C);
  EXPECT_EQ(L["range"]["start"], json({{"line", 2}, {"character", 4}}));
  EXPECT_EQ(L["range"]["end"], json({{"line", 2}, {"character", 10}}));
  EXPECT_EQ(L["code"], "spawn-detached-thread");
  EXPECT_EQ(L["source"], "tether");
  EXPECT_EQ(L["severity"], 2);
  EXPECT_EQ(L["codeDescription"]["href"],
            "https://docs/spawn-detached-thread.md");
  ASSERT_EQ(L["relatedInformation"].size(), 2u);
  EXPECT_EQ(L["relatedInformation"][0]["message"],
            "the thread is created here");
  EXPECT_EQ(L["relatedInformation"][0]["location"]["range"]["start"],
            json({{"line", 1}, {"character", 14}}));
  json Edits = L["data"]["fix"]["edit"]["changes"]["file:///src/a.cpp"];
  ASSERT_EQ(Edits.size(), 2u); // the duplicate insertion once
  EXPECT_EQ(Edits[0]["newText"], "join");
  EXPECT_EQ(Edits[0]["range"]["start"], json({{"line", 2}, {"character", 4}}));
  EXPECT_EQ(Edits[0]["range"]["end"], json({{"line", 2}, {"character", 10}}));
  EXPECT_EQ(L["data"]["fix"]["title"], "fix: join the thread");

  json Actions = codeActionsFor(L, "file:///src/a.cpp", T, Encoding::UTF16);
  ASSERT_EQ(Actions.size(), 3u);
  EXPECT_EQ(Actions[0]["isPreferred"], true);
  EXPECT_EQ(Actions[0]["kind"], "quickfix");
  EXPECT_EQ(Actions[0]["diagnostics"][0]["code"], "spawn-detached-thread");
  EXPECT_EQ(Actions[1]["isPreferred"], false);
  EXPECT_EQ(Actions[1]["title"], "apply note fix: fix: join the thread");
  // The line has a comment: NOLINTNEXTLINE above, with its indentation.
  json Nolint = Actions[2]["edit"]["changes"]["file:///src/a.cpp"][0];
  EXPECT_EQ(Nolint["newText"], "  // NOLINTNEXTLINE(spawn-detached-thread)\n");
  EXPECT_EQ(Nolint["range"]["start"], json({{"line", 2}, {"character", 0}}));
}

/// Applies LSP edits of one file (UTF-8 positions, no overlap).
std::string apply(std::string Text, json Edits) {
  std::sort(Edits.begin(), Edits.end(), [](const json &A, const json &B) {
    return std::make_pair(A["range"]["start"]["line"].get<int>(),
                          A["range"]["start"]["character"].get<int>()) >
           std::make_pair(B["range"]["start"]["line"].get<int>(),
                          B["range"]["start"]["character"].get<int>());
  });
  LineTable T(Text);
  auto Offset = [&](const json &P) {
    size_t O = 0;
    for (int L = 0; L < P["line"].get<int>(); ++L)
      O = Text.find('\n', O) + 1;
    return O + P["character"].get<size_t>();
  };
  for (const json &E : Edits) {
    size_t B = Offset(E["range"]["start"]), End = Offset(E["range"]["end"]);
    Text.replace(B, End - B, E["newText"].get<std::string>());
  }
  return Text;
}

TEST(Convert, NolintEditsSilenceTheFinding) {
  const std::string Check = "spawn-detached-thread";
  for (const std::string &Line :
       {std::string("  t.detach();"), std::string("  t.detach(); // keep")}) {
    std::string Text = "void f(std::thread &t) {\n" + Line + "\n}\n";
    LineTable T(Text);
    std::string Title;
    json E = nolintEdit(T, 1, Check, Encoding::UTF8, Title);
    ASSERT_FALSE(E.is_null());
    std::string Fixed = apply(Text, json::array({E}));
    // The line of the finding after the edit: 2 with NOLINTNEXTLINE.
    unsigned FindingLine =
        Fixed.find("NOLINTNEXTLINE") != std::string::npos ? 3 : 2;
    FileSuppressions S(Fixed);
    EXPECT_TRUE(S.suppresses(FindingLine, Check)) << Fixed;
    EXPECT_FALSE(S.suppresses(FindingLine, "spawn-other")) << Fixed;
  }
  LineTable Macro("#define X \\\n  t.detach(); \\\n");
  std::string Title;
  EXPECT_TRUE(nolintEdit(Macro, 1, Check, Encoding::UTF8, Title).is_null());
}

} // namespace
