//===--- Driver.cpp - Compilation database, scheduling, per-TU runs -------===//

#include "Driver.h"

#include "Cache.h"

#include "analysis/FactExtractor.h"
#include "core/Check.h"
#include "core/Glob.h"
#include "project/ProjectModel.h"

#include "clang/AST/ASTConsumer.h"
#include "clang/AST/ASTContext.h"
#include "clang/Basic/DiagnosticOptions.h"
#include "clang/Basic/SourceManager.h"
#include "clang/Frontend/CompilerInstance.h"
#include "clang/Frontend/FrontendAction.h"
#include "clang/Frontend/TextDiagnosticPrinter.h"
#include "clang/Tooling/ArgumentsAdjusters.h"
#include "clang/Tooling/CompilationDatabase.h"
#include "clang/Tooling/JSONCompilationDatabase.h"
#include "clang/Tooling/Tooling.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/VirtualFileSystem.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/Support/thread.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <mutex>
#include <new>
#include <set>
#include <thread>
#include <tuple>

using namespace clang;
using namespace clang::tooling;

namespace tether {

const char *clangResourceDir() { return TETHER_CLANG_RESOURCE_DIR; }

namespace {

std::mutex NotificationsMutex;
std::vector<ToolNotification> Notifications; // guarded by NotificationsMutex

void notify(ToolNotification N) {
  std::lock_guard<std::mutex> Lock(NotificationsMutex);
  Notifications.push_back(std::move(N));
}

const char *const InjectKinds[] = {"crash",     "abort",  "stack-overflow",
                                   "bad-alloc", "memory", "hang",
                                   "slow-check"};

/// The fault --debug-inject asks for in `File` (absolute or displayed, or
/// its name), or "".
std::string injectedFault(const DriverOptions &O, const std::string &Abs,
                          const std::string &Display) {
  for (const std::string &Spec : O.DebugInject) {
    size_t Colon = Spec.find(':');
    std::string Glob = Spec.substr(Colon + 1);
    if (globMatch(Glob, Abs) || globMatch(Glob, Display) ||
        globMatch(Glob, llvm::sys::path::filename(Abs).str()))
      return Spec.substr(0, Colon);
  }
  return "";
}

[[gnu::noinline]] int overflowStack(volatile char *Prev) {
  volatile char Pad[1024];
  Pad[0] = static_cast<char>(Prev ? Prev[0] + 1 : 0);
  int R = overflowStack(Pad);
  return R + Pad[1];
}

/// Runs the injected fault; "hang" and "slow-check" wait until interrupted.
void runInjectedFault(const std::string &Kind) {
  if (Kind == "crash") {
    volatile int *Null = nullptr;
    *Null = 42;
  } else if (Kind == "abort") {
    std::abort(); // what a failed assert() does
  } else if (Kind == "stack-overflow") {
    overflowStack(nullptr);
  } else if (Kind == "bad-alloc") {
    throw std::bad_alloc();
  } else if (Kind == "memory") {
    std::vector<std::unique_ptr<char[]>> Hog;
    for (;;) {
      Hog.emplace_back(new char[1 << 20]);
      std::memset(Hog.back().get(), 1, 1 << 20);
    }
  } else if (Kind == "hang" || Kind == "slow-check") {
    for (;;)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

/// Keeps the compiler's errors (not its warnings: tether is not a compiler)
/// as clang prints them, for the report of a file that could not be parsed.
class ErrorCollector : public DiagnosticConsumer {
public:
  ErrorCollector() : OS(Text), Printer(OS, makeOpts()) {}

  void BeginSourceFile(const LangOptions &LO, const Preprocessor *PP) override {
    Printer.BeginSourceFile(LO, PP);
  }
  void EndSourceFile() override { Printer.EndSourceFile(); }
  void HandleDiagnostic(DiagnosticsEngine::Level Level,
                        const clang::Diagnostic &Info) override {
    DiagnosticConsumer::HandleDiagnostic(Level, Info);
    if (Level >= DiagnosticsEngine::Error) {
      InError = true;
      if (FirstError.empty()) {
        llvm::SmallString<128> Msg;
        Info.FormatDiagnostic(Msg);
        FirstError = std::string(Msg);
      }
    } else if (Level != DiagnosticsEngine::Note) {
      InError = false;
    }
    if (InError)
      Printer.HandleDiagnostic(Level, Info);
  }
  std::string text() {
    OS.flush();
    return Text;
  }
  std::string FirstError;

private:
  static DiagnosticOptions *makeOpts() {
    auto *O = new DiagnosticOptions();
    O->ShowColors = false;
    return O;
  }
  std::string Text;
  llvm::raw_string_ostream OS;
  TextDiagnosticPrinter Printer;
  bool InError = false;
};

/// What the checks of one translation unit skipped (--check-timeout).
struct SkippedChecks {
  std::vector<Stopped> Checks;
};

/// Per-TU consumer: sets up the CheckContext, restricts traversal to the
/// declarations outside system headers and runs the matchers. Each check
/// has a MatchFinder of its own and runs under its time budget: the report
/// of a crash names the check, and a check past its budget is skipped
/// alone (its findings in this unit are dropped, the others' kept).
class TetherConsumer : public ASTConsumer {
public:
  TetherConsumer(const DriverOptions &O, std::string MainDisplay, TUFacts &Out,
                 std::string Inject, SkippedChecks &Skipped)
      : Out(Out), Project(O.Project), ParseOnly(O.ParseOnly), Limit(O.Limits),
        Inject(std::move(Inject)), Skipped(Skipped),
        Ctx(O.Rules, O.Options, std::move(MainDisplay),
            O.HeaderFilter.empty()
                ? std::nullopt
                : std::optional<llvm::Regex>(llvm::Regex(O.HeaderFilter))) {
    for (const CheckDescriptor *D : O.Checks) {
      Checks.push_back(D->Create(Ctx));
      Finders.push_back(std::make_unique<ast_matchers::MatchFinder>());
      Checks.back()->registerMatchers(Finders.back().get());
    }
  }

  void HandleTranslationUnit(ASTContext &AST) override {
    if (AST.getDiagnostics().hasErrorOccurred())
      return; // reported as a tool error; findings on a broken AST mislead
    if (ParseOnly)
      return;
    Ctx.setASTContext(AST);
    const SourceManager &SM = AST.getSourceManager();
    std::vector<Decl *> Scope;
    for (Decl *D : AST.getTranslationUnitDecl()->decls())
      if (!SM.isInSystemHeader(SM.getFileLoc(D->getLocation())))
        Scope.push_back(D);
    AST.setTraversalScope(Scope);
    if (Inject == "hang") {
      setPhase("parsing");
      runInjectedFault(Inject);
    }
    if (!Inject.empty() && Inject != "hang")
      if (!runCheck("tether-debug-inject", [&] { runInjectedFault(Inject); }))
        Inject.clear();
    std::set<std::string> SkippedNames;
    for (size_t I = 0; I < Checks.size(); ++I)
      if (!runCheck(Checks[I]->name().str(),
                    [&] { Finders[I]->matchAST(AST); }))
        SkippedNames.insert(Checks[I]->name().str());
    // The same parse yields the project facts, on the analyses the checks
    // built.
    if (Project) {
      std::string Main = Out.MainFile, Display = Out.DisplayFile;
      TUFacts Facts;
      if (runCheck("fact extraction", [&] { Facts = extractFacts(Ctx); }))
        Out = std::move(Facts);
      Out.MainFile = std::move(Main);
      Out.DisplayFile = std::move(Display);
    }
    setPhase("collecting the results");
    for (Diagnostic &D : Ctx.takeDiagnostics())
      if (!SkippedNames.count(D.Check))
        Out.Diagnostics.push_back(std::move(D));
    // Every file the translation unit read, for the result cache.
    for (auto It = SM.fileinfo_begin(); It != SM.fileinfo_end(); ++It) {
      llvm::SmallString<256> P(It->first.getName());
      if (SM.getFileManager().getVirtualFileSystem().makeAbsolute(P))
        llvm::sys::fs::make_absolute(P);
      llvm::sys::path::remove_dots(P, /*remove_dot_dot=*/true);
      Out.Files.push_back(std::string(P));
    }
    std::sort(Out.Files.begin(), Out.Files.end());
    Out.Files.erase(std::unique(Out.Files.begin(), Out.Files.end()),
                    Out.Files.end());
  }

private:
  /// Runs one check under its budget; false when it was skipped.
  bool runCheck(const std::string &Name, llvm::function_ref<void()> Fn) {
    Stopped S = runGuardedCheck(Fn, Limit, Name);
    if (S.Reason == StopReason::None)
      return true;
    Skipped.Checks.push_back(std::move(S));
    return false;
  }

  TUFacts &Out;
  bool Project;
  bool ParseOnly;
  tether::Limits Limit;
  std::string Inject;
  SkippedChecks &Skipped;
  CheckContext Ctx;
  std::vector<std::unique_ptr<ast_matchers::MatchFinder>> Finders;
  std::vector<std::unique_ptr<Check>> Checks;
};

/// What a consumer needs besides the options.
struct UnitContext {
  std::string MainDisplay;
  TUFacts &Out;
  std::string Inject;
  SkippedChecks &Skipped;
};

class TetherAction : public ASTFrontendAction {
public:
  TetherAction(const DriverOptions &O, UnitContext &U) : Opts(O), U(U) {}

protected:
  std::unique_ptr<ASTConsumer> CreateASTConsumer(CompilerInstance &,
                                                 StringRef) override {
    return std::make_unique<TetherConsumer>(Opts, U.MainDisplay, U.Out,
                                            U.Inject, U.Skipped);
  }

private:
  const DriverOptions &Opts;
  UnitContext &U;
};

class TetherActionFactory : public FrontendActionFactory {
public:
  TetherActionFactory(const DriverOptions &O, UnitContext &U) : Opts(O), U(U) {}
  std::unique_ptr<FrontendAction> create() override {
    return std::make_unique<TetherAction>(Opts, U);
  }

private:
  const DriverOptions &Opts;
  UnitContext &U;
};

const char *kindName(StopReason R) {
  switch (R) {
  case StopReason::Crash:
    return "crash";
  case StopReason::Exception:
    return "exception";
  case StopReason::Timeout:
    return "timeout";
  case StopReason::Memory:
    return "memory-limit";
  case StopReason::CheckTimeout:
    return "check-timeout";
  case StopReason::None:
    break;
  }
  return "";
}

struct Job {
  std::string Display;  ///< as given
  std::string Absolute; ///< for the database lookup
};

using JobResult = TUFacts;

void fail(JobResult &R, ToolError E) {
  R.Failed = true;
  R.Error = std::move(E);
}

std::string absolute(const std::string &P) {
  llvm::SmallString<256> A(P);
  llvm::sys::fs::make_absolute(A);
  llvm::sys::path::remove_dots(A, true);
  return std::string(A);
}

JobResult runOne(const DriverOptions &O, const CompilationDatabase &DB,
                 const Job &J, ResultCache *Cache) {
  JobResult R;
  R.MainFile = J.Absolute;
  R.DisplayFile = J.Display;
  if (!llvm::sys::fs::exists(J.Absolute)) {
    fail(R, ToolError{J.Display, "no such file", ""});
    return R;
  }
  if (DB.getCompileCommands(J.Absolute).empty()) {
    fail(R, ToolError{J.Display,
                      "no compile command for this file in the compilation "
                      "database",
                      ""});
    return R;
  }
  std::string Key;
  if (Cache) {
    std::vector<CompileCommand> Cmds = DB.getCompileCommands(J.Absolute);
    Key = Cache->tuKey(J.Absolute, J.Display, Cmds.front().CommandLine,
                       Cmds.front().Directory);
    if (std::optional<TUFacts> Hit = Cache->lookup(Key)) {
      Hit->MainFile = R.MainFile;
      Hit->DisplayFile = R.DisplayFile;
      Hit->FromCache = true;
      return std::move(*Hit);
    }
  }
  // A file system of its own, whose working directory is its own: on the
  // process-wide one, ClangTool chdir()s to each command's directory and
  // back, and two workers interleaving that leave the process (and every
  // relative path printed after) in the wrong directory.
  ClangTool Tool(DB, {J.Absolute}, std::make_shared<PCHContainerOperations>(),
                 llvm::vfs::createPhysicalFileSystem());
  Tool.setPrintErrorMessage(false);
  if (!O.ExtraArgsBefore.empty())
    Tool.appendArgumentsAdjuster(getInsertArgumentAdjuster(
        O.ExtraArgsBefore, ArgumentInsertPosition::BEGIN));
  if (!O.ExtraArgs.empty())
    Tool.appendArgumentsAdjuster(
        getInsertArgumentAdjuster(O.ExtraArgs, ArgumentInsertPosition::END));
  Tool.appendArgumentsAdjuster(
      [](const CommandLineArguments &Args, StringRef) {
        CommandLineArguments A = Args;
        bool HasResourceDir = false;
        for (const auto &Arg : A)
          if (llvm::StringRef(Arg).starts_with("-resource-dir"))
            HasResourceDir = true;
        // Both go right after the compiler's name: an inferred command may
        // end with "-- file.cpp", after which nothing is a flag.
        if (A.empty())
          return A;
        // Warnings of the compiler are not tether's findings.
        A.insert(A.begin() + 1, "-w");
        if (!HasResourceDir)
          A.insert(A.begin() + 1,
                   std::string("-resource-dir=") + clangResourceDir());
        return A;
      });
  ErrorCollector Errors;
  Tool.setDiagnosticConsumer(&Errors);
  SkippedChecks Skipped;
  UnitContext U{J.Display, R, injectedFault(O, J.Absolute, J.Display), Skipped};
  TetherActionFactory Factory(O, U);
  int Ret = 0;
  // A crash or a limit leaves the parse half done: what it allocated is
  // leaked, not destroyed (Recovery.h).
  Stopped Stop = runGuardedUnit([&] { Ret = Tool.run(&Factory); }, O.Limits);
  for (const Stopped &S : Skipped.Checks) {
    std::string Msg = "check '" + S.Phase + "' skipped on this file: " + S.What;
    notify({"warning", kindName(S.Reason), J.Display, S.Phase, Msg, S.Stack});
  }
  if (Stop.Reason != StopReason::None) {
    std::string Where = Stop.Phase == "parsing" ||
                                Stop.Phase == "fact extraction" ||
                                Stop.Phase == "collecting the results"
                            ? "while " + Stop.Phase
                            : "in check '" + Stop.Phase + "'";
    std::string Msg =
        Stop.Reason == StopReason::Timeout || Stop.Reason == StopReason::Memory
            ? "analysis stopped " + Where + ": " + Stop.What
            : "tether crashed on this file " + Where + ": " + Stop.What +
                  "; the other files are analyzed";
    std::string Main = R.MainFile, Display = R.DisplayFile;
    R = JobResult();
    R.MainFile = std::move(Main);
    R.DisplayFile = std::move(Display);
    notify({"error", kindName(Stop.Reason), J.Display, Stop.Phase, Msg,
            Stop.Stack});
    fail(R, ToolError{J.Display, Msg, Stop.Stack});
  } else if (Ret != 0 || Errors.getNumErrors() > 0) {
    std::string First = Errors.FirstError.empty()
                            ? std::string("the compiler could not run")
                            : Errors.FirstError;
    std::string Main = R.MainFile, Display = R.DisplayFile;
    R = JobResult();
    R.MainFile = std::move(Main);
    R.DisplayFile = std::move(Display);
    fail(R, ToolError{J.Display, "could not analyze this file: " + First,
                      Errors.text()});
  } else if (Cache && !R.Files.empty() && Skipped.Checks.empty()) {
    Cache->store(Key, R, R.Files);
  }
  return R;
}

} // namespace

std::vector<ToolNotification> takeToolNotifications() {
  std::lock_guard<std::mutex> Lock(NotificationsMutex);
  std::vector<ToolNotification> Out = std::move(Notifications);
  Notifications.clear();
  std::stable_sort(Out.begin(), Out.end(),
                   [](const ToolNotification &A, const ToolNotification &B) {
                     return std::tie(A.File, A.Level) <
                            std::tie(B.File, B.Level);
                   });
  return Out;
}

std::string checkDebugInject(const std::string &Spec) {
  size_t Colon = Spec.find(':');
  std::string Kind = Spec.substr(0, Colon);
  bool Known = false;
  for (const char *K : InjectKinds)
    Known = Known || Kind == K;
  if (Colon == std::string::npos || !Known || Colon + 1 == Spec.size())
    return "--debug-inject: expected <kind>:<file-glob> with kind crash, "
           "abort, stack-overflow, bad-alloc, memory, hang or slow-check, "
           "got '" +
           Spec + "'";
  return "";
}

std::vector<Diagnostic> projectFindings(std::vector<TUFacts> Facts,
                                        const DriverOptions &O,
                                        ProjectOutput *Project) {
  // Findings are reported in the analyzed main files only; context facts
  // (cached, of the rest of the database) only inform. A unit both analyzed
  // and context (another configuration group's) counts once, analyzed.
  std::set<std::string> MainFiles;
  for (const TUFacts &F : Facts)
    if (!F.ContextOnly)
      MainFiles.insert(F.MainFile);
  Facts.erase(std::remove_if(Facts.begin(), Facts.end(),
                             [&](const TUFacts &F) {
                               return F.ContextOnly &&
                                      MainFiles.count(F.MainFile);
                             }),
              Facts.end());
  {
    // Two groups may load the same context unit: keep one.
    std::set<std::string> Seen;
    Facts.erase(std::remove_if(Facts.begin(), Facts.end(),
                               [&](const TUFacts &F) {
                                 return F.ContextOnly &&
                                        !Seen.insert(F.MainFile).second;
                               }),
                Facts.end());
  }
  std::set<std::string> Enabled;
  for (const CheckDescriptor *C : O.Checks)
    Enabled.insert(C->Name);
  ProjectModel Model(std::move(Facts), O.Rules);
  std::optional<llvm::Regex> Filter;
  if (!O.HeaderFilter.empty())
    Filter.emplace(O.HeaderFilter);
  std::vector<Diagnostic> Out;
  for (Diagnostic &D : Model.findings(Enabled, O.Options.StrictGlobals)) {
    // The same rule as per-TU findings: main files always, headers through
    // the header filter.
    if (!MainFiles.count(D.Pos.File) &&
        !(Filter && (Filter->match(D.Pos.File) ||
                     Filter->match(D.Pos.DisplayFile))))
      continue;
    Out.push_back(std::move(D));
  }
  if (Project) {
    const InferredRules &I = Model.inferred();
    Project->InferredPack = I.toRulePack();
    Project->InferredEntries = I.size();
  }
  return Out;
}

RunResult reportFromFacts(std::vector<TUFacts> Facts, const DriverOptions &O,
                          ProjectOutput *Project) {
  std::stable_sort(Facts.begin(), Facts.end(),
                   [](const TUFacts &A, const TUFacts &B) {
                     return A.MainFile < B.MainFile;
                   });
  RunResult Out;
  for (const TUFacts &F : Facts) {
    if (F.ContextOnly)
      continue;
    if (F.Failed)
      Out.Errors.push_back(F.Error);
    else
      ++Out.FilesAnalyzed;
    Out.FromCache += F.FromCache;
    for (const Diagnostic &D : F.Diagnostics)
      Out.Diagnostics.push_back(D);
  }
  if (O.Project && O.ProjectStep)
    for (Diagnostic &D : projectFindings(std::move(Facts), O, Project))
      Out.Diagnostics.push_back(std::move(D));
  normalizeDiagnostics(Out.Diagnostics);
  return Out;
}

std::variant<RunResult, DriverSetupError>
runAnalysis(const DriverOptions &O, std::vector<TUFacts> *FactsOut,
            ProjectOutput *Project) {
  if (!O.HeaderFilter.empty()) {
    llvm::Regex RE(O.HeaderFilter);
    std::string Err;
    if (!RE.isValid(Err))
      return DriverSetupError{"invalid --header-filter regex '" +
                              O.HeaderFilter + "': " + Err};
  }
  std::unique_ptr<CompilationDatabase> DB;
  if (O.FixedFlags) {
    DB = std::make_unique<FixedCompilationDatabase>(".", *O.FixedFlags);
  } else if (!O.BuildPath.empty()) {
    std::string Err;
    llvm::SmallString<256> Json(O.BuildPath);
    llvm::sys::path::append(Json, "compile_commands.json");
    if (!llvm::sys::fs::exists(Json))
      return DriverSetupError{"no compile_commands.json in '" + O.BuildPath +
                              "' (configure with "
                              "-DCMAKE_EXPORT_COMPILE_COMMANDS=ON)"};
    DB = JSONCompilationDatabase::loadFromFile(
        Json, Err, JSONCommandLineSyntax::AutoDetect);
    if (!DB)
      return DriverSetupError{"cannot read the compilation database '" +
                              std::string(Json) + "': " + Err};
    // Files that are not in the database (headers, new files) borrow the
    // flags of their nearest neighbour, as clangd and clang-tidy do.
    DB = inferMissingCompileCommands(std::move(DB));
  } else {
    std::string Err;
    if (!O.Files.empty())
      DB = CompilationDatabase::autoDetectFromSource(absolute(O.Files[0]), Err);
    if (!DB)
      return DriverSetupError{
          "no compilation database: pass -p <build-dir> with a "
          "compile_commands.json, or compiler flags after '--' (e.g. "
          "'tether file.cpp -- -std=c++20')"};
    DB = inferMissingCompileCommands(std::move(DB));
  }

  std::vector<Job> Jobs;
  if (O.Files.empty()) {
    for (const std::string &F : DB->getAllFiles())
      Jobs.push_back({F, absolute(F)});
  } else {
    for (const std::string &F : O.Files)
      Jobs.push_back({F, absolute(F)});
  }
  if (Jobs.empty())
    return DriverSetupError{"no files to analyze"};
  if (O.ShardCount > 0) {
    // Shards are cut from the sorted list, so that they do not depend on
    // the order of the database.
    std::stable_sort(Jobs.begin(), Jobs.end(), [](const Job &A, const Job &B) {
      return A.Absolute < B.Absolute;
    });
    std::vector<Job> Mine;
    for (size_t I = 0; I < Jobs.size(); ++I)
      if (I % O.ShardCount == O.ShardIndex - 1)
        Mine.push_back(Jobs[I]);
    Jobs = std::move(Mine);
  }

  std::unique_ptr<ResultCache> Cache;
  if (!O.CacheDir.empty() && !O.ParseOnly)
    Cache = std::make_unique<ResultCache>(O.CacheDir, O.CacheKey);
  std::vector<JobResult> Results(Jobs.size());
  std::atomic<size_t> Next{0};
  std::mutex ProgressMutex;
  size_t Done = 0; // guarded by ProgressMutex
  auto Worker = [&] {
    WorkerScope Scope;
    for (size_t I = Next++; I < Jobs.size(); I = Next++) {
      Results[I] = runOne(O, *DB, Jobs[I], Cache.get());
      if (O.OnFileDone) {
        std::lock_guard<std::mutex> Lock(ProgressMutex);
        O.OnFileDone(Jobs[I].Display, ++Done, Jobs.size());
      }
    }
  };
  unsigned N = std::max(1u, std::min<unsigned>(O.Jobs, Jobs.size()));
  // Workers run on threads with a stack of known size, also with -j1, and
  // each translation unit in a crash recovery context (Recovery.h).
  enableCrashRecovery();
  std::optional<Watchdog> Dog;
  if (O.Limits.TUTimeoutSeconds > 0 || O.Limits.CheckTimeoutSeconds > 0)
    Dog.emplace();
  {
    std::vector<llvm::thread> Pool;
    for (unsigned K = 0; K < N; ++K)
      Pool.emplace_back(std::optional<unsigned>(WorkerStackBytes), Worker);
    for (auto &T : Pool)
      T.join();
  }

  // A run on some files of a database joins, in the project step, the
  // cached facts of the database's other translation units: a pre-commit
  // or --diff run then knows the wrappers and thread starts defined
  // elsewhere, as the full run that filled the cache did. Not for a shard,
  // whose facts are merged with the other shards' instead.
  if (Cache && O.Project && !O.Files.empty() && !O.BuildPath.empty() &&
      O.ShardCount == 0) {
    std::set<std::string> Mine;
    for (const Job &J : Jobs)
      Mine.insert(J.Absolute);
    for (const std::string &F : DB->getAllFiles()) {
      std::string Abs = absolute(F);
      if (Mine.count(Abs))
        continue;
      std::vector<CompileCommand> Cmds = DB->getCompileCommands(Abs);
      if (Cmds.empty())
        continue;
      std::string Key = Cache->tuKey(Abs, F, Cmds.front().CommandLine,
                                     Cmds.front().Directory);
      if (std::optional<TUFacts> Hit = Cache->lookup(Key)) {
        Hit->MainFile = Abs;
        Hit->DisplayFile = F;
        Hit->ContextOnly = true;
        Results.push_back(std::move(*Hit));
      }
    }
  }

  if (FactsOut)
    *FactsOut = Results;
  return reportFromFacts(std::move(Results), O, Project);
}

} // namespace tether
