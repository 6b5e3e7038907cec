//===--- Convert.cpp - tether's diagnostics as LSP diagnostics and actions ===//

#include "lsp/Convert.h"

#include <algorithm>
#include <cctype>
#include <cstdio>

using nlohmann::json;

namespace tether::lsp {

LineTable::LineTable(std::string T) : Text(std::move(T)) {
  Starts.push_back(0);
  for (size_t I = 0; I < Text.size(); ++I)
    if (Text[I] == '\n')
      Starts.push_back(I + 1);
}

std::string LineTable::line(unsigned Line0) const {
  if (Line0 >= Starts.size())
    return "";
  size_t B = Starts[Line0];
  size_t E = Line0 + 1 < Starts.size() ? Starts[Line0 + 1] - 1 : Text.size();
  if (E > B && Text[E - 1] == '\r')
    --E;
  return Text.substr(B, E - B);
}

unsigned characters(const std::string &Line, unsigned Bytes, Encoding E) {
  Bytes = std::min<unsigned>(Bytes, static_cast<unsigned>(Line.size()));
  if (E == Encoding::UTF8)
    return Bytes;
  unsigned Units = 0;
  for (unsigned I = 0; I < Bytes; ++I) {
    unsigned char C = static_cast<unsigned char>(Line[I]);
    if ((C & 0xC0) == 0x80)
      continue;                 // a continuation byte: counted with its lead
    Units += C >= 0xF0 ? 2 : 1; // four-byte sequences are surrogate pairs
  }
  return Units;
}

json LineTable::position(unsigned Line0, unsigned Byte0, Encoding E) const {
  if (Line0 >= Starts.size()) {
    Line0 = static_cast<unsigned>(Starts.size() - 1);
    Byte0 = ~0u;
  }
  return {{"line", Line0}, {"character", characters(line(Line0), Byte0, E)}};
}

json LineTable::positionOfOffset(unsigned Offset, Encoding E) const {
  size_t O = std::min<size_t>(Offset, Text.size());
  auto It = std::upper_bound(Starts.begin(), Starts.end(), O);
  unsigned Line0 = static_cast<unsigned>(It - Starts.begin() - 1);
  return position(Line0, static_cast<unsigned>(O - Starts[Line0]), E);
}

std::string LineTable::lineBreak() const {
  size_t NL = Text.find('\n');
  return NL != std::string::npos && NL > 0 && Text[NL - 1] == '\r' ? "\r\n"
                                                                   : "\n";
}

std::string fileUri(const std::string &Path) {
  std::string Out = "file://";
  for (unsigned char C : Path) {
    if (std::isalnum(C) || C == '/' || C == '-' || C == '_' || C == '.' ||
        C == '~')
      Out += static_cast<char>(C);
    else {
      char Buf[4];
      std::snprintf(Buf, sizeof Buf, "%%%02X", C);
      Out += Buf;
    }
  }
  return Out;
}

std::string uriPath(const std::string &Uri) {
  if (Uri.rfind("file://", 0) != 0)
    return "";
  std::string P = Uri.substr(7);
  // file://host/path: only the local host is ours.
  if (!P.empty() && P[0] != '/') {
    size_t Slash = P.find('/');
    if (Slash == std::string::npos || P.substr(0, Slash) != "localhost")
      return "";
    P = P.substr(Slash);
  }
  std::string Out;
  for (size_t I = 0; I < P.size(); ++I) {
    if (P[I] == '%' && I + 2 < P.size() &&
        std::isxdigit((unsigned char)P[I + 1]) &&
        std::isxdigit((unsigned char)P[I + 2])) {
      Out += static_cast<char>(std::stoi(P.substr(I + 1, 2), nullptr, 16));
      I += 2;
    } else {
      Out += P[I];
    }
  }
  return Out;
}

namespace {

bool identChar(char C) {
  return std::isalnum(static_cast<unsigned char>(C)) || C == '_';
}

/// The range of the token at a 1-based line and byte column: an identifier
/// or number, else one character.
json tokenRange(const LineTable &T, unsigned Line, unsigned Column,
                Encoding E) {
  unsigned Line0 = Line ? Line - 1 : 0;
  unsigned B = Column ? Column - 1 : 0;
  std::string L = T.line(Line0);
  unsigned End = B;
  while (End < L.size() && identChar(L[End]))
    ++End;
  if (End == B && B < L.size()) {
    ++End; // one character, all of its bytes
    while (End < L.size() &&
           (static_cast<unsigned char>(L[End]) & 0xC0) == 0x80)
      ++End;
  }
  return {{"start", T.position(Line0, B, E)},
          {"end", T.position(Line0, End, E)}};
}

json location(const SourcePos &P, const std::string &MainFile,
              const LineTable &Main, const ConvertContext &C) {
  const LineTable *T = P.File == MainFile ? &Main : C.TextOf(P.File);
  json Range;
  if (T)
    Range = tokenRange(*T, P.Line, P.Column, C.Enc);
  else // unreadable: the line, as far as the protocol allows
    Range = {{"start", {{"line", P.Line ? P.Line - 1 : 0}, {"character", 0}}},
             {"end", {{"line", P.Line ? P.Line - 1 : 0}, {"character", 0}}}};
  return {{"uri", fileUri(P.File)}, {"range", Range}};
}

} // namespace

json toWorkspaceEdit(const std::vector<FixIt> &Fixes,
                     const std::string &MainFile, const LineTable &Main,
                     const ConvertContext &C) {
  json Changes = json::object();
  std::vector<FixIt> Seen;
  for (const FixIt &F : Fixes) {
    if (std::find(Seen.begin(), Seen.end(), F) != Seen.end())
      continue; // identical replacements apply once
    Seen.push_back(F);
    const LineTable *T = F.File == MainFile ? &Main : C.TextOf(F.File);
    if (!T || F.Offset + F.Length > T->text().size())
      return nullptr;
    json Edit = {{"range",
                  {{"start", T->positionOfOffset(F.Offset, C.Enc)},
                   {"end", T->positionOfOffset(F.Offset + F.Length, C.Enc)}}},
                 {"newText", F.Replacement}};
    Changes[fileUri(F.File)].push_back(std::move(Edit));
  }
  return {{"changes", Changes}};
}

json toLspDiagnostic(const Diagnostic &D, const std::string &MainFile,
                     const LineTable &Main, const ConvertContext &C) {
  json Out;
  Out["range"] = tokenRange(Main, D.Pos.Line, D.Pos.Column, C.Enc);
  Out["severity"] = D.Level == Severity::Error ? 1 : 2;
  Out["source"] = "tether";
  Out["code"] = D.Check;
  if (!C.DocsBaseUri.empty())
    Out["codeDescription"] = {{"href", C.DocsBaseUri + D.Check + ".md"}};
  Out["message"] = D.Message;
  json Related = json::array();
  for (const Note &N : D.Notes)
    if (N.Pos.valid())
      Related.push_back({{"location", location(N.Pos, MainFile, Main, C)},
                         {"message", N.Message}});
  if (!Related.empty())
    Out["relatedInformation"] = Related;
  json Data = {{"check", D.Check}};
  if (!D.Fixes.empty()) {
    json Edit = toWorkspaceEdit(D.Fixes, MainFile, Main, C);
    std::string Title = "apply tether's fix";
    for (const Note &N : D.Notes)
      if (N.Message.rfind("fix: ", 0) == 0)
        Title = N.Message;
    if (!Edit.is_null())
      Data["fix"] = {{"title", Title}, {"edit", Edit}};
  }
  for (const Note &N : D.Notes) {
    if (N.Fixes.empty())
      continue;
    json Edit = toWorkspaceEdit(N.Fixes, MainFile, Main, C);
    if (!Edit.is_null())
      Data["noteFixes"].push_back(
          {{"title", "apply note fix: " + N.Message}, {"edit", Edit}});
  }
  Out["data"] = Data;
  return Out;
}

json nolintEdit(const LineTable &Main, unsigned Line0, const std::string &Check,
                Encoding E, std::string &Title) {
  std::string L = Main.line(Line0);
  size_t Last = L.find_last_not_of(" \t");
  if (Last != std::string::npos && L[Last] == '\\')
    return nullptr; // a comment would end the macro
  bool HasComment =
      L.find("//") != std::string::npos || L.find("/*") != std::string::npos;
  if (!HasComment) {
    Title = "suppress " + Check + " on this line (NOLINT)";
    unsigned End =
        Last == std::string::npos ? 0 : static_cast<unsigned>(Last + 1);
    json Pos = Main.position(Line0, End, E);
    return {
        {"range",
         {{"start", Pos},
          {"end", Main.position(Line0, static_cast<unsigned>(L.size()), E)}}},
        {"newText", "  // NOLINT(" + Check + ")"}};
  }
  Title = "suppress " + Check + " on this line (NOLINTNEXTLINE above)";
  size_t Indent = L.find_first_not_of(" \t");
  std::string Lead = L.substr(0, Indent == std::string::npos ? 0 : Indent);
  json Pos = {{"line", Line0}, {"character", 0}};
  return {{"range", {{"start", Pos}, {"end", Pos}}},
          {"newText",
           Lead + "// NOLINTNEXTLINE(" + Check + ")" + Main.lineBreak()}};
}

json codeActionsFor(const json &LspDiag, const std::string &Uri,
                    const LineTable &Main, Encoding E) {
  json Actions = json::array();
  const json &Data = LspDiag.contains("data") ? LspDiag["data"] : json();
  if (Data.is_object() && Data.contains("fix"))
    Actions.push_back({{"title", Data["fix"]["title"]},
                       {"kind", "quickfix"},
                       {"isPreferred", true},
                       {"diagnostics", json::array({LspDiag})},
                       {"edit", Data["fix"]["edit"]}});
  if (Data.is_object() && Data.contains("noteFixes"))
    for (const json &F : Data["noteFixes"])
      Actions.push_back({{"title", F["title"]},
                         {"kind", "quickfix"},
                         {"isPreferred", false},
                         {"diagnostics", json::array({LspDiag})},
                         {"edit", F["edit"]}});
  std::string Check = LspDiag.value("code", "");
  if (!Check.empty() && LspDiag.contains("range")) {
    unsigned Line0 = LspDiag["range"]["start"].value("line", 0u);
    std::string Title;
    json Edit = nolintEdit(Main, Line0, Check, E, Title);
    if (!Edit.is_null())
      Actions.push_back(
          {{"title", Title},
           {"kind", "quickfix"},
           {"isPreferred", false},
           {"diagnostics", json::array({LspDiag})},
           {"edit", {{"changes", {{Uri, json::array({Edit})}}}}}});
  }
  return Actions;
}

} // namespace tether::lsp
