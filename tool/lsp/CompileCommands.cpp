//===--- CompileCommands.cpp - The compile command of an open file --------===//

#include "lsp/CompileCommands.h"

#include "clang/Tooling/CompilationDatabase.h"
#include "clang/Tooling/JSONCompilationDatabase.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"

using namespace clang::tooling;

namespace tether::lsp {

namespace {

bool isHeader(llvm::StringRef File) {
  llvm::StringRef Ext = llvm::sys::path::extension(File);
  return Ext == ".h" || Ext == ".hh" || Ext == ".hpp" || Ext == ".hxx" ||
         Ext == ".inc" || Ext.empty();
}

std::string jsonIn(llvm::StringRef Dir) {
  llvm::SmallString<256> P(Dir);
  llvm::sys::path::append(P, "compile_commands.json");
  return std::string(P);
}

} // namespace

CompileCommands::CompileCommands(std::string FixedDir)
    : FixedDir(std::move(FixedDir)) {}

CompileCommands::~CompileCommands() = default;

std::string CompileCommands::databaseDir(const std::string &File) const {
  if (!FixedDir.empty())
    return FixedDir;
  for (llvm::StringRef Dir = llvm::sys::path::parent_path(File); !Dir.empty();
       Dir = llvm::sys::path::parent_path(Dir)) {
    if (llvm::sys::fs::exists(jsonIn(Dir)))
      return Dir.str();
    llvm::SmallString<256> Build(Dir);
    llvm::sys::path::append(Build, "build");
    if (llvm::sys::fs::exists(jsonIn(Build)))
      return std::string(Build);
  }
  return "";
}

std::shared_ptr<CompilationDatabase>
CompileCommands::load(const std::string &Dir) {
  std::string Json = jsonIn(Dir);
  llvm::sys::fs::file_status St;
  long long Stamp = 0;
  if (!llvm::sys::fs::status(Json, St))
    Stamp = St.getLastModificationTime().time_since_epoch().count() ^
            static_cast<long long>(St.getSize());
  std::lock_guard<std::mutex> Lock(Mutex);
  Loaded &L = Databases[Dir];
  if (L.DB && L.Stamp == Stamp)
    return L.DB;
  std::string Err;
  std::unique_ptr<CompilationDatabase> DB =
      JSONCompilationDatabase::loadFromFile(Json, Err,
                                            JSONCommandLineSyntax::AutoDetect);
  if (!DB)
    return nullptr;
  L.DB = inferMissingCompileCommands(std::move(DB));
  L.Stamp = Stamp;
  return L.DB;
}

FileCommand CompileCommands::commandFor(const std::string &File) {
  std::string Dir = databaseDir(File);
  if (!Dir.empty())
    if (std::shared_ptr<CompilationDatabase> DB = load(Dir)) {
      std::vector<CompileCommand> Cmds = DB->getCompileCommands(File);
      if (!Cmds.empty()) {
        FileCommand C;
        C.Directory = Cmds.front().Directory;
        C.Args = Cmds.front().CommandLine;
        C.Origin = Cmds.front().Heuristic.empty()
                       ? "compile_commands.json in " + Dir
                       : Cmds.front().Heuristic +
                             " (compile_commands.json in " + Dir + ")";
        return C;
      }
    }
  FileCommand C;
  C.Directory = llvm::sys::path::parent_path(File).str();
  C.Args = {"clang++", "-std=c++20"};
  if (isHeader(File)) {
    C.Args.push_back("-x");
    C.Args.push_back("c++-header");
  }
  C.Args.push_back(File);
  C.Origin = "fallback (no compile_commands.json found)";
  return C;
}

} // namespace tether::lsp
