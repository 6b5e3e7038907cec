//===--- fuzz_writers.cpp - libFuzzer target: the output writers ----------===//
//
// Arbitrary bytes in file names, messages, source lines, compiler output and
// crash stacks: the JSON, SARIF and Code Climate reports must be valid UTF-8
// JSON (nlohmann's parser rejects anything else), and the text writers must
// not crash.
//
//===----------------------------------------------------------------------===//

#include "output/Writers.h"

#include <fuzzer/FuzzedDataProvider.h>
#include <nlohmann/json.hpp>

#include <cstdint>
#include <sstream>
#include <string>

using namespace tether;

namespace {
SourcePos position(FuzzedDataProvider &P) {
  SourcePos S;
  S.File = P.ConsumeRandomLengthString(64);
  S.DisplayFile = P.ConsumeRandomLengthString(64);
  S.Line = P.ConsumeIntegral<unsigned>();
  S.Column = P.ConsumeIntegral<unsigned>();
  return S;
}
} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *Data, size_t Size) {
  FuzzedDataProvider P(Data, Size);
  RunResult R;
  CheckDescriptor Check;
  Check.Name = "spawn-" + P.ConsumeRandomLengthString(16);
  Check.Summary = P.ConsumeRandomLengthString(32);
  OutputInfo Info;
  Info.ToolVersion = P.ConsumeRandomLengthString(8);
  Info.WorkingDir = P.ConsumeRandomLengthString(32);
  Info.DocsBaseUri = P.ConsumeRandomLengthString(16);
  Info.Checks.push_back(&Check);
  for (unsigned N = P.ConsumeIntegralInRange(0, 3); N; --N) {
    Diagnostic D;
    D.Check = P.ConsumeBool() ? Check.Name : P.ConsumeRandomLengthString(16);
    D.Level = P.ConsumeBool() ? Severity::Error : Severity::Warning;
    D.Pos = position(P);
    D.Message = P.ConsumeRandomLengthString(64);
    D.SourceLine = P.ConsumeRandomLengthString(128);
    D.Context = P.ConsumeRandomLengthString(32);
    if (P.ConsumeBool())
      D.Notes.push_back({position(P), P.ConsumeRandomLengthString(32),
                         P.ConsumeRandomLengthString(64)});
    if (P.ConsumeBool())
      D.Fixes.push_back(
          {P.ConsumeRandomLengthString(32), P.ConsumeIntegral<unsigned>(),
           P.ConsumeIntegral<unsigned>(), P.ConsumeRandomLengthString(32)});
    D.SuppressedInSource = P.ConsumeBool();
    (D.SuppressedInSource ? R.Hidden : R.Diagnostics).push_back(D);
  }
  normalizeDiagnostics(R.Diagnostics);
  for (unsigned N = P.ConsumeIntegralInRange(0, 2); N; --N) {
    ToolError E{P.ConsumeRandomLengthString(32),
                P.ConsumeRandomLengthString(64),
                P.ConsumeRandomLengthString(128)};
    R.Errors.push_back(E);
    if (P.ConsumeBool())
      Info.Notifications.push_back({P.ConsumeBool() ? "error" : "warning",
                                    P.ConsumeRandomLengthString(16), E.File,
                                    P.ConsumeRandomLengthString(16),
                                    P.ConsumeRandomLengthString(64),
                                    P.ConsumeRandomLengthString(128)});
  }
  R.FilesAnalyzed = P.ConsumeIntegral<unsigned>();

  std::ostringstream Json, Sarif, CodeClimate, Text;
  writeJson(R, Info, Json);
  writeSarif(R, Info, Sarif);
  writeCodeClimate(R, Info, CodeClimate);
  writeText(R, Text, P.ConsumeBool());
  writeErrorsText(R, Text, P.ConsumeBool());
  // parse() throws on invalid JSON or invalid UTF-8: a crash for libFuzzer.
  (void)nlohmann::json::parse(Json.str());
  (void)nlohmann::json::parse(Sarif.str());
  (void)nlohmann::json::parse(CodeClimate.str());
  return 0;
}
