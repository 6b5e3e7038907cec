//===--- fuzz_config.cpp - libFuzzer target: the .tether.json loader ------===//
//
// Any bytes as a directory's .tether.json: resolving a file's configuration
// must not crash, hang or throw; a rejected file is named in the error.
//
//===----------------------------------------------------------------------===//

#include "Config.h"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <unistd.h>

namespace {
std::string makeDir() {
  char Model[] = "/tmp/tether-fuzz-config-XXXXXX";
  if (!mkdtemp(Model))
    std::abort();
  return Model;
}
} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *Data, size_t Size) {
  static const std::string Dir = makeDir();
  const std::string Path = Dir + "/.tether.json";
  {
    std::ofstream Out(Path, std::ios::binary | std::ios::trunc);
    Out.write(reinterpret_cast<const char *>(Data), Size);
  }
  tether::ConfigResolver Resolver(tether::ConfigOverrides(), "");
  std::string Error;
  auto Config = Resolver.forFile(Dir + "/src/a.cpp", Error);
  if (!Config && Error.find(".tether.json") == std::string::npos) {
    std::fprintf(stderr, "rejected without naming the file: '%s'\n",
                 Error.c_str());
    std::abort();
  }
  if (Config) {
    // What --dump-config prints must be valid UTF-8 JSON.
    std::string Dump = Config->toJson().dump(
        2, ' ', false, nlohmann::json::error_handler_t::replace);
    (void)nlohmann::json::parse(Dump);
    Config->excludes(Dir + "/src/a.cpp");
  }
  return 0;
}
