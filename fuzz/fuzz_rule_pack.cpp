//===--- fuzz_rule_pack.cpp - libFuzzer target: the rule-pack loader ------===//
//
// Any bytes as a rule pack: the loader must not crash, hang or throw, and a
// rejected pack must say where and why ("<file>:<line>:<col>: <problem>").
//
//===----------------------------------------------------------------------===//

#include "Config.h"
#include "core/Rules.h"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *Data, size_t Size) {
  std::string Text(reinterpret_cast<const char *>(Data), Size);
  tether::RuleSet Rules;
  std::string Error;
  bool Ok = tether::loadRulePackChecked(Text, "fuzz.json", Rules, Error);
  if (!Ok && Error.rfind("fuzz.json", 0) != 0) {
    std::fprintf(stderr, "rejected without naming the file: '%s'\n",
                 Error.c_str());
    std::abort();
  }
  // A pack that loaded once loads again on top of itself or is rejected
  // cleanly (duplicate entries), never crashes.
  if (Ok) {
    std::string Again;
    tether::loadRulePackChecked(Text, "fuzz.json", Rules, Again);
  }
  return 0;
}
