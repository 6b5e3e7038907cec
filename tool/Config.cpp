//===--- Config.cpp - .tether.json configuration files --------------------===//

#include "Config.h"

#include "core/Glob.h"
#include "core/Rules.h"

#include <filesystem>
#include <fstream>
#include <sstream>

namespace fs = std::filesystem;

namespace tether {

struct ConfigResolver::Raw {
  std::string Path, Dir;
  bool Inherit = false;
  std::optional<std::string> Checks, WarningsAsErrors, HeaderFilter;
  std::map<std::string, std::string> CheckOptions;
  std::vector<std::string> Rules; ///< absolute
  std::vector<std::string> Exclude;
  std::optional<bool> StrictGlobals;
};

namespace {

/// `*` and `?` stay within a path component, `**` crosses components.
bool pathGlob(const char *P, const char *T) {
  for (; *P; ++P) {
    if (P[0] == '*' && P[1] == '*') {
      const char *Rest = P + 2;
      if (*Rest == '/')
        ++Rest; // "a/**/b" also matches "a/b"
      for (const char *S = T;; ++S) {
        if (pathGlob(Rest, S))
          return true;
        if (!*S)
          return false;
      }
    }
    if (*P == '*') {
      for (const char *S = T;; ++S) {
        if (pathGlob(P + 1, S))
          return true;
        if (!*S || *S == '/')
          return false;
      }
    }
    if (!*T || (*P == '?' ? *T == '/' : *P != *T))
      return false;
    ++T;
  }
  return !*T;
}

std::string join(const std::string &A, const std::string &B) {
  if (A.empty())
    return B;
  if (B.empty())
    return A;
  return A + "," + B;
}

std::string parentDir(const std::string &Dir) {
  fs::path P(Dir);
  return P.has_relative_path() ? P.parent_path().string() : std::string();
}

} // namespace

bool EffectiveConfig::excludes(const std::string &File) const {
  for (const ExcludeGlob &E : Exclude) {
    std::string Pat = E.Pattern;
    while (Pat.rfind("./", 0) == 0)
      Pat.erase(0, 2);
    while (Pat.size() > 1 && Pat.back() == '/')
      Pat.pop_back();
    std::string Subject;
    if (!Pat.empty() && Pat[0] == '/') {
      Subject = File;
    } else {
      std::string Base = E.BaseDir.back() == '/' ? E.BaseDir : E.BaseDir + "/";
      if (File.rfind(Base, 0) != 0)
        continue;
      Subject = File.substr(Base.size());
    }
    // The file itself or one of the directories above it.
    for (size_t Slash = Subject.find('/', 1);;
         Slash = Subject.find('/', Slash + 1)) {
      std::string Prefix = Subject.substr(0, Slash);
      if (pathGlob(Pat.c_str(), Prefix.c_str()))
        return true;
      if (Slash == std::string::npos)
        break;
    }
  }
  return false;
}

std::string EffectiveConfig::analysisKey() const {
  nlohmann::json K = {{"checks", Checks},
                      {"check_options", CheckOptions},
                      {"rules", Rules},
                      {"header_filter", HeaderFilter},
                      {"strict_globals", StrictGlobals}};
  return K.dump();
}

nlohmann::ordered_json EffectiveConfig::toJson() const {
  nlohmann::ordered_json J;
  J["checks"] = Checks;
  J["check_options"] = nlohmann::ordered_json::object();
  for (const auto &[K, V] : CheckOptions)
    J["check_options"][K] = V;
  J["rules"] = Rules;
  J["header_filter"] = HeaderFilter;
  nlohmann::ordered_json Ex = nlohmann::ordered_json::array();
  for (const ExcludeGlob &E : Exclude)
    Ex.push_back(
        !E.Pattern.empty() && E.Pattern[0] == '/'
            ? E.Pattern
            : (fs::path(E.BaseDir) / E.Pattern).lexically_normal().string());
  J["exclude"] = Ex;
  J["warnings_as_errors"] = WarningsAsErrors;
  J["strict_globals"] = StrictGlobals;
  return J;
}

ConfigResolver::ConfigResolver(ConfigOverrides Overrides,
                               std::string ConfigFile)
    : Overrides(std::move(Overrides)), ConfigFile(std::move(ConfigFile)) {
  if (!this->ConfigFile.empty())
    this->ConfigFile = fs::absolute(this->ConfigFile).lexically_normal();
  for (std::string &R : this->Overrides.Rules)
    R = fs::absolute(R).lexically_normal();
}

const ConfigResolver::Raw *ConfigResolver::load(const std::string &Path,
                                                std::string &Error) {
  if (auto It = Files.find(Path); It != Files.end())
    return It->second.get();
  std::ifstream In(Path, std::ios::binary);
  if (!In) {
    Error = Path + ": cannot read configuration file";
    return nullptr;
  }
  std::stringstream SS;
  SS << In.rdbuf();
  const std::string Text = SS.str();
  nlohmann::json Doc;
  try {
    Doc = nlohmann::json::parse(Text);
  } catch (const nlohmann::json::parse_error &E) {
    size_t Off = E.byte > 0 ? E.byte - 1 : 0;
    unsigned L = 1, C = 1;
    for (size_t K = 0; K < Off && K < Text.size(); ++K) {
      if (Text[K] == '\n') {
        ++L;
        C = 1;
      } else {
        ++C;
      }
    }
    std::string What = E.what();
    auto Pos = What.find("syntax error");
    Error = Path + ":" + std::to_string(L) + ":" + std::to_string(C) +
            ": invalid JSON: " +
            (Pos == std::string::npos ? What : What.substr(Pos));
    return nullptr;
  } catch (const nlohmann::json::exception &E) {
    // Valid syntax that the library cannot represent (a number too large).
    Error = Path + ": invalid JSON: " + E.what();
    return nullptr;
  }
  auto Fail = [&](const std::vector<std::string> &Where,
                  const std::string &Problem) -> const Raw * {
    auto [L, C] = jsonValuePosition(Text, Where);
    Error = Path + ":" + std::to_string(L) + ":" + std::to_string(C) + ": " +
            Problem;
    return nullptr;
  };
  if (!Doc.is_object())
    return Fail({}, "expected an object of configuration keys");

  auto R = std::make_shared<Raw>();
  R->Path = Path;
  R->Dir = fs::path(Path).parent_path().string();
  // A string of globs, or an array of them.
  auto Globs = [&](const std::string &Key, const nlohmann::json &V,
                   std::string &Out) -> bool {
    if (V.is_string()) {
      Out = V.get<std::string>();
    } else if (V.is_array()) {
      for (size_t K = 0; K < V.size(); ++K) {
        if (!V[K].is_string()) {
          Fail({Key, std::to_string(K)}, "'" + Key + "': expected a glob");
          return false;
        }
        Out = join(Out, V[K].get<std::string>());
      }
    } else {
      Fail({Key}, "'" + Key +
                      "': expected a string of comma-separated "
                      "globs or an array of globs");
      return false;
    }
    CheckGlobs G;
    std::string E;
    if (!G.parse(Out, E)) {
      Fail({Key}, "'" + Key + "': " + E);
      return false;
    }
    return true;
  };
  for (auto It = Doc.begin(); It != Doc.end(); ++It) {
    const std::string &Key = It.key();
    const nlohmann::json &V = It.value();
    if (Key == "inherit") {
      if (!V.is_boolean())
        return Fail({Key}, "'inherit': expected true or false");
      R->Inherit = V.get<bool>();
    } else if (Key == "checks" || Key == "warnings_as_errors") {
      std::string S;
      if (!Globs(Key, V, S))
        return nullptr;
      (Key == "checks" ? R->Checks : R->WarningsAsErrors) = S;
    } else if (Key == "check_options") {
      if (!V.is_object())
        return Fail({Key}, "'check_options': expected an object "
                           "\"Check.Option\": \"value\"");
      for (auto O = V.begin(); O != V.end(); ++O) {
        if (!O.value().is_string())
          return Fail({Key, O.key()},
                      "'check_options." + O.key() + "': expected a string");
        R->CheckOptions[O.key()] = O.value().get<std::string>();
      }
    } else if (Key == "rules" || Key == "exclude") {
      if (!V.is_array())
        return Fail({Key}, "'" + Key + "': expected an array of paths");
      for (size_t K = 0; K < V.size(); ++K) {
        if (!V[K].is_string() || V[K].get<std::string>().empty())
          return Fail({Key, std::to_string(K)},
                      "'" + Key + "': expected a non-empty path");
        std::string S = V[K].get<std::string>();
        if (Key == "rules")
          R->Rules.push_back(
              (fs::path(R->Dir) / S).lexically_normal().string());
        else
          R->Exclude.push_back(S);
      }
    } else if (Key == "header_filter") {
      if (!V.is_string())
        return Fail({Key}, "'header_filter': expected a regex string");
      R->HeaderFilter = V.get<std::string>();
    } else if (Key == "strict_globals") {
      if (!V.is_boolean())
        return Fail({Key}, "'strict_globals': expected true or false");
      R->StrictGlobals = V.get<bool>();
    } else {
      return Fail({Key}, "unknown key '" + Key +
                             "' (known: inherit, checks, check_options, "
                             "rules, header_filter, exclude, "
                             "warnings_as_errors, strict_globals)");
    }
  }
  return (Files[Path] = std::move(R)).get();
}

std::shared_ptr<EffectiveConfig>
ConfigResolver::fromFile(const std::string &Path, std::string &Error) {
  const Raw *R = load(Path, Error);
  if (!R)
    return nullptr;
  auto Base = std::make_shared<EffectiveConfig>();
  if (R->Inherit) {
    std::string Up = parentDir(R->Dir);
    if (!Up.empty()) {
      Base = forDir(Up, Error);
      if (!Base)
        return nullptr;
    }
  }
  auto C = std::make_shared<EffectiveConfig>(*Base);
  C->Sources.push_back(R->Path);
  if (R->Checks) {
    C->Checks = R->Inherit ? join(C->Checks, *R->Checks) : *R->Checks;
    C->ChecksFromFile = true;
  }
  if (R->WarningsAsErrors)
    C->WarningsAsErrors = R->Inherit
                              ? join(C->WarningsAsErrors, *R->WarningsAsErrors)
                              : *R->WarningsAsErrors;
  for (const auto &[K, V] : R->CheckOptions)
    C->CheckOptions[K] = V;
  for (const std::string &P : R->Rules)
    C->Rules.push_back(P);
  if (R->HeaderFilter)
    C->HeaderFilter = *R->HeaderFilter;
  for (const std::string &E : R->Exclude)
    C->Exclude.push_back({R->Dir, E});
  if (R->StrictGlobals)
    C->StrictGlobals = *R->StrictGlobals;
  return C;
}

std::shared_ptr<EffectiveConfig> ConfigResolver::forDir(const std::string &Dir,
                                                        std::string &Error) {
  if (auto It = ByDir.find(Dir); It != ByDir.end())
    return It->second;
  std::shared_ptr<EffectiveConfig> C;
  fs::path Candidate = fs::path(Dir) / ConfigFileName;
  std::error_code EC;
  if (fs::is_regular_file(Candidate, EC)) {
    C = fromFile(Candidate.string(), Error);
  } else {
    std::string Up = parentDir(Dir);
    C = Up.empty() ? std::make_shared<EffectiveConfig>() : forDir(Up, Error);
  }
  if (C)
    ByDir[Dir] = C;
  return C;
}

std::shared_ptr<const EffectiveConfig>
ConfigResolver::forFile(const std::string &Path, std::string &Error) {
  std::string Dir = fs::path(Path).lexically_normal().parent_path().string();
  std::string Key = ConfigFile.empty() ? Dir : std::string();
  if (auto It = Final.find(Key); It != Final.end())
    return It->second;
  std::shared_ptr<EffectiveConfig> Base =
      ConfigFile.empty() ? forDir(Dir, Error) : fromFile(ConfigFile, Error);
  if (!Base)
    return nullptr;
  auto C = std::make_shared<EffectiveConfig>(*Base);
  if (Overrides.Checks)
    C->Checks = C->ChecksFromFile ? join(C->Checks, *Overrides.Checks)
                                  : *Overrides.Checks;
  if (Overrides.WarningsAsErrors)
    C->WarningsAsErrors =
        join(C->WarningsAsErrors, *Overrides.WarningsAsErrors);
  if (Overrides.HeaderFilter)
    C->HeaderFilter = *Overrides.HeaderFilter;
  for (const std::string &R : Overrides.Rules)
    C->Rules.push_back(R);
  if (Overrides.StrictGlobals)
    C->StrictGlobals = true;
  Final[Key] = C;
  return C;
}

bool loadRulePackFileChecked(const std::string &Path, RuleSet &Out,
                             std::string &Error) {
  try {
    return loadRulePackFile(Path, Out, Error);
  } catch (const std::exception &E) {
    Error = Path + ": invalid rule pack: " + E.what();
    return false;
  }
}

bool loadRulePackChecked(const std::string &Text, const std::string &FileName,
                         RuleSet &Out, std::string &Error) {
  try {
    return loadRulePack(Text, FileName, Out, Error);
  } catch (const std::exception &E) {
    Error = FileName + ": invalid rule pack: " + E.what();
    return false;
  }
}

} // namespace tether
