//===--- Suppressions.cpp - NOLINT comments, as clang-tidy reads them -----===//

#include "Suppressions.h"

#include "core/Glob.h"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <tuple>

namespace tether {

namespace {

enum class Kind { Line, NextLine, Begin, End };

struct Directive {
  Kind K;
  unsigned Line, Column;
  bool All;          ///< no parenthesized list
  std::string Globs; ///< the list without whitespace
  std::string SourceLine;
};

/// Like clang-tidy, looks for the directives anywhere in the line (in
/// practice, in a comment).
void scanLine(const std::string &L, unsigned LineNo,
              std::vector<Directive> &Out) {
  for (size_t P = L.find("NOLINT"); P != std::string::npos;
       P = L.find("NOLINT", P + 1)) {
    // The whole word must be a directive: "NOLINTFOO" is none.
    size_t I = P + 6;
    while (I < L.size() && std::isalpha(static_cast<unsigned char>(L[I])))
      ++I;
    std::string Suffix = L.substr(P + 6, I - P - 6);
    Kind K;
    if (Suffix.empty())
      K = Kind::Line;
    else if (Suffix == "NEXTLINE")
      K = Kind::NextLine;
    else if (Suffix == "BEGIN")
      K = Kind::Begin;
    else if (Suffix == "END")
      K = Kind::End;
    else
      continue;
    Directive D{K, LineNo, static_cast<unsigned>(P + 1), true, "", L};
    if (I < L.size() && L[I] == '(') {
      size_t Close = L.find(')', I);
      if (Close != std::string::npos) {
        D.All = false;
        for (size_t J = I + 1; J < Close; ++J)
          if (!std::isspace(static_cast<unsigned char>(L[J])))
            D.Globs += L[J];
      }
    }
    Out.push_back(std::move(D));
  }
}

std::string readFile(const std::string &Path, bool &Ok) {
  std::ifstream In(Path, std::ios::binary);
  Ok = static_cast<bool>(In);
  std::stringstream SS;
  SS << In.rdbuf();
  return SS.str();
}

} // namespace

FileSuppressions::FileSuppressions(const std::string &Text) {
  std::vector<Directive> Ds;
  unsigned LineNo = 1;
  size_t Start = 0;
  while (Start <= Text.size()) {
    size_t End = Text.find('\n', Start);
    std::string L = Text.substr(
        Start, End == std::string::npos ? std::string::npos : End - Start);
    if (!L.empty() && L.back() == '\r')
      L.pop_back();
    if (L.find("NOLINT") != std::string::npos)
      scanLine(L, LineNo, Ds);
    if (End == std::string::npos)
      break;
    Start = End + 1;
    ++LineNo;
  }

  auto AddRange = [&](unsigned First, unsigned Last, const Directive &D) {
    Ranges.push_back({First, Last, D.Globs, D.All});
  };
  // A NOLINTEND closes the latest open NOLINTBEGIN with the same list, as in
  // clang-tidy; anything else is unmatched.
  std::vector<const Directive *> Open;
  for (const Directive &D : Ds) {
    switch (D.K) {
    case Kind::Line:
      AddRange(D.Line, D.Line, D);
      break;
    case Kind::NextLine:
      AddRange(D.Line + 1, D.Line + 1, D);
      break;
    case Kind::Begin:
      Open.push_back(&D);
      break;
    case Kind::End:
      if (!Open.empty() && Open.back()->All == D.All &&
          Open.back()->Globs == D.Globs) {
        AddRange(Open.back()->Line, D.Line, *Open.back());
        Open.pop_back();
      } else {
        Bad.push_back({D.Line, D.Column, false, D.SourceLine});
      }
      break;
    }
  }
  for (const Directive *D : Open)
    Bad.push_back({D->Line, D->Column, true, D->SourceLine});
  std::sort(Bad.begin(), Bad.end(), [](const Unmatched &A, const Unmatched &B) {
    return std::tie(A.Line, A.Column) < std::tie(B.Line, B.Column);
  });
}

bool FileSuppressions::suppresses(unsigned Line,
                                  const std::string &Check) const {
  for (const Range &R : Ranges) {
    if (Line < R.First || Line > R.Last)
      continue;
    if (R.All)
      return true;
    CheckGlobs G;
    std::string Ignored;
    if (G.parse(R.Globs, Ignored) && G.enabled(Check))
      return true;
  }
  return false;
}

void applySuppressions(RunResult &R) {
  struct FileInfo {
    std::unique_ptr<FileSuppressions> S; ///< null: unreadable
    std::string Display;
  };
  std::map<std::string, FileInfo> Files;
  std::vector<Diagnostic> Kept;
  for (Diagnostic &D : R.Diagnostics) {
    auto It = Files.find(D.Pos.File);
    if (It == Files.end()) {
      bool Ok = false;
      std::string Text = readFile(D.Pos.File, Ok);
      FileInfo FI;
      FI.Display = D.Pos.DisplayFile;
      if (Ok)
        FI.S = std::make_unique<FileSuppressions>(Text);
      It = Files.emplace(D.Pos.File, std::move(FI)).first;
    }
    if (It->second.S && It->second.S->suppresses(D.Pos.Line, D.Check)) {
      D.SuppressedInSource = true;
      R.Hidden.push_back(std::move(D));
    } else {
      Kept.push_back(std::move(D));
    }
  }

  std::vector<Diagnostic> Nolint;
  for (const auto &[File, FI] : Files) {
    if (!FI.S)
      continue;
    for (const FileSuppressions::Unmatched &U : FI.S->unmatched()) {
      Diagnostic D;
      D.Check = NolintCheckName;
      D.Level = Severity::Error;
      D.Pos = {File, FI.Display, U.Line, U.Column};
      D.Message = U.IsBegin ? "unmatched 'NOLINTBEGIN' comment without a "
                              "subsequent 'NOLINTEND' comment"
                            : "unmatched 'NOLINTEND' comment without a "
                              "previous 'NOLINTBEGIN' comment";
      D.SourceLine = U.SourceLine;
      Nolint.push_back(std::move(D));
    }
  }
  normalizeDiagnostics(Nolint); // their fingerprints; the others keep theirs
  for (Diagnostic &D : Nolint)
    Kept.push_back(std::move(D));
  std::stable_sort(Kept.begin(), Kept.end());
  R.Diagnostics = std::move(Kept);
  std::stable_sort(R.Hidden.begin(), R.Hidden.end());
}

} // namespace tether
