//===--- Cache.h - Per-TU results kept between runs -----------------------===//
//
// The result cache: one entry per translation unit, holding its facts (which
// carry its per-TU findings, see project/Facts.h), so the project step runs
// the same on a hit as on a fresh parse. An entry is found by a key made of
// everything that decides the result before parsing (the tether binary, the
// loaded rule packs, the enabled checks and options, the compile command,
// the main file's path as displayed, the working directory) and is valid
// only while every file the translation unit read (the main file and every
// header) has the content it had: each file's hash is stored in the entry
// and checked on lookup, as ccache's direct mode and ctcache do.
//
// Safe when several runs share the directory: entries are written to a
// temporary file and renamed into place; an entry that does not parse (torn,
// or of another version) is a miss. Nothing here prints.
//
//===----------------------------------------------------------------------===//
#ifndef TETHER_TOOL_CACHE_H
#define TETHER_TOOL_CACHE_H

#include "project/Facts.h"

#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace tether {

/// 16 hex digits of xxh3 over `Data`.
std::string hashText(const std::string &Data);

class ResultCache {
public:
  /// `Dir` is created on first store. `RunKey` identifies everything of the
  /// run that decides a result (see cacheRunKey in main.cpp).
  ResultCache(std::string Dir, std::string RunKey)
      : Dir(std::move(Dir)), RunKey(std::move(RunKey)) {}

  /// The facts stored for this translation unit, if every file it read is
  /// unchanged.
  std::optional<TUFacts> lookup(const std::string &TUKey);
  /// Stores the facts of a translation unit that read `Files`.
  void store(const std::string &TUKey, const TUFacts &Facts,
             const std::vector<std::string> &Files);

  /// The key of one translation unit: the run key, its compile command,
  /// its main file as displayed, the working directory.
  std::string tuKey(const std::string &MainFile, const std::string &Display,
                    const std::vector<std::string> &CommandLine,
                    const std::string &Directory) const;

private:
  std::string entryPath(const std::string &TUKey) const;
  /// The content hash of a file, memoized for the run; empty if unreadable.
  std::string fileHash(const std::string &Path);

  std::string Dir;
  std::string RunKey;
  std::mutex Mu;
  std::map<std::string, std::string> Hashes; // guarded by Mu
};

/// The default cache directory: $XDG_CACHE_HOME/tether, else
/// $HOME/.cache/tether; empty when neither is set.
std::string defaultCacheDir();

} // namespace tether

#endif
