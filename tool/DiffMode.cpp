//===--- DiffMode.cpp - Lint only what a change touched -------------------===//

#include "DiffMode.h"
#include "Cache.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <array>
#include <cstdio>
#include <sstream>

namespace tether {

ChangedLines parseUnifiedDiff(const std::string &Diff,
                              const std::string &Root) {
  ChangedLines Out;
  std::istringstream In(Diff);
  std::string Line, File;
  unsigned NewLine = 0; // the next line of the new file in a hunk, 0: none
  unsigned OldLeft = 0, NewLeft = 0; // lines of the hunk still to come
  while (std::getline(In, Line)) {
    if (OldLeft == 0 && NewLeft == 0)
      NewLine = 0; // outside a hunk: `+++ ` is a header, not an added line
    if (NewLine == 0 && Line.rfind("+++ ", 0) == 0) {
      std::string P = Line.substr(4);
      if (auto Tab = P.find('\t'); Tab != std::string::npos)
        P.resize(Tab);
      NewLine = 0;
      if (P == "/dev/null") {
        File.clear();
        continue;
      }
      if (P.rfind("b/", 0) == 0)
        P = P.substr(2);
      llvm::SmallString<256> Abs(Root);
      llvm::sys::path::append(Abs, P);
      llvm::sys::path::remove_dots(Abs, true);
      File = std::string(Abs);
      Out[File]; // a changed file, even if it only lost lines
      continue;
    }
    if (Line.rfind("@@ ", 0) == 0 && !File.empty()) {
      // @@ -a[,b] +c[,d] @@: the new file's lines from c on.
      unsigned A = 0, B = 1, Start = 0, D = 1;
      auto Minus = Line.find(" -"), Plus = Line.find(" +");
      if (Minus == std::string::npos || Plus == std::string::npos)
        continue;
      std::sscanf(Line.c_str() + Minus + 2, "%u,%u", &A, &B);
      if (std::sscanf(Line.c_str() + Plus + 2, "%u,%u", &Start, &D) < 1)
        continue;
      OldLeft = B;
      NewLeft = D;
      NewLine = D == 0 ? 0 : Start; // a pure deletion adds no line
      if (NewLine == 0)
        OldLeft = NewLeft = 0;
      continue;
    }
    if (File.empty() || NewLine == 0 || Line.empty())
      continue;
    // Inside a hunk: added lines are the change; context lines only move
    // the count (a diff with context marks nothing around the change).
    if (Line[0] == '+') {
      auto &R = Out[File];
      if (!R.empty() && R.back().second + 1 == NewLine)
        R.back().second = NewLine;
      else
        R.push_back({NewLine, NewLine});
      ++NewLine;
      if (NewLeft)
        --NewLeft;
    } else if (Line[0] == ' ') {
      ++NewLine;
      if (NewLeft)
        --NewLeft;
      if (OldLeft)
        --OldLeft;
    } else if (Line[0] == '-') {
      if (OldLeft)
        --OldLeft;
    }
  }
  return Out;
}

bool gitChangedLines(const std::string &Rev, ChangedLines &Out,
                     std::string &Error) {
  auto run = [](const std::string &Cmd, std::string &Text) {
    FILE *P = ::popen(Cmd.c_str(), "r");
    if (!P)
      return false;
    std::array<char, 4096> Buf;
    size_t N;
    while ((N = std::fread(Buf.data(), 1, Buf.size(), P)) > 0)
      Text.append(Buf.data(), N);
    return ::pclose(P) == 0;
  };
  std::string Root, Diff;
  if (!run("git rev-parse --show-toplevel 2>/dev/null", Root) || Root.empty()) {
    Error = "--diff: not inside a git repository";
    return false;
  }
  while (!Root.empty() && (Root.back() == '\n' || Root.back() == '\r'))
    Root.pop_back();
  // The revision is quoted for the shell; git rejects what is not one.
  std::string Quoted = "'";
  for (char C : Rev)
    Quoted += C == '\'' ? std::string("'\\''") : std::string(1, C);
  Quoted += "'";
  if (!run("git diff --no-color --no-ext-diff --unified=0 " + Quoted +
               " -- 2>/dev/null",
           Diff)) {
    Error = "--diff: 'git diff " + Rev + "' failed (is it a revision?)";
    return false;
  }
  Out = parseUnifiedDiff(Diff, Root);
  return true;
}

static std::string depsPath(const std::string &CacheDir,
                            const std::string &Main) {
  llvm::SmallString<256> P(CacheDir);
  llvm::sys::path::append(P, "deps", hashText(Main) + ".txt");
  return std::string(P);
}

void recordDependencies(const std::string &CacheDir, const std::string &Main,
                        const std::vector<std::string> &Files) {
  if (CacheDir.empty() || Files.empty())
    return;
  std::string Path = depsPath(CacheDir, Main);
  if (llvm::sys::fs::create_directories(llvm::sys::path::parent_path(Path)))
    return;
  llvm::SmallString<256> Tmp;
  int FD = -1;
  if (llvm::sys::fs::createUniqueFile(Path + ".tmp-%%%%%%", FD, Tmp))
    return;
  {
    llvm::raw_fd_ostream OS(FD, /*shouldClose=*/true);
    for (const std::string &F : Files)
      OS << F << "\n";
  }
  if (llvm::sys::fs::rename(Tmp, Path))
    llvm::sys::fs::remove(Tmp);
}

std::vector<std::string> lastDependencies(const std::string &CacheDir,
                                          const std::string &Main) {
  std::vector<std::string> Out;
  if (CacheDir.empty())
    return Out;
  auto Buf = llvm::MemoryBuffer::getFile(depsPath(CacheDir, Main));
  if (!Buf)
    return Out;
  std::istringstream In((*Buf)->getBuffer().str());
  std::string L;
  while (std::getline(In, L))
    if (!L.empty())
      Out.push_back(L);
  return Out;
}

bool onChangedLines(const Diagnostic &D, const ChangedLines &C,
                    bool WholeFiles) {
  auto It = C.find(D.Pos.File);
  if (It == C.end())
    return false;
  if (WholeFiles)
    return true;
  for (const auto &[First, Last] : It->second)
    if (D.Pos.Line >= First && D.Pos.Line <= Last)
      return true;
  return false;
}

} // namespace tether
