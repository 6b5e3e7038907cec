//===--- JsonWriter.cpp - tether's JSON schema and SARIF 2.1.0 ------------===//

#include "Writers.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>

namespace tether {

HiddenCounts countHidden(const RunResult &R) {
  HiddenCounts C;
  for (const Diagnostic &D : R.Hidden) {
    if (D.SuppressedInSource)
      ++C.Suppressed;
    else if (D.Baseline == BaselineState::Unchanged)
      ++C.Baselined;
  }
  return C;
}

using nlohmann::json;
using ordered = nlohmann::ordered_json;

std::string pathToUri(const std::string &Path) {
  std::string Out = Path.rfind('/', 0) == 0 ? "file://" : "";
  for (unsigned char C : Path) {
    if (std::isalnum(C) || C == '/' || C == '-' || C == '_' || C == '.' ||
        C == '~' || C == '+') {
      Out += static_cast<char>(C);
    } else {
      char Buf[4];
      std::snprintf(Buf, sizeof Buf, "%%%02X", C);
      Out += Buf;
    }
  }
  return Out;
}

/// Dumps with invalid UTF-8 (a file name, a source line, a compiler
/// message in another encoding) replaced by U+FFFD: the output must stay
/// valid JSON whatever the input bytes are.
static std::string dumpJson(const ordered &Doc) {
  return Doc.dump(2, ' ', false, ordered::error_handler_t::replace);
}

/// The notification that details a tool error of `File`, if any.
static const ToolNotification *detailsOf(const OutputInfo &Info,
                                         const std::string &File) {
  for (const ToolNotification &N : Info.Notifications)
    if (N.Level == "error" && N.File == File)
      return &N;
  return nullptr;
}

static ordered stackLines(const std::string &Stack) {
  ordered Lines = ordered::array();
  size_t Start = 0;
  while (Start < Stack.size()) {
    size_t End = Stack.find('\n', Start);
    if (End == std::string::npos)
      End = Stack.size();
    if (End > Start)
      Lines.push_back(Stack.substr(Start, End - Start));
    Start = End + 1;
  }
  return Lines;
}

static ordered pos(const SourcePos &P) {
  ordered J;
  J["file"] = P.DisplayFile;
  J["absolute_file"] = P.File;
  J["line"] = P.Line;
  J["column"] = P.Column;
  return J;
}

void writeJson(const RunResult &R, const OutputInfo &Info, std::ostream &OS) {
  ordered Doc;
  Doc["schema"] = "tether-diagnostics";
  Doc["version"] = 1;
  Doc["tool"] = {{"name", "tether"},
                 {"version", Info.ToolVersion},
                 {"llvm_version", Info.LLVMVersion}};
  ordered Checks = ordered::array();
  for (const CheckDescriptor *C : Info.Checks)
    Checks.push_back({{"name", C->Name},
                      {"family", C->family()},
                      {"summary", C->Summary},
                      {"docs", Info.DocsBaseUri + C->Name + ".md"}});
  Doc["checks"] = Checks;
  ordered Diags = ordered::array();
  for (const Diagnostic &D : R.Diagnostics) {
    ordered J;
    J["check"] = D.Check;
    J["severity"] = D.Level == Severity::Error ? "error" : "warning";
    ordered P = pos(D.Pos);
    for (auto It = P.begin(); It != P.end(); ++It)
      J[It.key()] = It.value();
    J["message"] = D.Message;
    J["context"] = D.Context;
    J["fingerprint"] = D.Fingerprint;
    auto FixesOf = [](const std::vector<FixIt> &V) {
      ordered Fixes = ordered::array();
      for (const FixIt &F : V)
        Fixes.push_back({{"file", F.File},
                         {"offset", F.Offset},
                         {"length", F.Length},
                         {"replacement", F.Replacement}});
      return Fixes;
    };
    ordered Notes = ordered::array();
    for (const Note &N : D.Notes) {
      ordered NJ = pos(N.Pos);
      NJ["message"] = N.Message;
      // Fix-its applied only with --fix-notes; absent when there are none.
      if (!N.Fixes.empty())
        NJ["fixes"] = FixesOf(N.Fixes);
      Notes.push_back(NJ);
    }
    J["notes"] = Notes;
    J["fixes"] = FixesOf(D.Fixes);
    Diags.push_back(J);
  }
  Doc["diagnostics"] = Diags;
  ordered Errors = ordered::array();
  for (const ToolError &E : R.Errors) {
    ordered J = {{"file", E.File},
                 {"message", E.Message},
                 {"details", E.Details},
                 {"kind", "error"}};
    if (const ToolNotification *N = detailsOf(Info, E.File)) {
      J["kind"] = N->Kind;
      J["check"] = N->Check;
      J["stack"] = stackLines(N->Stack);
    }
    Errors.push_back(J);
  }
  Doc["errors"] = Errors;
  ordered Skipped = ordered::array();
  for (const ToolNotification &N : Info.Notifications)
    if (N.Level == "warning")
      Skipped.push_back({{"file", N.File},
                         {"check", N.Check},
                         {"kind", N.Kind},
                         {"message", N.Message},
                         {"stack", stackLines(N.Stack)}});
  Doc["skipped"] = Skipped;
  auto [Suppressed, Baselined] = countHidden(R);
  Doc["summary"] = {
      {"files_analyzed", R.FilesAnalyzed}, {"findings", R.Diagnostics.size()},
      {"errors", R.Errors.size()},         {"skipped_checks", Skipped.size()},
      {"suppressed", Suppressed},          {"baselined", Baselined}};
  OS << dumpJson(Doc) << "\n";
}

static std::string relativeUri(const std::string &Abs, const std::string &Cwd,
                               bool &Relative) {
  std::string Prefix = Cwd.empty() || Cwd.back() == '/' ? Cwd : Cwd + "/";
  Relative = !Prefix.empty() && Abs.rfind(Prefix, 0) == 0;
  return pathToUri(Relative ? Abs.substr(Prefix.size()) : Abs);
}

static ordered physical(const SourcePos &P, const OutputInfo &Info) {
  bool Rel = false;
  std::string Uri = relativeUri(P.File, Info.WorkingDir, Rel);
  ordered Art = {{"uri", Uri}};
  if (Rel)
    Art["uriBaseId"] = "SRCROOT";
  return {{"artifactLocation", Art},
          {"region", {{"startLine", P.Line}, {"startColumn", P.Column}}}};
}

void writeSarif(const RunResult &R, const OutputInfo &Info, std::ostream &OS) {
  ordered Rules = ordered::array();
  for (const CheckDescriptor *C : Info.Checks) {
    const char *Precision = C->Level == Confidence::High     ? "high"
                            : C->Level == Confidence::Medium ? "medium"
                                                             : "low";
    Rules.push_back(
        {{"id", C->Name},
         {"shortDescription", {{"text", C->Summary}}},
         {"helpUri", Info.DocsBaseUri + C->Name + ".md"},
         {"defaultConfiguration", {{"level", "warning"}}},
         {"properties",
          {{"tags", {"concurrency", C->family()}}, {"precision", Precision}}}});
  }
  auto RuleIndex = [&](const std::string &Name) -> int {
    for (size_t K = 0; K < Info.Checks.size(); ++K)
      if (Info.Checks[K]->Name == Name)
        return static_cast<int>(K);
    return -1;
  };
  ordered Results = ordered::array();
  auto AddResult = [&](const Diagnostic &D) {
    ordered Res;
    Res["ruleId"] = D.Check;
    if (int I = RuleIndex(D.Check); I >= 0)
      Res["ruleIndex"] = I;
    Res["level"] = D.Level == Severity::Error ? "error" : "warning";
    Res["message"] = {{"text", D.Message}};
    if (D.Baseline == BaselineState::Absent) { // no column, maybe no line
      ordered Loc = physical(D.Pos, Info);
      Loc.erase("region");
      if (D.Pos.Line > 0)
        Loc["region"] = {{"startLine", D.Pos.Line}};
      Res["locations"] = ordered::array({{{"physicalLocation", Loc}}});
    } else {
      Res["locations"] = ordered::array({{{"physicalLocation",
                                           physical(D.Pos, Info)}}});
    }
    if (!D.Notes.empty()) {
      ordered Rel = ordered::array();
      int Id = 1;
      for (const Note &N : D.Notes)
        Rel.push_back({{"id", Id++},
                       {"physicalLocation", physical(N.Pos, Info)},
                       {"message", {{"text", N.Message}}}});
      Res["relatedLocations"] = Rel;
    }
    Res["partialFingerprints"] = {{"tether/v1", D.Fingerprint}};
    if (D.SuppressedInSource)
      Res["suppressions"] = ordered::array({{{"kind", "inSource"}}});
    if (D.Baseline != BaselineState::None)
      Res["baselineState"] = D.Baseline == BaselineState::New ? "new"
                             : D.Baseline == BaselineState::Unchanged
                                 ? "unchanged"
                                 : "absent";
    // The finding's own rewrite first, then each note's (applied only
    // with --fix-notes): SARIF's fixes are alternatives.
    ordered SarifFixes = ordered::array();
    auto AddFix = [&](const std::vector<FixIt> &Fs, const std::string &Why) {
      ordered Changes = ordered::array();
      for (const FixIt &F : Fs)
        Changes.push_back(
            {{"artifactLocation", {{"uri", pathToUri(F.File)}}},
             {"replacements",
              ordered::array(
                  {{{"deletedRegion",
                     {{"charOffset", F.Offset}, {"charLength", F.Length}}},
                    {"insertedContent", {{"text", F.Replacement}}}}})}});
      SarifFixes.push_back(
          {{"description", {{"text", Why}}}, {"artifactChanges", Changes}});
    };
    if (!D.Fixes.empty())
      AddFix(D.Fixes, "tether fix-it");
    for (const Note &N : D.Notes)
      if (!N.Fixes.empty())
        AddFix(N.Fixes, N.Message);
    if (!SarifFixes.empty())
      Res["fixes"] = SarifFixes;
    Results.push_back(Res);
  };
  for (const Diagnostic &D : R.Diagnostics)
    AddResult(D);
  for (const Diagnostic &D : R.Hidden)
    AddResult(D);
  ordered Notifications = ordered::array();
  auto Notify = [&](const std::string &Level, const std::string &File,
                    const std::string &Message,
                    const ToolNotification *Detail) {
    ordered N = {{"level", Level}, {"message", {{"text", Message}}}};
    if (!File.empty())
      N["locations"] = ordered::array(
          {{{"physicalLocation",
             {{"artifactLocation", {{"uri", pathToUri(File)}}}}}}});
    if (Detail) {
      N["descriptor"] = {{"id", "tether-" + Detail->Kind}};
      if (std::any_of(Info.Checks.begin(), Info.Checks.end(),
                      [&](const CheckDescriptor *C) {
                        return C->Name == Detail->Check;
                      }))
        N["associatedRule"] = {{"id", Detail->Check}};
      ordered Frames = ordered::array();
      for (const auto &Line : stackLines(Detail->Stack))
        Frames.push_back({{"location", {{"message", {{"text", Line}}}}}});
      if (!Frames.empty())
        N["exception"] = {{"kind", Detail->Kind},
                          {"message", Message},
                          {"stack", {{"frames", Frames}}}};
      N["properties"] = {{"kind", Detail->Kind}, {"check", Detail->Check}};
    }
    Notifications.push_back(N);
  };
  for (const ToolError &E : R.Errors)
    Notify("error", E.File, E.Message, detailsOf(Info, E.File));
  for (const ToolNotification &N : Info.Notifications)
    if (N.Level == "warning")
      Notify("warning", N.File, N.Message, &N);
  ordered Run;
  Run["tool"] = {{"driver",
                  {{"name", "tether"},
                   {"version", Info.ToolVersion},
                   {"semanticVersion", Info.ToolVersion},
                   {"informationUri", Info.DocsBaseUri},
                   {"rules", Rules}}}};
  std::string Root = Info.WorkingDir;
  if (Root.empty() || Root.back() != '/')
    Root += "/";
  Run["originalUriBaseIds"] = {{"SRCROOT", {{"uri", pathToUri(Root)}}}};
  Run["invocations"] = ordered::array(
      {{{"executionSuccessful", R.Errors.empty()},
        {"toolExecutionNotifications", Notifications}}});
  Run["results"] = Results;
  ordered Doc;
  Doc["$schema"] = "https://json.schemastore.org/sarif-2.1.0.json";
  Doc["version"] = "2.1.0";
  Doc["runs"] = ordered::array({Run});
  OS << dumpJson(Doc) << "\n";
}

} // namespace tether
