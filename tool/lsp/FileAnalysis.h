//===--- FileAnalysis.h - One open file's analysis, with its preamble -----===//
//
// The language server keeps one FileAnalysis per open file. It parses the
// editor's buffer (unsaved text included: an in-memory file over the real
// file system) into a clang::ASTUnit, then runs the enabled checks on the
// AST with the driver's runChecksOnAST (Driver.h). The first parse is a
// plain one, so that the first findings come as fast as a compile; then
// prepare() precompiles the preamble (the #include block) while the editor
// is idle, and every later parse reuses it while the preamble's text and the
// files it read are unchanged (it is rebuilt otherwise).
// The whole analysis runs inside runGuardedUnit (Recovery.h): a crash
// leaks the ASTUnit and the next analysis starts from a fresh one.
// Not thread-safe: the server runs one analysis of a file at a time.
//
//===----------------------------------------------------------------------===//
#ifndef TETHER_TOOL_LSP_FILEANALYSIS_H
#define TETHER_TOOL_LSP_FILEANALYSIS_H

#include "Driver.h"
#include "lsp/CompileCommands.h"

#include "llvm/ADT/IntrusiveRefCntPtr.h"

#include <atomic>
#include <memory>
#include <string>
#include <vector>

namespace clang {
class ASTUnit;
} // namespace clang

namespace tether::lsp {

class SwappableFileSystem;

/// A compiler error that stopped the analysis.
struct CompilerError {
  std::string File; ///< absolute, or "" without a location
  unsigned Line = 0, Column = 0;
  std::string Message;
};

struct AnalysisOutcome {
  enum Kind {
    Findings,   ///< Diagnostics holds the findings (maybe none)
    ParseError, ///< the file does not compile: Errors
    Stopped,    ///< a crash or a limit: Message, Details (stack)
    Cancelled,  ///< a newer version superseded it
  };
  Kind Result = Findings;
  std::vector<Diagnostic> Diagnostics;
  std::vector<CompilerError> Errors;
  std::string Message;
  std::string Details;
  /// Checks skipped on this file (--check-timeout), as log lines.
  std::vector<std::string> Warnings;
  std::string CommandOrigin;
  /// "none yet" (the first parse), "reused" or "built".
  std::string Preamble = "none yet";
  double Seconds = 0;
};

class FileAnalysis {
public:
  explicit FileAnalysis(std::string File);
  ~FileAnalysis();
  FileAnalysis(const FileAnalysis &) = delete;
  FileAnalysis &operator=(const FileAnalysis &) = delete;

  /// Analyzes `Text` as the contents of the file with command `Cmd` and the
  /// checks, rules and limits of `O` (O.Files and the database fields are
  /// ignored). Runs on a worker thread with a WorkerScope (Recovery.h).
  AnalysisOutcome run(const std::string &Text, const FileCommand &Cmd,
                      const DriverOptions &O,
                      const std::atomic<bool> &Cancelled);

  /// After the first run: parses `Text` again to precompile the preamble
  /// (no checks). Does nothing when the preamble exists or there is no
  /// parsed unit. Returns false when the parse crashed or ran out of time
  /// (the unit is then dropped).
  bool prepare(const std::string &Text, const Limits &L);

private:
  std::string File;
  FileCommand Command;
  clang::ASTUnit *Unit = nullptr; ///< owned, but leaked after a crash
  llvm::IntrusiveRefCntPtr<SwappableFileSystem> FS;
};

} // namespace tether::lsp

#endif
