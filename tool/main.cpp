//===--- main.cpp - The tether command line -------------------------------===//
//
//   tether [options] <files...> [-- <compiler flags>]
//
// Exit codes (docs/cli.md): 0 no findings, 1 findings, 2 usage, configuration
// or tool error, a translation unit that could not be analyzed, or a fix-it
// that could not be applied (--fix, docs/fixes.md).
//
//===----------------------------------------------------------------------===//

#include "Cache.h"
#include "Baseline.h"
#include "Config.h"
#include "DiffMode.h"
#include "Driver.h"
#include "FixApply.h"
#include "Progress.h"
#include "Session.h"
#include "Suppressions.h"
#include "lsp/Server.h"
#include "output/Writers.h"

#include "core/Glob.h"

#include "llvm/Config/llvm-config.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <set>
#include <sstream>
#include <thread>
#include <unistd.h>

using namespace tether;

namespace {

constexpr int ExitClean = 0;
constexpr int ExitFindings = 1;
constexpr int ExitError = 2;

int fail(const std::string &Message) {
  std::cerr << "tether: error: " << Message << "\n";
  return ExitError;
}

/// Writes to a temporary file beside the target and renames it into place,
/// so a failed run never leaves a half-written report.
class OutputFile {
public:
  bool open(const std::string &Path, std::string &Error) {
    Target = Path;
    llvm::SmallString<256> Model(Path);
    Model += ".tmp-%%%%%%";
    int FD = -1;
    llvm::SmallString<256> Tmp;
    if (std::error_code EC = llvm::sys::fs::createUniqueFile(Model, FD, Tmp)) {
      Error = "cannot write output file '" + Path + "': " + EC.message();
      return false;
    }
    ::close(FD);
    TmpPath = std::string(Tmp);
    Stream.open(TmpPath, std::ios::binary | std::ios::trunc);
    if (!Stream) {
      Error = "cannot write output file '" + Path + "'";
      llvm::sys::fs::remove(TmpPath);
      return false;
    }
    return true;
  }
  std::ostream &stream() { return Stream; }
  bool commit(std::string &Error) {
    Stream.flush();
    bool Ok = static_cast<bool>(Stream);
    Stream.close();
    if (Ok) {
      if (std::error_code EC = llvm::sys::fs::rename(TmpPath, Target)) {
        Error = "cannot write output file '" + Target + "': " + EC.message();
        Ok = false;
      }
    } else {
      Error = "cannot write output file '" + Target + "' (disk full?)";
    }
    if (!Ok)
      llvm::sys::fs::remove(TmpPath);
    TmpPath.clear();
    return Ok;
  }
  ~OutputFile() {
    if (!TmpPath.empty())
      llvm::sys::fs::remove(TmpPath);
  }

private:
  std::string Target, TmpPath;
  std::ofstream Stream;
};

/// The flags after `--`. A build tool that runs tether as its compiler's
/// companion (CMake's CMAKE_CXX_CLANG_TIDY) passes the whole compile
/// command: the compiler first, then `-c <source>` among the flags. The
/// compiler and the source files (which tether adds itself) are dropped, as
/// clang-tidy does; `-c`, `-o` and dependency-file flags are harmless, the
/// driver strips them for a syntax-only run.
std::vector<std::string> compilerFlags(const std::vector<std::string> &In,
                                       const std::vector<std::string> &Files) {
  std::vector<std::string> Out;
  std::set<std::string> Sources;
  for (const std::string &F : Files) {
    llvm::SmallString<256> A(F);
    llvm::sys::fs::make_absolute(A);
    llvm::sys::path::remove_dots(A, true);
    Sources.insert(std::string(A));
  }
  for (size_t I = 0; I < In.size(); ++I) {
    const std::string &Arg = In[I];
    if (I == 0 && !Arg.empty() && Arg[0] != '-') {
      llvm::StringRef Name = llvm::sys::path::filename(Arg);
      if (!Name.ends_with(".c") && !Name.ends_with(".cc") &&
          !Name.ends_with(".cpp") && !Name.ends_with(".cxx"))
        continue; // the compiler
    }
    if (!Arg.empty() && Arg[0] != '-') {
      llvm::SmallString<256> A(Arg);
      llvm::sys::fs::make_absolute(A);
      llvm::sys::path::remove_dots(A, true);
      if (Sources.count(std::string(A)))
        continue; // the source file again (`-c foo.cpp`)
    }
    if (Arg == "-c")
      continue;
    Out.push_back(Arg);
  }
  return Out;
}

/// Stable across runs and machines (FNV-1a), for facts file names.
std::string pathHash(const std::string &S) {
  uint64_t H = 1469598103934665603ull;
  for (unsigned char C : S) {
    H ^= C;
    H *= 1099511628211ull;
  }
  char Buf[17];
  std::snprintf(Buf, sizeof Buf, "%016llx", static_cast<unsigned long long>(H));
  return Buf;
}

/// --facts-out: one file for one translation unit, else a directory with
/// one file per translation unit.
bool writeFactsOutput(const std::string &Path,
                      const std::vector<TUFacts> &Facts, std::string &Error) {
  bool IsDir = llvm::sys::fs::is_directory(Path) || Facts.size() != 1;
  if (!IsDir)
    return writeFactsFile(Path, Facts.front(), Error);
  if (std::error_code EC = llvm::sys::fs::create_directories(Path)) {
    Error = "cannot create facts directory '" + Path + "': " + EC.message();
    return false;
  }
  for (const TUFacts &F : Facts) {
    llvm::SmallString<256> File(Path);
    llvm::sys::path::append(File, llvm::sys::path::filename(F.MainFile) + "-" +
                                      pathHash(F.MainFile) + ".facts.json");
    if (!writeFactsFile(std::string(File), F, Error))
      return false;
  }
  return true;
}

/// --merge: facts files, and directories of them (every *.facts.json).
bool readFactsInputs(const std::vector<std::string> &Inputs,
                     std::vector<TUFacts> &Out, std::string &Error) {
  std::vector<std::string> Files;
  for (const std::string &In : Inputs) {
    if (!llvm::sys::fs::is_directory(In)) {
      Files.push_back(In);
      continue;
    }
    std::error_code EC;
    for (llvm::sys::fs::directory_iterator It(In, EC), End; It != End && !EC;
         It.increment(EC))
      if (llvm::StringRef(It->path()).ends_with(".facts.json"))
        Files.push_back(It->path());
    if (EC) {
      Error = "cannot read facts directory '" + In + "': " + EC.message();
      return false;
    }
  }
  std::sort(Files.begin(), Files.end());
  if (Files.empty()) {
    Error = "--merge: no facts files (*.facts.json) found";
    return false;
  }
  for (const std::string &F : Files) {
    TUFacts T;
    if (!readFactsFile(F, T, Error))
      return false;
    Out.push_back(std::move(T));
  }
  return true;
}

/// --fix: formats and writes the planned edits, reports conflicts and
/// errors on stderr. A file that cannot be formatted is refused before any
/// write (the plan is made again without it); a file that cannot be written
/// leaves the others written. Returns false when some fix-it could not be
/// applied for an error (not a conflict).
bool applyFixes(FixPlan &Plan, const std::vector<Diagnostic> &Findings,
                bool WithNotes, const std::string &Style, bool Quiet) {
  std::vector<FixError> Refused;
  std::map<std::string, std::string> NewCode;
  for (bool Again = true; Again;) {
    Again = false;
    NewCode.clear();
    for (const FileEdits &E : Plan.Files) {
      std::string Code, Error;
      if (formatEdits(E, Style, Code, Error)) {
        NewCode[E.File] = std::move(Code);
        continue;
      }
      Refused.push_back({E.File, Error});
      Again = true;
    }
    if (Again)
      Plan = planFixes(Findings, WithNotes, diskReader(), Refused);
  }
  size_t Written = 0;
  std::vector<std::pair<std::string, std::string>> WriteErrors;
  for (const FileEdits &E : Plan.Files) {
    const std::string &Code = NewCode[E.File];
    if (Code == E.Original)
      continue; // nothing changes: the file keeps its time stamp
    std::string Error;
    if (writeFileAtomically(E.File, Code, Error))
      ++Written;
    else
      WriteErrors.push_back({E.File, Error});
  }
  for (const auto &[File, Error] : WriteErrors)
    failFile(Plan, Findings, WithNotes, File,
             Error + "; its fix-its are not applied");
  for (const FixConflict &C : Plan.Conflicts)
    std::cerr << "tether: " << C.Message << "\n";
  for (const FixError &E : Plan.Errors)
    std::cerr << "tether: error: " << E.Message << "\n";
  if (!Quiet)
    std::cerr << "tether: " << fixSummary(Plan, Written) << "\n";
  return Plan.Errors.empty();
}

const char *confidenceName(Confidence C) {
  return C == Confidence::High ? "high" : C == Confidence::Medium ? "medium"
                                                                  : "low";
}

} // namespace

int main(int argc, char **argv) {
  // `tether lsp` (or `--lsp`): the language server, with options of its own.
  if (argc >= 2 && (std::string(argv[1]) == "lsp" ||
                    std::string(argv[1]) == "--lsp"))
    return lsp::lspCommand(argc - 1, argv + 1, TETHER_VERSION,
                           TETHER_DOCS_BASE_URI);
  // Everything after the first "--" is compiler flags, as in clang-tidy.
  std::vector<std::string> Args;
  std::optional<std::vector<std::string>> FixedFlags;
  for (int I = 1; I < argc; ++I) {
    if (std::string(argv[I]) == "--") {
      FixedFlags.emplace(argv + I + 1, argv + argc);
      break;
    }
    Args.push_back(argv[I]);
  }

  CLI::App App{"tether: finds concurrency anti-patterns in C++ code (spawn-*, "
               "send-*, global-*, observability-*, supervision-*)",
               "tether"};
  App.footer("Exit codes: 0 no findings, 1 findings, 2 usage, configuration "
             "or tool error (including a file that could not be analyzed, "
             "or a fix-it that could not be applied).\n"
             "Configuration: .tether.json files (docs/cli.md); NOLINT "
             "comments as in clang-tidy.\n"
             "Docs: docs/checks/<check>.md, docs/cli.md, docs/rules.md");
  std::vector<std::string> Files;
  std::string BuildPath, ChecksSpec = "*", Format = "text", OutputPath,
                         HeaderFilter, Color = "auto";
  std::vector<std::string> RuleFiles, ExtraArgs, ExtraArgsBefore;
  bool ListChecks = false, Version = false, NoDefaultRules = false,
       StrictGlobals = false, Quiet = false, NoProject = false,
       DumpInferred = false, ParseOnly = false, NoCache = false,
       ExitZero = false, Fix = false, FixNotes = false;
  std::string ExportFixes, FormatStyle = "file";
  std::string DiffRev, DiffScope = "lines";
  std::string CacheDir;
  std::string FactsOut, Shard;
  std::vector<std::string> MergeInputs;
  unsigned Jobs = std::max(1u, std::thread::hardware_concurrency());
  std::string ConfigFile, DumpConfigFor, WarningsAsErrors, BaselinePath,
      WriteBaselinePath;
  Limits Limit;
  std::vector<std::string> DebugInject;

  App.add_option("files", Files, "Source files to analyze");
  App.add_option("-p,--build-path", BuildPath,
                 "Build directory containing compile_commands.json; without "
                 "files, analyze every translation unit in it");
  App.add_option("--checks", ChecksSpec,
                 "Comma-separated globs of checks to enable, clang-tidy "
                 "syntax (e.g. '-*,spawn-*'); default '*'");
  App.add_flag("--list-checks", ListChecks,
               "List the enabled checks and exit");
  App.add_option("--format", Format,
                 "Output format: text, json, sarif or codeclimate")
      ->check(CLI::IsMember({"text", "json", "sarif", "codeclimate"}));
  App.add_option("-o,--output", OutputPath,
                 "Write the report to this file (atomically) instead of "
                 "stdout");
  App.add_option("-j,--jobs", Jobs,
                 "Translation units analyzed in parallel (default: cores)")
      ->check(CLI::Range(1u, 1024u));
  App.add_option("--header-filter", HeaderFilter,
                 "Regex: report findings in headers whose path matches "
                 "(main files are always reported, system headers never)");
  App.add_option("--rules", RuleFiles,
                 "Extra rule pack (JSON, see docs/rules.md); repeatable")
      ->expected(1)
      ->allow_extra_args(false)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  App.add_flag("--no-default-rules", NoDefaultRules,
               "Do not load the built-in rule packs");
  App.add_flag("--strict-globals", StrictGlobals,
               "global-*: flag every mutable global, shared or not");
  App.add_option("--extra-arg", ExtraArgs,
                 "Compiler argument appended to every command; repeatable")
      ->expected(1)
      ->allow_extra_args(false)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  App.add_option("--extra-arg-before", ExtraArgsBefore,
                 "Compiler argument prepended to every command; repeatable")
      ->expected(1)
      ->allow_extra_args(false)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  App.add_option("--color", Color, "auto, always or never")
      ->check(CLI::IsMember({"auto", "always", "never"}));
  App.add_option("--config-file", ConfigFile,
                 "Use this configuration file for every file instead of "
                 "searching for .tether.json files");
  App.add_option("--dump-config", DumpConfigFor,
                 "Print the effective configuration for this file (default: "
                 "the working directory) as JSON and exit")
      ->expected(0, 1);
  App.add_option("--warnings-as-errors", WarningsAsErrors,
                 "Check globs whose findings are reported as errors");
  App.add_option("--baseline", BaselinePath,
                 "Report only the findings that are not in this baseline "
                 "file");
  App.add_option("--write-baseline", WriteBaselinePath,
                 "Write the fingerprints of the findings to this baseline "
                 "file, report them, and exit 0");
  App.add_flag("-q,--quiet", Quiet,
               "Do not print progress or the summary line");
  App.add_flag("--no-project", NoProject,
               "Analyze each translation unit on its own: no project step "
               "(inferred wrappers, cross-file checks)");
  App.add_flag("--dump-inferred-rules", DumpInferred,
               "Print the wrappers inferred from the analyzed code as a rule "
               "pack (with the evidence in each 'why') instead of the report");
  App.add_option("--cache-dir", CacheDir,
                 "Result cache directory (default: $XDG_CACHE_HOME/tether or "
                 "~/.cache/tether): a translation unit whose inputs did not "
                 "change is not parsed again");
  App.add_flag("--no-cache", NoCache, "Do not read or write the result cache");
  App.add_option("--diff", DiffRev,
                 "Analyze only the translation units a change touches (since "
                 "this git revision, or a unified diff on stdin with '-') "
                 "and report only findings on changed lines");
  App.add_option("--diff-scope", DiffScope,
                 "With --diff: 'lines' (findings on changed lines) or "
                 "'files' (anywhere in changed files)")
      ->check(CLI::IsMember({"lines", "files"}));
  App.add_flag("--exit-zero", ExitZero,
               "Exit 0 even when there are findings (a tool error still "
               "exits 2): for a compiler launcher that must not fail the "
               "build");
  App.add_flag("--fix", Fix,
               "Apply the fix-its of the reported findings in place "
               "(docs/fixes.md)");
  App.add_flag("--fix-notes", FixNotes,
               "For a finding without fix-its of its own, apply those of "
               "its first note that has some (in --export-fixes too); "
               "implies --fix");
  App.add_option("--export-fixes", ExportFixes,
                 "Write the fix-its of the reported findings to this YAML "
                 "file, for clang-apply-replacements");
  App.add_option("--format-style", FormatStyle,
                 "Format the lines --fix changes: 'file' (the nearest "
                 ".clang-format, else LLVM), a style name such as 'LLVM', "
                 "'{key: value, ...}', or 'none' (default: file)");
  App.add_flag("--parse-only", ParseOnly,
               "Parse every translation unit and run no check (the floor "
               "the benchmarks measure against)");
  App.add_option("--facts-out", FactsOut,
                 "Also write the facts of each translation unit: to this "
                 "file for one translation unit, into this directory for "
                 "several (docs/project-model.md)");
  App.add_option("--merge", MergeInputs,
                 "Report from facts files (or directories of them) written "
                 "by --facts-out, instead of parsing; repeatable")
      ->expected(1)
      ->allow_extra_args(false)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  App.add_option("--shard", Shard,
                 "K/N: analyze only the K-th of N shards of the translation "
                 "units (with --facts-out, for a sharded CI merged later)");
  App.add_option("--tu-timeout", Limit.TUTimeoutSeconds,
                 "Stop analyzing a translation unit after this many seconds "
                 "and report it as not analyzed (0: no limit; default 600)")
      ->check(CLI::Range(0.0, 1e7));
  App.add_option("--tu-memory", Limit.TUMemoryMiB,
                 "Stop analyzing a translation unit that allocates more than "
                 "this many MiB and report it as not analyzed (0: no limit; "
                 "default 8192)")
      ->check(CLI::Range(uint64_t(0), uint64_t(1) << 30));
  App.add_option("--check-timeout", Limit.CheckTimeoutSeconds,
                 "Skip a check on a translation unit after this many seconds "
                 "(reported as skipped; 0: no limit; default 120)")
      ->check(CLI::Range(0.0, 1e7));
  // Test-only fault injection (docs/robustness.md), not in --help.
  App.add_option("--debug-inject", DebugInject)
      ->group("")
      ->expected(1)
      ->allow_extra_args(false)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  App.add_flag("--version", Version, "Print the version and exit");

  try {
    std::vector<std::string> Rev(Args.rbegin(), Args.rend());
    App.parse(Rev); // CLI11 takes the arguments in reverse order
  } catch (const CLI::CallForHelp &E) {
    std::cout << App.help();
    return ExitClean;
  } catch (const CLI::ParseError &E) {
    std::cerr << "tether: error: " << E.what() << "\n"
              << "Run 'tether --help' for usage.\n";
    return ExitError;
  }

  if (Version) {
    std::cout << "tether version " << TETHER_VERSION << "\n"
              << "built with LLVM " << LLVM_VERSION_STRING << "\n";
    return ExitClean;
  }

  for (const std::string &Spec : DebugInject)
    if (std::string E = checkDebugInject(Spec); !E.empty())
      return fail(E);

  CheckRegistry Registry;
  registerAllChecks(Registry);
  CheckGlobs Globs;
  std::string Err;
  if (!Globs.parse(ChecksSpec, Err))
    return fail("--checks: " + Err);

  ConfigOverrides Overrides;
  if (App.count("--checks"))
    Overrides.Checks = ChecksSpec;
  if (App.count("--warnings-as-errors")) {
    CheckGlobs WaE;
    if (!WaE.parse(WarningsAsErrors, Err))
      return fail("--warnings-as-errors: " + Err);
    Overrides.WarningsAsErrors = WarningsAsErrors;
  }
  if (App.count("--header-filter"))
    Overrides.HeaderFilter = HeaderFilter;
  Overrides.Rules = RuleFiles;
  Overrides.StrictGlobals = StrictGlobals;
  ConfigResolver Configs(Overrides, ConfigFile);
  if (App.count("--dump-config")) {
    llvm::SmallString<256> For(DumpConfigFor.empty() ? "." : DumpConfigFor);
    llvm::sys::fs::make_absolute(For);
    if (llvm::sys::fs::is_directory(For))
      llvm::sys::path::append(For, ".");
    auto C = Configs.forFile(std::string(For), Err);
    if (!C)
      return fail(Err);
    std::cout << C->toJson().dump(2, ' ', false,
                                  nlohmann::json::error_handler_t::replace)
              << "\n";
    return ExitClean;
  }
  // The checks of the working directory's configuration and --checks;
  // other directories may have their own (see Session.h).
  llvm::SmallString<256> Here(".");
  llvm::sys::fs::make_absolute(Here);
  auto HereConfig = Configs.forFile(std::string(Here), Err);
  if (!HereConfig || !Globs.parse(HereConfig->Checks, Err))
    return fail(Err);
  std::vector<const CheckDescriptor *> Enabled;
  for (const CheckDescriptor &C : Registry.checks())
    if (Globs.enabled(C.Name))
      Enabled.push_back(&C);

  if (ListChecks) {
    std::cout << "Enabled checks:\n";
    for (const CheckDescriptor *C : Enabled)
      std::cout << "    " << C->Name << "  (" << confidenceName(C->Level)
                << ")  " << C->Summary << "\n";
    return ExitClean;
  }
  // With configuration files, another directory may still enable some: the
  // session decides.
  if (Enabled.empty() && HereConfig->Sources.empty())
    return fail("no checks enabled by --checks '" + ChecksSpec +
                "' (see --list-checks)");

  DriverOptions O;
  if (!NoDefaultRules && !loadBuiltinRules(O.Rules, Err))
    return fail(Err);
  for (const std::string &F : RuleFiles)
    if (!loadRulePackFileChecked(F, O.Rules, Err))
      return fail(Err);

  if (Files.empty() && BuildPath.empty() && MergeInputs.empty())
    return fail("no input files; pass files, or -p <build-dir> to analyze "
                "every file of a compilation database");
  if (!Shard.empty()) {
    unsigned K = 0, N = 0;
    char Slash = 0;
    std::istringstream SS(Shard);
    if (!(SS >> K >> Slash >> N) || Slash != '/' || !SS.eof() || K == 0 ||
        N == 0 || K > N)
      return fail("--shard: expected K/N with 1 <= K <= N, got '" + Shard +
                  "'");
    O.ShardIndex = K;
    O.ShardCount = N;
  }
  if (!MergeInputs.empty() && (!Files.empty() || !BuildPath.empty()))
    return fail("--merge reports from facts files: do not also pass files "
                "or -p");
  if (NoProject && DumpInferred)
    return fail("--dump-inferred-rules needs the project step (drop "
                "--no-project)");
  O.Files = Files;
  O.BuildPath = BuildPath;
  if (FixedFlags)
    O.FixedFlags = compilerFlags(*FixedFlags, Files);
  ChangedLines Changed;
  if (!DiffRev.empty()) {
    if (!MergeInputs.empty())
      return fail("--diff chooses translation units to parse; it does not "
                  "go with --merge");
    if (DiffRev == "-") {
      std::stringstream SS;
      SS << std::cin.rdbuf();
      llvm::SmallString<256> Cwd;
      llvm::sys::fs::current_path(Cwd);
      Changed = parseUnifiedDiff(SS.str(), std::string(Cwd));
    } else if (!gitChangedLines(DiffRev, Changed, Err)) {
      return fail(Err);
    }
    // The candidates: the files given, else every file of the database.
    std::vector<std::string> Candidates = Files;
    if (Candidates.empty() && !BuildPath.empty()) {
      llvm::SmallString<256> Db(BuildPath);
      llvm::sys::path::append(Db, "compile_commands.json");
      std::ifstream In{std::string(Db)};
      nlohmann::json J = nlohmann::json::parse(In, nullptr, false);
      if (J.is_array())
        for (const auto &E : J)
          if (E.is_object() && E.contains("file") && E["file"].is_string()) {
            std::string F = E["file"];
            if (!llvm::sys::path::is_absolute(F) && E.contains("directory") &&
                E["directory"].is_string()) {
              llvm::SmallString<256> A(E["directory"].get<std::string>());
              llvm::sys::path::append(A, F);
              F = std::string(A);
            }
            if (std::find(Candidates.begin(), Candidates.end(), F) ==
                Candidates.end())
              Candidates.push_back(F);
          }
    }
    std::string Deps = NoCache ? std::string()
                               : (CacheDir.empty() ? defaultCacheDir()
                                                   : CacheDir);
    std::vector<std::string> Touched;
    for (const std::string &F : Candidates) {
      llvm::SmallString<256> A(F);
      llvm::sys::fs::make_absolute(A);
      llvm::sys::path::remove_dots(A, true);
      bool Hit = Changed.count(std::string(A)) != 0;
      for (const std::string &D : lastDependencies(Deps, std::string(A)))
        Hit = Hit || Changed.count(D) != 0;
      if (Hit)
        Touched.push_back(F);
    }
    if (Touched.empty()) {
      if (!Quiet)
        std::cerr << "tether: the change touches no translation unit\n";
      return ExitClean;
    }
    O.Files = Touched;
  }
  O.ExtraArgs = ExtraArgs;
  O.ExtraArgsBefore = ExtraArgsBefore;
  O.Jobs = Jobs;
  O.Limits = Limit;
  O.DebugInject = DebugInject;
  O.HeaderFilter = HeaderFilter;
  O.Options.StrictGlobals = StrictGlobals;
  O.Checks = Enabled;
  O.Project = !NoProject && !ParseOnly;
  O.ParseOnly = ParseOnly;
  if (!NoCache) {
    O.CacheDir = CacheDir.empty() ? defaultCacheDir() : CacheDir;
    // Everything of this run that decides a translation unit's result
    // before its files are read: the binary itself (its checks and built-in
    // packs), the extra packs' text, the checks, the options.
    std::string Key = "tether-cache-key 1\n";
    std::string Exe = llvm::sys::fs::getMainExecutable(
        argv[0], reinterpret_cast<void *>(&fail));
    // The binary by path, size and modification time, as ccache identifies
    // a compiler by default: hashing 100+ MB on every run would cost more
    // than a warm run's whole budget, and any rebuild changes the time.
    llvm::sys::fs::file_status St;
    if (!llvm::sys::fs::status(Exe, St))
      Key += Exe + " " + std::to_string(St.getSize()) + " " +
             std::to_string(St.getLastModificationTime()
                                .time_since_epoch()
                                .count()) +
             " " + std::to_string(St.getUniqueID().getFile());
    else
      Key += "?";
    Key += NoDefaultRules ? " no-default-rules" : "";
    for (const std::string &F : RuleFiles) {
      auto Pack = llvm::MemoryBuffer::getFile(F);
      Key += "\npack " + (Pack ? hashText((*Pack)->getBuffer().str()) : F);
    }
    for (const CheckDescriptor *C : Enabled)
      Key += "\ncheck " + C->Name;
    Key += "\nstrict " + std::to_string(StrictGlobals);
    for (const auto &[K, V] : O.Options.Values)
      Key += "\noption " + K + "=" + V;
    Key += "\nheader-filter " + HeaderFilter;
    Key += "\nproject " + std::to_string(O.Project);
    for (const std::string &A : ExtraArgsBefore)
      Key += "\nextra-arg-before " + A;
    for (const std::string &A : ExtraArgs)
      Key += "\nextra-arg " + A;
    O.CacheKey = hashText(Key);
  }

  // Fail on an unwritable output before spending time on the analysis.
  OutputFile Out;
  if (!OutputPath.empty() && !Out.open(OutputPath, Err))
    return fail(Err);
  OutputFile BaselineOut;
  if (!WriteBaselinePath.empty() && !BaselineOut.open(WriteBaselinePath, Err))
    return fail(Err);
  if (FixNotes)
    Fix = true;
  OutputFile FixesOut;
  if (!ExportFixes.empty() && !FixesOut.open(ExportFixes, Err))
    return fail("--export-fixes: " + Err);
  if (Fix && !checkFormatStyle(FormatStyle, Err))
    return fail(Err);
  std::vector<BaselineEntry> Baseline;
  if (!BaselinePath.empty() && !readBaseline(BaselinePath, Baseline, Err))
    return fail(Err);

  ProjectOutput Project;
  SessionResult Session;
  if (!MergeInputs.empty()) {
    // A report from facts: the command line's checks and rules, NOLINT
    // comments; per-directory configuration files do not apply.
    std::vector<TUFacts> Facts;
    if (!readFactsInputs(MergeInputs, Facts, Err))
      return fail(Err);
    O.Checks = Enabled;
    Session.Run = reportFromFacts(std::move(Facts), O, &Project);
    Session.Checks = Enabled;
    applySuppressions(Session.Run);
  } else {
    SessionOptions S;
    S.Driver = O;
    S.NoDefaultRules = NoDefaultRules;
    S.Registry = &Registry;
    S.Configs = &Configs;
    S.KeepFacts = !FactsOut.empty() || !O.CacheDir.empty();
    S.Project = &Project;
    Progress Prog(std::cerr, ::isatty(STDERR_FILENO));
    if (!Quiet)
      S.OnFileDone = [&Prog](const std::string &File, size_t Done,
                             size_t Total) { Prog.fileDone(File, Done, Total); };
    auto Result = runSession(S);
    Prog.finish();
    if (auto *E = std::get_if<DriverSetupError>(&Result))
      return fail(E->Message);
    Session = std::move(std::get<SessionResult>(Result));
    if (!FactsOut.empty() && !writeFactsOutput(FactsOut, Session.Facts, Err))
      return fail(Err);
    // What each unit read, for a later --diff to know what a change touches.
    for (const TUFacts &F : Session.Facts)
      if (!F.Failed)
        recordDependencies(O.CacheDir, F.MainFile, F.Files);
  }
  if (!DiffRev.empty()) {
    bool Whole = DiffScope == "files";
    auto &Ds = Session.Run.Diagnostics;
    Ds.erase(std::remove_if(Ds.begin(), Ds.end(),
                            [&](const Diagnostic &D) {
                              return !onChangedLines(D, Changed, Whole);
                            }),
             Ds.end());
  }
  RunResult &R = Session.Run;
  if (Session.NoChecksEnabled)
    return fail("no checks enabled by --checks '" + ChecksSpec +
                "' and the configuration files (see --dump-config)");

  if (DumpInferred) {
    std::ostream &OS = OutputPath.empty() ? std::cout : Out.stream();
    OS << Project.InferredPack;
    OS.flush();
    if (!OutputPath.empty() && !Out.commit(Err))
      return fail(Err);
    writeErrorsText(R, std::cerr, false);
    if (!Quiet)
      std::cerr << "tether: " << Project.InferredEntries
                << " inferred rule entr"
                << (Project.InferredEntries == 1 ? "y" : "ies") << " from "
                << R.FilesAnalyzed << " analyzed files\n";
    return R.Errors.empty() ? ExitClean : ExitError;
  }

  bool ToTerminal = OutputPath.empty() && ::isatty(STDOUT_FILENO) &&
                    !std::getenv("NO_COLOR");
  bool UseColor = Color == "always" || (Color == "auto" && ToTerminal);
  bool ErrColor = Color == "always" ||
                  (Color == "auto" && ::isatty(STDERR_FILENO) &&
                   !std::getenv("NO_COLOR"));

  OutputInfo Info;
  Info.ToolVersion = TETHER_VERSION;
  Info.LLVMVersion = LLVM_VERSION_STRING;
  Info.DocsBaseUri = TETHER_DOCS_BASE_URI;
  llvm::SmallString<256> Cwd;
  if (!llvm::sys::fs::current_path(Cwd))
    Info.WorkingDir = std::string(Cwd);
  Info.Checks = Session.Checks;
  Info.Notifications = takeToolNotifications();

  if (!WriteBaselinePath.empty()) {
    writeBaseline(R.Diagnostics, BaselineOut.stream());
    if (!BaselineOut.commit(Err))
      return fail(Err);
  }
  if (!BaselinePath.empty())
    applyBaseline(R, Baseline, Info.WorkingDir);

  std::ostream &OS = OutputPath.empty() ? std::cout : Out.stream();
  if (Format == "text")
    writeText(R, OS, UseColor);
  else if (Format == "json")
    writeJson(R, Info, OS);
  else if (Format == "codeclimate")
    writeCodeClimate(R, Info, OS);
  else
    writeSarif(R, Info, OS);
  OS.flush();
  if (!OutputPath.empty() && !Out.commit(Err))
    return fail(Err);

  bool FixFailed = false;
  if (Fix || !ExportFixes.empty()) {
    FixPlan Plan = planFixes(R.Diagnostics, FixNotes, diskReader());
    if (Fix)
      FixFailed = !applyFixes(Plan, R.Diagnostics, FixNotes, FormatStyle,
                              Quiet);
    if (!ExportFixes.empty()) {
      std::string Main;
      if (!O.Files.empty()) {
        llvm::SmallString<256> A(O.Files.front());
        llvm::sys::fs::make_absolute(A);
        llvm::sys::path::remove_dots(A, true);
        Main = std::string(A);
      }
      writeExportedFixes(R.Diagnostics, Plan, FixNotes, Main,
                         FixesOut.stream());
      if (!FixesOut.commit(Err))
        return fail(Err);
      if (!Fix)
        for (const FixConflict &C : Plan.Conflicts)
          std::cerr << "tether: " << C.Message << "\n";
    }
  }

  writeErrorsText(R, std::cerr, ErrColor);
  size_t SkippedChecks = 0;
  for (const ToolNotification &N : Info.Notifications)
    if (N.Level == "warning") {
      ++SkippedChecks;
      std::cerr << N.File << ": warning: " << N.Message << "\n";
    }
  if (!Quiet) {
    std::set<std::string> FilesWithFindings;
    for (const Diagnostic &D : R.Diagnostics)
      FilesWithFindings.insert(D.Pos.File);
    std::cerr << "tether: " << R.Diagnostics.size()
              << (R.Diagnostics.size() == 1 ? " finding" : " findings")
              << " in " << FilesWithFindings.size()
              << (FilesWithFindings.size() == 1 ? " file" : " files") << "; "
              << R.FilesAnalyzed << " analyzed";
    if (R.FromCache)
      std::cerr << " (" << R.FromCache << " from the cache)";
    if (!R.Errors.empty())
      std::cerr << ", " << R.Errors.size() << " could not be analyzed";
    if (SkippedChecks)
      std::cerr << "; " << SkippedChecks
                << (SkippedChecks == 1 ? " check" : " checks")
                << " skipped on a file (--check-timeout)";
    auto [Suppressed, Baselined] = countHidden(R);
    if (Suppressed)
      std::cerr << "; " << Suppressed << " suppressed by NOLINT";
    if (Baselined)
      std::cerr << "; " << Baselined << " in the baseline";
    if (!WriteBaselinePath.empty())
      std::cerr << "; baseline of " << R.Diagnostics.size()
                << (R.Diagnostics.size() == 1 ? " finding" : " findings")
                << " written to " << WriteBaselinePath;
    std::cerr << "\n";
  }
  if (!R.Errors.empty() || FixFailed)
    return ExitError;
  if (!WriteBaselinePath.empty())
    return ExitClean;
  if (ExitZero)
    return ExitClean;
  return R.Diagnostics.empty() ? ExitClean : ExitFindings;
}
