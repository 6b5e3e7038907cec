//===--- CodeClimateWriter.cpp - GitLab code-quality report ---------------===//
//
// GitLab reads a subset of the Code Climate issue format
// (https://docs.gitlab.com/ee/ci/testing/code_quality.html): a JSON array of
// issues, each with description, check_name, fingerprint, severity and
// location.path / location.lines.begin. Paths are relative to the working
// directory (the repository root in CI) when the file is below it.
//
//===----------------------------------------------------------------------===//

#include "Writers.h"

#include <nlohmann/json.hpp>

namespace tether {

void writeCodeClimate(const RunResult &R, const OutputInfo &Info,
                      std::ostream &OS) {
  using ordered = nlohmann::ordered_json;
  std::string Root = Info.WorkingDir;
  if (!Root.empty() && Root.back() != '/')
    Root += "/";
  ordered Issues = ordered::array();
  for (const Diagnostic &D : R.Diagnostics) {
    std::string Path = D.Pos.File;
    if (!Root.empty() && Path.rfind(Root, 0) == 0)
      Path = Path.substr(Root.size());
    ordered I;
    I["type"] = "issue";
    I["check_name"] = D.Check;
    I["description"] = D.Message;
    I["categories"] = ordered::array({"Bug Risk"});
    I["fingerprint"] = D.Fingerprint;
    I["severity"] = D.Level == Severity::Error ? "critical" : "major";
    I["location"] = {{"path", Path}, {"lines", {{"begin", D.Pos.Line}}}};
    Issues.push_back(I);
  }
  OS << Issues.dump(2, ' ', false, nlohmann::json::error_handler_t::replace)
     << "\n";
}

} // namespace tether
