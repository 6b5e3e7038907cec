//===--- CompileCommands.h - The compile command of an open file ----------===//
//
// How the language server finds the flags of a file, as clangd does: the
// compile_commands.json of --compile-commands-dir, else the nearest one
// walking up from the file's directory (in each directory, also in its
// `build/` subdirectory). A file the database does not list (a header, a
// new file) borrows the command of its nearest neighbour in the database
// (clang's interpolation, the one clangd uses); without a database the
// command is `clang++ -std=c++20`. Databases are cached and reloaded when
// their file changes. Thread-safe.
//
//===----------------------------------------------------------------------===//
#ifndef TETHER_TOOL_LSP_COMPILECOMMANDS_H
#define TETHER_TOOL_LSP_COMPILECOMMANDS_H

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace clang::tooling {
class CompilationDatabase;
} // namespace clang::tooling

namespace tether::lsp {

struct FileCommand {
  std::string Directory;
  /// The whole command line, the compiler first, the file among the rest.
  std::vector<std::string> Args;
  /// Where it came from, for the log: "compile_commands.json in <dir>",
  /// "inferred from <file>", or "fallback".
  std::string Origin;

  bool operator==(const FileCommand &O) const {
    return Directory == O.Directory && Args == O.Args;
  }
};

class CompileCommands {
public:
  /// `FixedDir` non-empty: the directory of the one database to use.
  explicit CompileCommands(std::string FixedDir);
  ~CompileCommands();

  /// The command for the absolute path `File`.
  FileCommand commandFor(const std::string &File);

private:
  struct Loaded {
    long long Stamp = 0;
    std::shared_ptr<clang::tooling::CompilationDatabase> DB;
  };
  /// The directory holding the database for `File`, or "".
  std::string databaseDir(const std::string &File) const;
  std::shared_ptr<clang::tooling::CompilationDatabase>
  load(const std::string &Dir);

  std::string FixedDir;
  std::mutex Mutex;
  std::map<std::string, Loaded> Databases; // guarded by Mutex
};

} // namespace tether::lsp

#endif
