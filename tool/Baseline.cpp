//===--- Baseline.cpp - Accepting the findings a project already has ------===//

#include "Baseline.h"

#include "core/Rules.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <fstream>
#include <map>
#include <sstream>

namespace tether {

using ordered = nlohmann::ordered_json;

void writeBaseline(const std::vector<Diagnostic> &Findings, std::ostream &OS) {
  ordered Doc;
  Doc["schema"] = "tether-baseline";
  Doc["version"] = 1;
  ordered List = ordered::array();
  for (const Diagnostic &D : Findings)
    List.push_back({{"fingerprint", D.Fingerprint},
                    {"check", D.Check},
                    {"file", D.Pos.DisplayFile},
                    {"line", D.Pos.Line},
                    {"message", D.Message}});
  Doc["findings"] = List;
  OS << Doc.dump(2, ' ', false, nlohmann::json::error_handler_t::replace)
     << "\n";
}

bool readBaseline(const std::string &Path, std::vector<BaselineEntry> &Out,
                  std::string &Error) {
  std::ifstream In(Path, std::ios::binary);
  if (!In) {
    Error = Path + ": cannot read baseline file";
    return false;
  }
  std::stringstream SS;
  SS << In.rdbuf();
  std::string Text = SS.str();
  nlohmann::json Doc;
  try {
    Doc = nlohmann::json::parse(Text);
  } catch (const nlohmann::json::parse_error &E) {
    Error = Path + ": invalid JSON: " + E.what();
    return false;
  } catch (const nlohmann::json::exception &E) {
    Error = Path + ": invalid JSON: " + E.what();
    return false;
  }
  auto Fail = [&](const std::vector<std::string> &Where,
                  const std::string &Problem) {
    auto [L, C] = jsonValuePosition(Text, Where);
    Error = Path + ":" + std::to_string(L) + ":" + std::to_string(C) + ": " +
            Problem;
    return false;
  };
  if (!Doc.is_object() || Doc.value("schema", "") != "tether-baseline")
    return Fail({"schema"}, "not a tether baseline (expected \"schema\": "
                            "\"tether-baseline\")");
  if (!Doc.contains("version") || Doc["version"] != 1)
    return Fail({"version"}, "unsupported baseline version (expected 1)");
  if (!Doc.contains("findings") || !Doc["findings"].is_array())
    return Fail({"findings"}, "expected an array of findings");
  const auto &List = Doc["findings"];
  for (size_t K = 0; K < List.size(); ++K) {
    const auto &E = List[K];
    if (!E.is_object() || !E.contains("fingerprint") ||
        !E["fingerprint"].is_string())
      return Fail({"findings", std::to_string(K)},
                  "a finding needs a string \"fingerprint\"");
    BaselineEntry B;
    B.Fingerprint = E["fingerprint"].get<std::string>();
    if (E.contains("check") && E["check"].is_string())
      B.Check = E["check"].get<std::string>();
    if (E.contains("file") && E["file"].is_string())
      B.File = E["file"].get<std::string>();
    if (E.contains("line") && E["line"].is_number_unsigned())
      B.Line = E["line"].get<unsigned>();
    if (E.contains("message") && E["message"].is_string())
      B.Message = E["message"].get<std::string>();
    Out.push_back(std::move(B));
  }
  return true;
}

void applyBaseline(RunResult &R, const std::vector<BaselineEntry> &Baseline,
                   const std::string &WorkingDir) {
  std::map<std::string, const BaselineEntry *> Known;
  for (const BaselineEntry &B : Baseline)
    Known.emplace(B.Fingerprint, &B);
  std::map<std::string, bool> Found;
  std::vector<Diagnostic> New;
  auto Mark = [&](Diagnostic &D) {
    bool In = Known.count(D.Fingerprint) > 0;
    if (In)
      Found[D.Fingerprint] = true;
    D.Baseline = In ? BaselineState::Unchanged : BaselineState::New;
    return In;
  };
  for (Diagnostic &D : R.Hidden) // silenced in the source: still a state
    Mark(D);
  std::vector<Diagnostic> Unchanged;
  for (Diagnostic &D : R.Diagnostics) {
    if (Mark(D))
      Unchanged.push_back(std::move(D));
    else
      New.push_back(std::move(D));
  }
  R.Diagnostics = std::move(New);
  for (Diagnostic &D : Unchanged)
    R.Hidden.push_back(std::move(D));
  for (const BaselineEntry &B : Baseline) {
    if (Found.count(B.Fingerprint))
      continue;
    Found[B.Fingerprint] = true; // a duplicate entry is absent once
    Diagnostic D;
    D.Check = B.Check;
    D.Pos.DisplayFile = B.File;
    D.Pos.File = B.File.empty() || B.File[0] == '/' || WorkingDir.empty()
                     ? B.File
                     : WorkingDir + "/" + B.File;
    D.Pos.Line = B.Line;
    D.Message = B.Message.empty() ? "(baselined finding)" : B.Message;
    D.Fingerprint = B.Fingerprint;
    D.Baseline = BaselineState::Absent;
    R.Hidden.push_back(std::move(D));
  }
  std::stable_sort(R.Hidden.begin(), R.Hidden.end());
}

} // namespace tether
