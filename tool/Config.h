//===--- Config.h - .tether.json configuration files ----------------------===//
//
// A `.tether.json` applies to the files of its directory and below; for each
// analyzed file the closest one (searching from the file's directory upward)
// wins, and one with `"inherit": true` is layered over the configuration of
// its parent directory. `--config-file` names one file used for every file.
// Command-line options are layered last. The format is JSON, like the rule
// packs (docs/cli.md lists the keys and how each one layers).
//
//===----------------------------------------------------------------------===//
#ifndef TETHER_TOOL_CONFIG_H
#define TETHER_TOOL_CONFIG_H

#include <nlohmann/json.hpp>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace tether {

/// The name of the per-directory configuration file.
inline constexpr const char *ConfigFileName = ".tether.json";

/// An `exclude` entry: a path glob relative to the directory of the config
/// file that declared it (`*` and `?` within one path component, `**` across
/// components), or absolute when it starts with '/'. A glob that matches a
/// directory excludes everything below it.
struct ExcludeGlob {
  std::string BaseDir;
  std::string Pattern;
};

/// The configuration in effect for one file.
struct EffectiveConfig {
  std::vector<std::string> Sources; ///< config files, outermost first
  std::string Checks = "*";         ///< check globs
  bool ChecksFromFile = false;      ///< a configuration file set `Checks`
  std::map<std::string, std::string> CheckOptions; ///< "Check.Option" -> value
  std::vector<std::string> Rules; ///< absolute paths of extra rule packs
  std::string HeaderFilter;       ///< empty: no header findings
  std::vector<ExcludeGlob> Exclude;
  std::string WarningsAsErrors; ///< check globs
  bool StrictGlobals = false;

  /// Is the absolute path `File` excluded?
  bool excludes(const std::string &File) const;
  /// Equal for configurations that analyze a translation unit the same way
  /// (checks, options, rule packs, header filter), so they can share a run.
  std::string analysisKey() const;
  /// The configuration as a `.tether.json` that means the same anywhere
  /// (absolute paths), for --dump-config.
  nlohmann::ordered_json toJson() const;
};

/// What the command line sets; it overrides (or, for globs and rule packs,
/// extends) the configuration files.
struct ConfigOverrides {
  /// Appended to the globs of the configuration files; replaces the default
  /// "*" when none sets `checks` (so `--checks spawn-*` means what it says).
  std::optional<std::string> Checks;
  std::optional<std::string> WarningsAsErrors; ///< appended to the globs
  std::optional<std::string> HeaderFilter;     ///< replaces
  std::vector<std::string> Rules;              ///< added
  bool StrictGlobals = false;                  ///< forces on
};

class ConfigResolver {
public:
  /// `ConfigFile` empty: search for `.tether.json` files.
  ConfigResolver(ConfigOverrides Overrides, std::string ConfigFile);

  /// The configuration of the file or directory `Path` (absolute). Returns
  /// null and sets `Error` ("<file>:<line>:<col>: <problem>") when a
  /// configuration file on the way is unreadable or invalid.
  std::shared_ptr<const EffectiveConfig> forFile(const std::string &Path,
                                                 std::string &Error);

private:
  struct Raw; // one parsed file
  std::shared_ptr<EffectiveConfig> forDir(const std::string &Dir,
                                          std::string &Error);
  std::shared_ptr<EffectiveConfig> fromFile(const std::string &Path,
                                            std::string &Error);
  const Raw *load(const std::string &Path, std::string &Error);

  ConfigOverrides Overrides;
  std::string ConfigFile;
  std::map<std::string, std::shared_ptr<EffectiveConfig>> ByDir; // no overrides
  std::map<std::string, std::shared_ptr<const EffectiveConfig>> Final;
  std::map<std::string, std::shared_ptr<Raw>> Files;
};

struct RuleSet;

/// loadRulePackFile and loadRulePack (core/Rules.h), with what the JSON
/// library throws on valid syntax it cannot represent (a number too large
/// for a double: "1e999999") turned into an error naming the file.
bool loadRulePackFileChecked(const std::string &Path, RuleSet &Out,
                             std::string &Error);
bool loadRulePackChecked(const std::string &Text, const std::string &FileName,
                         RuleSet &Out, std::string &Error);

} // namespace tether

#endif
