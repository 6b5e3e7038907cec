//===--- FileAnalysis.cpp - One open file's analysis, with its preamble ---===//

#include "lsp/FileAnalysis.h"

#include "clang/Basic/DiagnosticOptions.h"
#include "clang/Basic/SourceManager.h"
#include "clang/Frontend/ASTUnit.h"
#include "clang/Frontend/CompilerInstance.h"
#include "clang/Frontend/CompilerInvocation.h"
#include "clang/Frontend/Utils.h"
#include "clang/Serialization/PCHContainerOperations.h"
#include "clang/Tooling/ArgumentsAdjusters.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/VirtualFileSystem.h"

#include <chrono>

using namespace clang;

namespace tether::lsp {

/// A file system that forwards to one that is replaced before each parse:
/// the ASTUnit keeps this one for its lifetime, and each parse sees the
/// buffer of its version over the real file system.
class SwappableFileSystem : public llvm::vfs::FileSystem {
public:
  explicit SwappableFileSystem(llvm::IntrusiveRefCntPtr<FileSystem> FS)
      : FS(std::move(FS)) {}
  void set(llvm::IntrusiveRefCntPtr<FileSystem> New) { FS = std::move(New); }

  llvm::ErrorOr<llvm::vfs::Status> status(const llvm::Twine &Path) override {
    return FS->status(Path);
  }
  llvm::ErrorOr<std::unique_ptr<llvm::vfs::File>>
  openFileForRead(const llvm::Twine &Path) override {
    return FS->openFileForRead(Path);
  }
  llvm::vfs::directory_iterator dir_begin(const llvm::Twine &Dir,
                                          std::error_code &EC) override {
    return FS->dir_begin(Dir, EC);
  }
  llvm::ErrorOr<std::string> getCurrentWorkingDirectory() const override {
    return FS->getCurrentWorkingDirectory();
  }
  std::error_code setCurrentWorkingDirectory(const llvm::Twine &P) override {
    return FS->setCurrentWorkingDirectory(P);
  }
  std::error_code getRealPath(const llvm::Twine &Path,
                              llvm::SmallVectorImpl<char> &Out) override {
    return FS->getRealPath(Path, Out);
  }
  std::error_code isLocal(const llvm::Twine &Path, bool &Result) override {
    return FS->isLocal(Path, Result);
  }

private:
  llvm::IntrusiveRefCntPtr<FileSystem> FS;
};

namespace {

/// The real file system with `Text` as the contents of `File`, in the
/// command's working directory.
llvm::IntrusiveRefCntPtr<llvm::vfs::FileSystem>
overlay(const std::string &File, const std::string &Text,
        const std::string &Dir) {
  auto Memory = llvm::makeIntrusiveRefCnt<llvm::vfs::InMemoryFileSystem>();
  Memory->addFile(File, /*ModificationTime=*/0,
                  llvm::MemoryBuffer::getMemBufferCopy(Text, File));
  auto Over = llvm::makeIntrusiveRefCnt<llvm::vfs::OverlayFileSystem>(
      llvm::vfs::createPhysicalFileSystem());
  Over->pushOverlay(Memory);
  if (!Dir.empty())
    Over->setCurrentWorkingDirectory(Dir);
  return Over;
}

/// The command as a syntax-only run of the clang tether was built with:
/// no output, no dependency files, no warnings (they are not tether's).
std::vector<std::string> adjust(const FileCommand &Cmd) {
  using namespace clang::tooling;
  CommandLineArguments A = Cmd.Args;
  A = getClangStripOutputAdjuster()(A, "");
  A = getClangStripDependencyFileAdjuster()(A, "");
  A = getClangSyntaxOnlyAdjuster()(A, "");
  if (A.empty())
    return A;
  bool HasResourceDir = false;
  for (const std::string &Arg : A)
    HasResourceDir |= llvm::StringRef(Arg).starts_with("-resource-dir");
  // Right after the compiler's name: after "--" nothing is a flag.
  A.insert(A.begin() + 1, "-w");
  if (!HasResourceDir)
    A.insert(A.begin() + 1, std::string("-resource-dir=") + clangResourceDir());
  return A;
}

const char *stopKind(StopReason R) {
  switch (R) {
  case StopReason::Timeout:
    return "timed out";
  case StopReason::Memory:
    return "ran out of its memory limit";
  default:
    return "crashed";
  }
}

std::string normalized(llvm::StringRef P) {
  llvm::SmallString<256> A(P);
  llvm::sys::fs::make_absolute(A);
  llvm::sys::path::remove_dots(A, true);
  return std::string(A);
}

} // namespace

FileAnalysis::FileAnalysis(std::string File) : File(std::move(File)) {}

FileAnalysis::~FileAnalysis() { delete Unit; }

AnalysisOutcome FileAnalysis::run(const std::string &Text,
                                  const FileCommand &Cmd,
                                  const DriverOptions &O,
                                  const std::atomic<bool> &Cancelled) {
  auto Start = std::chrono::steady_clock::now();
  AnalysisOutcome Out;
  Out.CommandOrigin = Cmd.Origin;
  if (Unit && !(Cmd == Command)) {
    delete Unit; // another command: another preamble
    Unit = nullptr;
  }
  Command = Cmd;
  auto NewFS = overlay(File, Text, Cmd.Directory);
  if (FS)
    FS->set(NewFS);
  else
    FS = llvm::makeIntrusiveRefCnt<SwappableFileSystem>(NewFS);

  TUFacts Facts;
  Facts.MainFile = File;
  Facts.DisplayFile = File;
  std::vector<tether::Stopped> Skipped;
  bool Parsed = false;
  ASTUnit *Working = Unit;
  Unit = nullptr; // a crash below leaks it
  auto PCHOps = std::make_shared<PCHContainerOperations>();
  std::string Inject = debugInjectFault(O, File, File);
  tether::Stopped Stop = runGuardedUnit(
      [&] {
        setPhase("parsing");
        if (Working) {
          // The counter counts the preambles built: unchanged, the last
          // one was reused.
          unsigned Before = Working->getPreambleCounterForTests();
          if (Working->Reparse(PCHOps, std::nullopt, FS))
            return;
          unsigned After = Working->getPreambleCounterForTests();
          Out.Preamble = After == 0        ? "none yet"
                         : After == Before ? "reused"
                                           : "built";
        } else {
          std::vector<std::string> Args = adjust(Cmd);
          std::vector<const char *> Argv;
          for (const std::string &A : Args)
            Argv.push_back(A.c_str());
          IntrusiveRefCntPtr<DiagnosticsEngine> Diags =
              CompilerInstance::createDiagnostics(new DiagnosticOptions(),
                                                  new IgnoringDiagConsumer(),
                                                  /*ShouldOwnClient=*/true);
          CreateInvocationOptions CIOpts;
          CIOpts.Diags = Diags;
          CIOpts.VFS = FS;
          std::shared_ptr<CompilerInvocation> CI =
              createInvocation(Argv, CIOpts);
          if (!CI) {
            Out.Errors.push_back(
                {"", 0, 0, "cannot make a compiler invocation of the command"});
            return;
          }
          CI->getFileSystemOpts().WorkingDir = Cmd.Directory;
          auto Files = llvm::makeIntrusiveRefCnt<FileManager>(
              CI->getFileSystemOpts(), FS);
          std::unique_ptr<ASTUnit> U = ASTUnit::LoadFromCompilerInvocation(
              CI, PCHOps, Diags, Files.get(), /*OnlyLocalDecls=*/false,
              // The preamble is built by the second parse (prepare()).
              CaptureDiagsKind::All, /*PrecompilePreambleAfterNParses=*/2,
              TU_Complete);
          if (!U)
            return;
          Working = U.release();
        }
        for (auto It = Working->stored_diag_begin();
             It != Working->stored_diag_end(); ++It) {
          if (It->getLevel() < DiagnosticsEngine::Error)
            continue;
          CompilerError E;
          E.Message = It->getMessage().str();
          if (It->getLocation().isValid()) {
            const SourceManager &SM = It->getLocation().getManager();
            PresumedLoc P = SM.getPresumedLoc(SM.getFileLoc(It->getLocation()));
            if (P.isValid()) {
              E.File = normalized(P.getFilename());
              E.Line = P.getLine();
              E.Column = P.getColumn();
            }
          }
          Out.Errors.push_back(std::move(E));
        }
        if (!Out.Errors.empty())
          return;
        Parsed = true;
        if (Cancelled.load())
          return;
        runChecksOnAST(Working->getASTContext(), O, File, Inject, Facts,
                       Skipped, &Cancelled);
      },
      O.Limits);
  Out.Seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - Start)
          .count();
  for (const tether::Stopped &S : Skipped)
    Out.Warnings.push_back("check '" + S.Phase +
                           "' skipped on this file: " + S.What);
  if (Stop.Reason != StopReason::None) {
    // Working is leaked: the parse or the checks stopped half way.
    std::string Where =
        Stop.Phase == "parsing" || Stop.Phase == "collecting the results"
            ? "while " + Stop.Phase
            : "in check '" + Stop.Phase + "'";
    Out.Result = AnalysisOutcome::Stopped;
    Out.Message = std::string("tether ") + stopKind(Stop.Reason) +
                  " on this file " + Where + ": " + Stop.What;
    Out.Details = Stop.Stack;
    return Out;
  }
  Unit = Working;
  if (Cancelled.load()) {
    Out.Result = AnalysisOutcome::Cancelled;
    return Out;
  }
  if (!Parsed) {
    if (Out.Errors.empty())
      Out.Errors.push_back({"", 0, 0, "the compiler could not run"});
    Out.Result = AnalysisOutcome::ParseError;
    return Out;
  }
  Out.Diagnostics = std::move(Facts.Diagnostics);
  return Out;
}

bool FileAnalysis::prepare(const std::string &Text, const Limits &L) {
  if (!Unit || Unit->getPreambleCounterForTests() > 0)
    return true;
  FS->set(overlay(File, Text, Command.Directory));
  ASTUnit *Working = Unit;
  Unit = nullptr;
  auto PCHOps = std::make_shared<PCHContainerOperations>();
  tether::Stopped Stop =
      runGuardedUnit([&] { Working->Reparse(PCHOps, std::nullopt, FS); }, L);
  if (Stop.Reason != StopReason::None)
    return false; // leaked, as in run()
  Unit = Working;
  return true;
}

} // namespace tether::lsp
