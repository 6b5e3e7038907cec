//===--- Session.cpp - One run: configurations, driver, suppressions ------===//

#include "Session.h"

#include "Cache.h"

#include "Suppressions.h"

#include "core/Glob.h"

#include "clang/Tooling/JSONCompilationDatabase.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"

#include <algorithm>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <sstream>

namespace tether {

namespace {

std::string absolutePath(const std::string &P) {
  llvm::SmallString<256> A(P);
  llvm::sys::fs::make_absolute(A);
  llvm::sys::path::remove_dots(A, true);
  return std::string(A);
}

/// The translation units of `-p` without files, as the driver would list
/// them; empty when the database cannot be read (the driver reports that).
std::vector<std::string> databaseFiles(const std::string &BuildPath) {
  llvm::SmallString<256> Json(BuildPath);
  llvm::sys::path::append(Json, "compile_commands.json");
  std::string Err;
  auto DB = clang::tooling::JSONCompilationDatabase::loadFromFile(
      Json, Err, clang::tooling::JSONCommandLineSyntax::AutoDetect);
  if (!DB)
    return {};
  return DB->getAllFiles();
}

struct Group {
  std::shared_ptr<const EffectiveConfig> Config;
  std::vector<std::string> Files;
};

} // namespace

std::variant<SessionResult, DriverSetupError>
runSession(const SessionOptions &S) {
  std::vector<std::string> Inputs = S.Driver.Files;
  if (Inputs.empty() && !S.Driver.BuildPath.empty() && !S.Driver.FixedFlags)
    Inputs = databaseFiles(S.Driver.BuildPath);

  SessionResult Out;
  std::string Err;
  std::vector<Group> Groups;
  std::map<std::string, size_t> GroupOf; // analysis key -> index
  if (Inputs.empty()) {
    // Let the driver report what is wrong with the database, under the
    // configuration of the working directory.
    auto C = S.Configs->forFile(absolutePath("."), Err);
    if (!C)
      return DriverSetupError{Err};
    Groups.push_back({C, {}});
  }
  for (const std::string &F : Inputs) {
    auto C = S.Configs->forFile(absolutePath(F), Err);
    if (!C)
      return DriverSetupError{Err};
    if (C->excludes(absolutePath(F))) {
      ++Out.FilesExcluded;
      continue;
    }
    auto [It, New] = GroupOf.emplace(C->analysisKey(), Groups.size());
    if (New)
      Groups.push_back({C, {}});
    Groups[It->second].Files.push_back(F);
  }

  size_t Total = Inputs.size() - Out.FilesExcluded, Offset = 0;
  std::optional<DriverOptions> ProjectOptions;
  std::vector<TUFacts> AllFacts;
  std::vector<bool> Ran(S.Registry->checks().size(), false);
  for (const Group &G : Groups) {
    DriverOptions O = S.Driver;
    O.Files = G.Files;
    CheckGlobs Globs;
    if (!Globs.parse(G.Config->Checks, Err))
      return DriverSetupError{"checks: " + Err};
    O.Checks.clear();
    for (size_t K = 0; K < S.Registry->checks().size(); ++K) {
      const CheckDescriptor &C = S.Registry->checks()[K];
      if (Globs.enabled(C.Name)) {
        O.Checks.push_back(&C);
        Ran[K] = true;
      }
    }
    if (O.Checks.empty()) { // this configuration turns every check off
      Offset += G.Files.size();
      continue;
    }
    O.Rules = RuleSet();
    if (!S.NoDefaultRules && !loadBuiltinRules(O.Rules, Err))
      return DriverSetupError{Err};
    for (const std::string &F : G.Config->Rules)
      if (!loadRulePackFileChecked(F, O.Rules, Err))
        return DriverSetupError{Err};
    O.Options.StrictGlobals = G.Config->StrictGlobals;
    O.Options.Values = G.Config->CheckOptions;
    O.HeaderFilter = G.Config->HeaderFilter;
    if (S.OnFileDone)
      O.OnFileDone = [&S, Offset, Total](const std::string &File, size_t Done,
                                         size_t) {
        S.OnFileDone(File, Offset + Done, Total);
      };
    // The cache key of this group: the run's and its configuration's
    // (checks, options, packs by content, header filter).
    if (!O.CacheKey.empty()) {
      std::string K = O.CacheKey + '\0' + G.Config->analysisKey();
      for (const std::string &F : G.Config->Rules) {
        std::ifstream In(F, std::ios::binary);
        std::stringstream SS;
        SS << In.rdbuf();
        K += '\0' + hashText(SS.str());
      }
      O.CacheKey = hashText(K);
    }
    // The project step runs once, below, over the facts of every group.
    O.ProjectStep = false;
    std::vector<TUFacts> GroupFacts;
    auto Result = runAnalysis(O, &GroupFacts);
    if (auto *E = std::get_if<DriverSetupError>(&Result))
      return *E;
    if (O.Project) {
      if (!ProjectOptions) {
        ProjectOptions = O; // the first group's packs and header filter
        ProjectOptions->Checks.clear();
      }
      for (TUFacts &F : GroupFacts)
        AllFacts.push_back(std::move(F));
    }
    RunResult &R = std::get<RunResult>(Result);
    for (Diagnostic &D : R.Diagnostics)
      Out.Run.Diagnostics.push_back(std::move(D));
    for (ToolError &E : R.Errors)
      Out.Run.Errors.push_back(std::move(E));
    Out.Run.FilesAnalyzed += R.FilesAnalyzed;
    Out.Run.FromCache += R.FromCache;
    Offset += G.Files.size();
  }
  Out.NoChecksEnabled =
      !Groups.empty() && std::find(Ran.begin(), Ran.end(), true) == Ran.end();
  for (size_t K = 0; K < Ran.size(); ++K)
    if (Ran[K])
      Out.Checks.push_back(&S.Registry->checks()[K]);
  // The project step, once over every translation unit of every group, for
  // every check that ran somewhere; the configuration of the file a finding
  // is in filters it below like any other.
  if (ProjectOptions) {
    ProjectOptions->Checks = Out.Checks;
    std::vector<TUFacts> Copy;
    if (S.KeepFacts)
      Copy = AllFacts;
    // A crash in the project step costs its findings, not the per-TU ones.
    std::vector<Diagnostic> ProjectDiags;
    Stopped Stop = runGuardedUnit(
        [&] {
          ProjectDiags =
              projectFindings(std::move(AllFacts), *ProjectOptions, S.Project);
        },
        Limits{0, 0, 0});
    if (Stop.Reason != StopReason::None)
      Out.Run.Errors.push_back(
          {"",
           "tether crashed in the project step (cross-file checks): " +
               Stop.What + "; the per-file findings are reported",
           Stop.Stack});
    for (Diagnostic &D : ProjectDiags)
      Out.Run.Diagnostics.push_back(std::move(D));
    if (S.KeepFacts) {
      // Only the analyzed units: context facts came from the cache.
      Copy.erase(std::remove_if(Copy.begin(), Copy.end(),
                                [](const TUFacts &F) { return F.ContextOnly; }),
                 Copy.end());
      Out.Facts = std::move(Copy);
    }
  }
  normalizeDiagnostics(Out.Run.Diagnostics);

  // The configuration of the file a finding is in (a header may have its
  // own) decides whether it is reported and how severe it is.
  std::map<std::string, std::pair<CheckGlobs, CheckGlobs>> GlobsOf;
  std::vector<Diagnostic> Kept;
  for (Diagnostic &D : Out.Run.Diagnostics) {
    auto C = S.Configs->forFile(D.Pos.File, Err);
    if (!C)
      return DriverSetupError{Err};
    if (C->excludes(D.Pos.File))
      continue;
    auto [It, New] = GlobsOf.try_emplace(D.Pos.File);
    if (New && (!It->second.first.parse(C->Checks, Err) ||
                !It->second.second.parse(C->WarningsAsErrors, Err)))
      return DriverSetupError{Err};
    if (!It->second.first.enabled(D.Check))
      continue;
    if (It->second.second.enabled(D.Check))
      D.Level = Severity::Error;
    Kept.push_back(std::move(D));
  }
  Out.Run.Diagnostics = std::move(Kept);
  applySuppressions(Out.Run);
  return Out;
}

} // namespace tether
