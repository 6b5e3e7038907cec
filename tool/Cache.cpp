//===--- Cache.cpp - Per-TU results kept between runs ---------------------===//

#include "Cache.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/Support/xxhash.h"

#include <nlohmann/json.hpp>

#include <cstdio>
#include <cstdlib>

namespace tether {

std::string hashText(const std::string &Data) {
  uint64_t H = llvm::xxh3_64bits(llvm::StringRef(Data));
  char Buf[17];
  std::snprintf(Buf, sizeof Buf, "%016llx", static_cast<unsigned long long>(H));
  return Buf;
}

std::string defaultCacheDir() {
  llvm::SmallString<256> P;
  if (const char *X = std::getenv("XDG_CACHE_HOME"); X && *X) {
    P = X;
  } else if (const char *H = std::getenv("HOME"); H && *H) {
    P = H;
    llvm::sys::path::append(P, ".cache");
  } else {
    return {};
  }
  llvm::sys::path::append(P, "tether");
  return std::string(P);
}

std::string ResultCache::tuKey(const std::string &MainFile,
                               const std::string &Display,
                               const std::vector<std::string> &CommandLine,
                               const std::string &Directory) const {
  std::string K = RunKey;
  K += '\0' + MainFile + '\0' + Display + '\0' + Directory + '\0';
  llvm::SmallString<256> Cwd;
  if (!llvm::sys::fs::current_path(Cwd))
    K += std::string(Cwd);
  for (const std::string &A : CommandLine)
    K += '\0' + A;
  return hashText(K);
}

std::string ResultCache::entryPath(const std::string &TUKey) const {
  llvm::SmallString<256> P(Dir);
  llvm::sys::path::append(P, TUKey.substr(0, 2), TUKey + ".json");
  return std::string(P);
}

std::string ResultCache::fileHash(const std::string &Path) {
  {
    std::lock_guard<std::mutex> L(Mu);
    auto It = Hashes.find(Path);
    if (It != Hashes.end())
      return It->second;
  }
  std::string H;
  auto Buf = llvm::MemoryBuffer::getFile(Path, /*IsText=*/false,
                                         /*RequiresNullTerminator=*/false);
  if (Buf)
    H = hashText((*Buf)->getBuffer().str());
  std::lock_guard<std::mutex> L(Mu);
  Hashes[Path] = H;
  return H;
}

std::optional<TUFacts> ResultCache::lookup(const std::string &TUKey) {
  auto Buf = llvm::MemoryBuffer::getFile(entryPath(TUKey), /*IsText=*/true);
  if (!Buf)
    return std::nullopt;
  // Line 1: the header with the files and their hashes; then the facts, so
  // that a stale entry costs only its header and a fresh one one parse.
  llvm::StringRef Text = (*Buf)->getBuffer();
  auto [Head, Body] = Text.split('\n');
  nlohmann::json J = nlohmann::json::parse(Head.str(), nullptr,
                                           /*allow_exceptions=*/false);
  if (J.is_discarded() || !J.is_object() || J.value("tether-cache", 0) != 2)
    return std::nullopt; // torn or of another version: a miss
  try {
    for (const auto &D : J.at("files")) {
      std::string H = fileHash(D.at(0).get<std::string>());
      if (H.empty() || H != D.at(1).get<std::string>())
        return std::nullopt;
    }
  } catch (const nlohmann::json::exception &) {
    return std::nullopt;
  }
  TUFacts F;
  std::string Err;
  if (!factsFromJson(Body.str(), F, Err))
    return std::nullopt;
  return F;
}

void ResultCache::store(const std::string &TUKey, const TUFacts &Facts,
                        const std::vector<std::string> &Files) {
  nlohmann::json J;
  J["tether-cache"] = 2;
  nlohmann::json Deps = nlohmann::json::array();
  for (const std::string &F : Files) {
    std::string H = fileHash(F);
    if (H.empty())
      return; // a file that cannot be read again cannot be checked
    Deps.push_back({F, H});
  }
  J["files"] = std::move(Deps);
  std::string Path = entryPath(TUKey);
  if (llvm::sys::fs::create_directories(llvm::sys::path::parent_path(Path)))
    return; // an unwritable cache only costs time
  llvm::SmallString<256> Tmp;
  int FD = -1;
  if (llvm::sys::fs::createUniqueFile(Path + ".tmp-%%%%%%", FD, Tmp))
    return;
  {
    llvm::raw_fd_ostream OS(FD, /*shouldClose=*/true);
    OS << J.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)
       << '\n'
       << factsToJson(Facts);
    OS.close();
    if (OS.has_error()) {
      OS.clear_error();
      llvm::sys::fs::remove(Tmp);
      return;
    }
  }
  if (llvm::sys::fs::rename(Tmp, Path))
    llvm::sys::fs::remove(Tmp);
}

} // namespace tether
