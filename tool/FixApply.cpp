//===--- FixApply.cpp - Plans, formats and writes the fix-its of findings -===//

#include "FixApply.h"

#include "clang/Basic/LLVM.h"
#include "clang/Format/Format.h"
#include "clang/Tooling/Core/Replacement.h"
#include "clang/Tooling/DiagnosticsYaml.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Signals.h"
#include "llvm/Support/YAMLTraits.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <map>
#include <ostream>
#include <set>
#include <tuple>

namespace tether {

const std::vector<FixIt> *chosenFixes(const Diagnostic &D, bool WithNotes) {
  if (!D.Fixes.empty())
    return &D.Fixes;
  if (WithNotes)
    for (const Note &N : D.Notes)
      if (!N.Fixes.empty())
        return &N.Fixes;
  return nullptr;
}

ContentReader diskReader() {
  return [](const std::string &File, std::string &Content, std::string &Error) {
    auto Buf = llvm::MemoryBuffer::getFile(File, /*IsText=*/false,
                                           /*RequiresNullTerminator=*/false);
    if (!Buf) {
      Error = "cannot read '" + File + "': " + Buf.getError().message();
      return false;
    }
    Content = (*Buf)->getBuffer().str();
    return true;
  };
}

namespace {

/// 1-based line and byte column of `Offset` in `Code`.
std::pair<unsigned, unsigned> lineColumn(const std::string &Code,
                                         unsigned Offset) {
  unsigned Line = 1, Col = 1;
  for (size_t I = 0; I < Offset && I < Code.size(); ++I) {
    if (Code[I] == '\n') {
      ++Line;
      Col = 1;
    } else {
      ++Col;
    }
  }
  return {Line, Col};
}

/// The byte offset of a 1-based line and column, clamped to the content.
unsigned offsetOf(const std::string &Code, unsigned Line, unsigned Column) {
  size_t Off = 0;
  for (unsigned L = 1; L < Line; ++L) {
    size_t NL = Code.find('\n', Off);
    if (NL == std::string::npos)
      return static_cast<unsigned>(Code.size());
    Off = NL + 1;
  }
  Off += Column > 0 ? Column - 1 : 0;
  return static_cast<unsigned>(std::min(Off, Code.size()));
}

/// One fix-it of one finding, in its file.
struct Entry {
  const FixIt *Fix;
  size_t Finding;
  size_t Index; ///< position in the finding's list
};

bool sameEdit(const FixIt &A, const FixIt &B) {
  return A.Offset == B.Offset && A.Length == B.Length &&
         A.Replacement == B.Replacement;
}

/// Whether two different replacements cannot both be applied: overlapping
/// ranges, an insertion strictly inside a replaced range, or two insertions
/// at one offset (their order would be a guess).
bool clash(const FixIt &A, const FixIt &B) {
  if (sameEdit(A, B))
    return false;
  unsigned AEnd = A.Offset + A.Length, BEnd = B.Offset + B.Length;
  if (A.Length == 0 && B.Length == 0)
    return A.Offset == B.Offset;
  if (A.Length == 0)
    return B.Offset < A.Offset && A.Offset < BEnd;
  if (B.Length == 0)
    return A.Offset < B.Offset && B.Offset < AEnd;
  return A.Offset < BEnd && B.Offset < AEnd;
}

/// Within one finding: overlapping replacements are malformed, while
/// insertions at one offset are applied in their order.
bool clashWithinFinding(const FixIt &A, const FixIt &B) {
  if (A.Length == 0 && B.Length == 0)
    return false;
  return clash(A, B);
}

/// Sorts edits by offset (at one offset: insertions first, in their order),
/// drops identical ones, and merges same-offset and adjacent edits into
/// one, so that the result is strictly separated.
std::vector<FixIt> mergeEdits(std::vector<std::pair<FixIt, size_t>> In) {
  std::stable_sort(In.begin(), In.end(), [](const auto &A, const auto &B) {
    return std::make_tuple(A.first.Offset, A.first.Length != 0, A.second) <
           std::make_tuple(B.first.Offset, B.first.Length != 0, B.second);
  });
  std::vector<FixIt> Out;
  for (auto &[F, Order] : In) {
    if (!Out.empty() && Out.back().Offset + Out.back().Length == F.Offset) {
      Out.back().Length += F.Length;
      Out.back().Replacement += F.Replacement;
      continue;
    }
    Out.push_back(F);
  }
  return Out;
}

std::string displayName(const std::vector<Diagnostic> &Findings,
                        const std::string &File) {
  for (const Diagnostic &D : Findings)
    if (D.Pos.File == File && !D.Pos.DisplayFile.empty())
      return D.Pos.DisplayFile;
  llvm::SmallString<256> Cwd;
  if (!llvm::sys::fs::current_path(Cwd)) {
    std::string Prefix = std::string(Cwd) + "/";
    if (llvm::StringRef(File).starts_with(Prefix))
      return File.substr(Prefix.size());
  }
  return File;
}

} // namespace

FixPlan planFixes(const std::vector<Diagnostic> &Findings, bool WithNotes,
                  const ContentReader &Read,
                  const std::vector<FixError> &Refused) {
  FixPlan Plan;
  // The fix-its of every candidate finding, per file, identical ones of one
  // finding once.
  std::map<std::string, std::vector<Entry>> PerFile;
  std::vector<bool> Candidate(Findings.size(), false);
  for (size_t I = 0; I < Findings.size(); ++I) {
    const std::vector<FixIt> *Fixes = chosenFixes(Findings[I], WithNotes);
    if (!Fixes)
      continue;
    Candidate[I] = true;
    for (size_t K = 0; K < Fixes->size(); ++K) {
      const FixIt &F = (*Fixes)[K];
      bool Seen = false;
      for (size_t J = 0; J < K && !Seen; ++J)
        Seen = (*Fixes)[J] == F;
      if (!Seen)
        PerFile[F.File].push_back({&F, I, K});
    }
  }

  std::vector<bool> Dropped(Findings.size(), false);
  std::map<std::string, std::string> Contents;
  std::set<std::pair<size_t, size_t>> Clashing;
  for (auto &[File, Entries] : PerFile) {
    std::string Content, Error;
    std::string Shown = displayName(Findings, File);
    auto Fail = [&](const std::string &Message) {
      Plan.Errors.push_back({File, Message});
      for (const Entry &E : Entries)
        Dropped[E.Finding] = true;
    };
    auto Refusal = std::find_if(
        Refused.begin(), Refused.end(),
        [&File = File](const FixError &E) { return E.File == File; });
    if (Refusal != Refused.end()) {
      Fail(Refusal->Message);
      continue;
    }
    if (!Read(File, Content, Error)) {
      Fail(Error);
      continue;
    }
    // The file must still fit what was analyzed: every range in it.
    bool Fits = true;
    for (const Entry &E : Entries)
      if (uint64_t(E.Fix->Offset) + E.Fix->Length > Content.size()) {
        Fail(Shown + ": a fix-it of [" + Findings[E.Finding].Check +
             "] replaces bytes " + std::to_string(E.Fix->Offset) + "-" +
             std::to_string(uint64_t(E.Fix->Offset) + E.Fix->Length) +
             " of a " + std::to_string(Content.size()) +
             "-byte file: it changed since it was analyzed; no fix-it "
             "applied in it");
        Fits = false;
        break;
      }
    if (!Fits)
      continue;
    std::stable_sort(Entries.begin(), Entries.end(),
                     [](const Entry &A, const Entry &B) {
                       return A.Fix->Offset < B.Fix->Offset;
                     });
    for (size_t A = 0; A < Entries.size(); ++A) {
      const FixIt &FA = *Entries[A].Fix;
      unsigned AEnd = FA.Offset + FA.Length;
      for (size_t B = A + 1;
           B < Entries.size() && Entries[B].Fix->Offset <= AEnd; ++B) {
        const FixIt &FB = *Entries[B].Fix;
        size_t IA = Entries[A].Finding, IB = Entries[B].Finding;
        if (IA == IB) {
          if (clashWithinFinding(FA, FB)) {
            auto [L, C] = lineColumn(Content, FB.Offset);
            Plan.Errors.push_back(
                {File, Shown + ": the fix-its of [" + Findings[IA].Check +
                           "] overlap each other at " + std::to_string(L) +
                           ":" + std::to_string(C) + "; not applied"});
            Dropped[IA] = true;
          }
          continue;
        }
        if (!clash(FA, FB))
          continue;
        const Entry &First = IA < IB ? Entries[A] : Entries[B];
        const Entry &Second = IA < IB ? Entries[B] : Entries[A];
        if (!Clashing.insert({First.Finding, Second.Finding}).second)
          continue;
        FixConflict C;
        C.File = File;
        C.DisplayFile = Shown;
        C.First = First.Finding;
        C.Second = Second.Finding;
        std::tie(C.FirstLine, C.FirstColumn) =
            lineColumn(Content, First.Fix->Offset);
        std::tie(C.SecondLine, C.SecondColumn) =
            lineColumn(Content, Second.Fix->Offset);
        C.Message =
            "conflicting fix-its in " + Shown + ": [" +
            Findings[C.First].Check + "] at " + std::to_string(C.FirstLine) +
            ":" + std::to_string(C.FirstColumn) + " and [" +
            Findings[C.Second].Check + "] at " + std::to_string(C.SecondLine) +
            ":" + std::to_string(C.SecondColumn) + "; neither applied";
        Plan.Conflicts.push_back(std::move(C));
      }
    }
    Contents[File] = std::move(Content);
  }
  for (const auto &[A, B] : Clashing)
    Dropped[A] = Dropped[B] = true;
  std::sort(Plan.Conflicts.begin(), Plan.Conflicts.end(),
            [](const FixConflict &A, const FixConflict &B) {
              return std::tie(A.File, A.First, A.Second) <
                     std::tie(B.File, B.First, B.Second);
            });

  for (auto &[File, Entries] : PerFile) {
    auto It = Contents.find(File);
    if (It == Contents.end())
      continue;
    // Ordered by finding, then by place in the finding: insertions at one
    // offset keep their order.
    std::vector<std::pair<FixIt, size_t>> Kept;
    std::set<std::tuple<unsigned, unsigned, std::string>> Seen;
    for (const Entry &E : Entries) {
      if (Dropped[E.Finding])
        continue;
      // A finding's own duplicates went at collection: an identical edit
      // here is another finding's, applied once.
      if (Seen.insert({E.Fix->Offset, E.Fix->Length, E.Fix->Replacement})
              .second)
        Kept.push_back({*E.Fix, (size_t(E.Finding) << 32) + E.Index});
    }
    if (Kept.empty())
      continue;
    FileEdits FE;
    FE.File = File;
    FE.DisplayFile = displayName(Findings, File);
    FE.Original = std::move(It->second);
    FE.FixCount = Kept.size();
    FE.Edits = mergeEdits(std::move(Kept));
    Plan.Files.push_back(std::move(FE));
  }
  for (size_t I = 0; I < Findings.size(); ++I)
    if (Candidate[I])
      (Dropped[I] ? Plan.NotApplied : Plan.Applied).push_back(I);
  return Plan;
}

void failFile(FixPlan &Plan, const std::vector<Diagnostic> &Findings,
              bool WithNotes, const std::string &File,
              const std::string &Message) {
  Plan.Errors.push_back({File, Message});
  Plan.Files.erase(
      std::remove_if(Plan.Files.begin(), Plan.Files.end(),
                     [&](const FileEdits &E) { return E.File == File; }),
      Plan.Files.end());
  std::vector<size_t> Still;
  for (size_t I : Plan.Applied) {
    const std::vector<FixIt> *Fixes = chosenFixes(Findings[I], WithNotes);
    bool Touches = false;
    for (const FixIt &F : *Fixes)
      Touches = Touches || F.File == File;
    (Touches ? Plan.NotApplied : Still).push_back(I);
  }
  Plan.Applied = std::move(Still);
  std::sort(Plan.NotApplied.begin(), Plan.NotApplied.end());
}

std::string applyEdits(const std::string &Code,
                       const std::vector<FixIt> &Edits) {
  std::string Out;
  Out.reserve(Code.size());
  size_t At = 0;
  for (const FixIt &E : Edits) {
    Out.append(Code, At, E.Offset - At);
    Out += E.Replacement;
    At = E.Offset + E.Length;
  }
  Out.append(Code, At, std::string::npos);
  return Out;
}

static llvm::Expected<clang::format::FormatStyle>
styleFor(const std::string &Style, const std::string &File,
         llvm::StringRef Code) {
  return clang::format::getStyle(Style, File, "LLVM", Code);
}

bool checkFormatStyle(const std::string &Style, std::string &Error) {
  if (Style == "none")
    return true;
  llvm::SmallString<256> Probe(".");
  llvm::sys::fs::make_absolute(Probe);
  llvm::sys::path::append(Probe, "tether-style-probe.cpp");
  auto S = styleFor(Style, std::string(Probe), "");
  if (!S) {
    Error = "--format-style: " + llvm::toString(S.takeError());
    return false;
  }
  return true;
}

bool formatEdits(const FileEdits &E, const std::string &Style,
                 std::string &NewCode, std::string &Error) {
  if (Style == "none") {
    NewCode = applyEdits(E.Original, E.Edits);
    return true;
  }
  auto S = styleFor(Style, E.File, E.Original);
  if (!S) {
    Error = E.DisplayFile +
            ": cannot read the format style: " + llvm::toString(S.takeError()) +
            "; no fix-it applied in it";
    return false;
  }
  clang::tooling::Replacements Reps;
  for (const FixIt &F : E.Edits)
    if (llvm::Error Err = Reps.add(clang::tooling::Replacement(
            E.File, F.Offset, F.Length, F.Replacement))) {
      Error = E.DisplayFile + ": " + llvm::toString(std::move(Err)) +
              "; no fix-it applied in it";
      return false;
    }
  auto Cleaned = clang::format::cleanupAroundReplacements(E.Original, Reps, *S);
  if (!Cleaned) {
    Error = E.DisplayFile + ": " + llvm::toString(Cleaned.takeError()) +
            "; no fix-it applied in it";
    return false;
  }
  auto Formatted = clang::format::formatReplacements(E.Original, *Cleaned, *S);
  if (!Formatted) {
    Error = E.DisplayFile + ": " + llvm::toString(Formatted.takeError()) +
            "; no fix-it applied in it";
    return false;
  }
  auto Result = clang::tooling::applyAllReplacements(E.Original, *Formatted);
  if (!Result) {
    Error = E.DisplayFile + ": " + llvm::toString(Result.takeError()) +
            "; no fix-it applied in it";
    return false;
  }
  NewCode = std::move(*Result);
  return true;
}

bool writeFileAtomically(const std::string &Path, const std::string &Content,
                         std::string &Error) {
  namespace fs = llvm::sys::fs;
  llvm::SmallString<256> Real;
  if (std::error_code EC = fs::real_path(Path, Real)) {
    Error = "cannot write '" + Path + "': " + EC.message();
    return false;
  }
  auto Perms = fs::getPermissions(Real);
  if (!Perms) {
    Error = "cannot write '" + Path + "': " + Perms.getError().message();
    return false;
  }
  // Refused even where a rename would succeed (root, a writable directory):
  // a read-only file is one its owner does not want changed.
  if ((*Perms & fs::all_write) == fs::no_perms ||
      fs::access(Real, fs::AccessMode::Write)) {
    Error = "cannot write '" + Path + "': the file is read-only";
    return false;
  }
  llvm::SmallString<256> Model(llvm::sys::path::parent_path(Real));
  llvm::sys::path::append(Model, "." + llvm::sys::path::filename(Real).str() +
                                     ".tether-fix-%%%%%%");
  int FD = -1;
  llvm::SmallString<256> Tmp;
  if (std::error_code EC = fs::createUniqueFile(Model, FD, Tmp)) {
    Error =
        "cannot write '" + Path +
        "': cannot create a temporary file in its directory: " + EC.message();
    return false;
  }
  llvm::sys::RemoveFileOnSignal(Tmp);
  auto Abandon = [&](const std::string &Why) {
    fs::remove(Tmp);
    llvm::sys::DontRemoveFileOnSignal(Tmp);
    Error = "cannot write '" + Path + "': " + Why;
    return false;
  };
  {
    llvm::raw_fd_ostream OS(FD, /*shouldClose=*/true);
    OS << Content;
    OS.close();
    if (OS.has_error()) {
      std::string Why = OS.error().message();
      OS.clear_error();
      return Abandon(Why);
    }
  }
  if (std::error_code EC = fs::setPermissions(Tmp, *Perms))
    return Abandon(EC.message());
  if (std::error_code EC = fs::rename(Tmp, Real))
    return Abandon(EC.message());
  llvm::sys::DontRemoveFileOnSignal(Tmp);
  return true;
}

void writeExportedFixes(const std::vector<Diagnostic> &Findings,
                        const FixPlan &Plan, bool WithNotes,
                        const std::string &MainSourceFile, std::ostream &OS) {
  namespace tooling = clang::tooling;
  std::vector<bool> Applied(Findings.size(), false);
  for (size_t I : Plan.Applied)
    Applied[I] = true;
  std::map<std::string, const std::string *> Contents;
  for (const FileEdits &E : Plan.Files)
    Contents[E.File] = &E.Original;
  std::map<std::string, std::string> Read;
  auto ContentOf = [&](const std::string &File) -> const std::string & {
    auto It = Contents.find(File);
    if (It != Contents.end())
      return *It->second;
    auto R = Read.find(File);
    if (R == Read.end()) {
      std::string Text, Ignored;
      diskReader()(File, Text, Ignored);
      R = Read.emplace(File, std::move(Text)).first;
    }
    return R->second;
  };
  auto Message = [&](const SourcePos &P, const std::string &Text) {
    tooling::DiagnosticMessage M;
    M.Message = Text;
    M.FilePath = P.File;
    M.FileOffset =
        P.valid() ? offsetOf(ContentOf(P.File), P.Line, P.Column) : 0;
    return M;
  };
  // Each distinct replacement once, under the first finding with it:
  // clang-apply-replacements would insert an #include twice.
  std::set<std::tuple<std::string, unsigned, unsigned, std::string>> Emitted;
  auto FixMap = [&](const std::vector<FixIt> &Fixes) {
    llvm::StringMap<tooling::Replacements> Map;
    std::map<std::string, std::vector<std::pair<FixIt, size_t>>> PerFile;
    for (size_t K = 0; K < Fixes.size(); ++K) {
      const FixIt &F = Fixes[K];
      if (Emitted.insert({F.File, F.Offset, F.Length, F.Replacement}).second)
        PerFile[F.File].push_back({F, K});
    }
    for (auto &[File, Fs] : PerFile)
      for (const FixIt &F : mergeEdits(std::move(Fs)))
        llvm::consumeError(Map[File].add(
            tooling::Replacement(File, F.Offset, F.Length, F.Replacement)));
    return Map;
  };

  tooling::TranslationUnitDiagnostics TUD;
  TUD.MainSourceFile = MainSourceFile;
  for (size_t I = 0; I < Findings.size(); ++I) {
    const Diagnostic &D = Findings[I];
    tooling::DiagnosticMessage Main = Message(D.Pos, D.Message);
    llvm::SmallVector<tooling::DiagnosticMessage, 1> Notes;
    const std::vector<FixIt> *Chosen =
        Applied[I] ? chosenFixes(D, WithNotes) : nullptr;
    if (Chosen == &D.Fixes)
      Main.Fix = FixMap(D.Fixes);
    for (const Note &N : D.Notes) {
      Notes.push_back(Message(N.Pos, N.Message));
      if (Chosen == &N.Fixes)
        Notes.back().Fix = FixMap(N.Fixes);
    }
    TUD.Diagnostics.emplace_back(D.Check, Main, Notes,
                                 D.Level == Severity::Error
                                     ? tooling::Diagnostic::Error
                                     : tooling::Diagnostic::Warning,
                                 /*BuildDirectory=*/"");
  }
  std::string Text;
  llvm::raw_string_ostream RS(Text);
  llvm::yaml::Output YAML(RS);
  YAML << TUD;
  RS.flush();
  OS << Text;
}

std::string fixSummary(const FixPlan &Plan, size_t FilesWritten) {
  size_t Fixes = 0;
  for (const FileEdits &E : Plan.Files)
    Fixes += E.FixCount;
  std::set<size_t> InConflict;
  for (const FixConflict &C : Plan.Conflicts) {
    InConflict.insert(C.First);
    InConflict.insert(C.Second);
  }
  auto Plural = [](size_t N, const char *One, const char *Many) {
    return std::to_string(N) + " " + (N == 1 ? One : Many);
  };
  std::string S = "applied " + Plural(Fixes, "fix-it", "fix-its") + " for " +
                  Plural(Plan.Applied.size(), "finding", "findings") + " in " +
                  Plural(FilesWritten, "file", "files");
  if (!Plan.NotApplied.empty()) {
    size_t Other = Plan.NotApplied.size() - InConflict.size();
    std::string Why;
    if (!InConflict.empty())
      Why = "conflicts: " + std::to_string(InConflict.size());
    if (Other)
      Why += (Why.empty() ? "" : ", ") + std::string("errors: ") +
             std::to_string(Other);
    S += "; " + Plural(Plan.NotApplied.size(), "finding", "findings") +
         " not fixed (" + Why + ")";
  }
  return S;
}

} // namespace tether
