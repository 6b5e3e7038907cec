//===--- FixApply.h - Plans, formats and writes the fix-its of findings ---===//
//
// What --fix, --fix-notes and --export-fixes do with the fix-its of the
// reported findings, without any command-line code, so that the LSP server
// can reuse it: choose each finding's fix-its (its own, or with notes those
// of its first note that has some), collect them per file, apply identical
// replacements once, refuse every finding involved in a conflict (overlapping
// replacements, or two different insertions at one offset), check that the
// offsets still fit the file, format the changed ranges with clang-format,
// and write each file atomically (docs/fixes.md). The header is free of Clang
// types; the implementation uses clang's Replacements, clang-format and the
// clang-apply-replacements YAML.
//
//===----------------------------------------------------------------------===//
#ifndef TETHER_TOOL_FIXAPPLY_H
#define TETHER_TOOL_FIXAPPLY_H

#include "core/Diagnostic.h"

#include <cstddef>
#include <functional>
#include <iosfwd>
#include <string>
#include <vector>

namespace tether {

/// The fix-its --fix applies for one finding: its own; when it has none and
/// `WithNotes` (--fix-notes), those of its first note that has some. Null
/// when there is nothing to apply.
const std::vector<FixIt> *chosenFixes(const Diagnostic &D, bool WithNotes);

/// Two findings whose fix-its clash in one file: neither is applied.
struct FixConflict {
  std::string File;             ///< absolute
  std::string DisplayFile;      ///< for messages
  size_t First = 0, Second = 0; ///< indices of the findings, First < Second
  /// 1-based line and byte column of the two clashing replacements.
  unsigned FirstLine = 0, FirstColumn = 0, SecondLine = 0, SecondColumn = 0;
  /// "conflicting fix-its in F: [a] at L:C and [b] at L:C; neither applied"
  std::string Message;
};

/// A file whose fix-its cannot be applied (unreadable, changed since it was
/// analyzed, a finding whose own fix-its overlap, not writable): every
/// finding with a fix-it in it is left unfixed.
struct FixError {
  std::string File;
  std::string Message; ///< one line naming the file
};

/// The edits of one file: sorted, non-overlapping and separated (adjacent
/// and same-offset edits are merged into one), identical ones once.
struct FileEdits {
  std::string File;        ///< absolute
  std::string DisplayFile; ///< for messages
  std::string Original;    ///< the content the edits were checked against
  std::vector<FixIt> Edits;
  /// How many distinct fix-its went into Edits (before merging).
  size_t FixCount = 0;
};

/// What to do with the fix-its of a list of findings.
struct FixPlan {
  std::vector<FileEdits> Files; ///< sorted by path
  std::vector<FixConflict> Conflicts;
  std::vector<FixError> Errors;
  /// Indices of the findings whose fix-its are all in Files.
  std::vector<size_t> Applied;
  /// Indices of the findings with fix-its that are not applied: in a
  /// conflict, or with a fix-it in a file of Errors.
  std::vector<size_t> NotApplied;
};

/// Reads a file's current content; false with a message on failure.
using ContentReader = std::function<bool(
    const std::string &File, std::string &Content, std::string &Error)>;

/// Reads from disk.
ContentReader diskReader();

/// Plans the fix-its of `Findings` (those chosenFixes() picks). The files
/// of `Refused` (say, ones that could not be formatted) are not edited:
/// every finding with a fix-it in one is left unfixed, with that error.
FixPlan planFixes(const std::vector<Diagnostic> &Findings, bool WithNotes,
                  const ContentReader &Read,
                  const std::vector<FixError> &Refused = {});

/// After the other files of `Plan` may have been written: drops `File` (it
/// could not be written) and marks the findings with a fix-it in it as not
/// applied, with `Message` as its error. Their edits of files already
/// written stay: a finding spread over several files is then applied in
/// part (planFixes with `Refused` avoids that before any write).
void failFile(FixPlan &Plan, const std::vector<Diagnostic> &Findings,
              bool WithNotes, const std::string &File,
              const std::string &Message);

/// `Code` with sorted, non-overlapping `Edits` applied (no formatting).
std::string applyEdits(const std::string &Code,
                       const std::vector<FixIt> &Edits);

/// The new content of `E.File`: the edits applied, then, unless `Style` is
/// "none", the code around them cleaned up and the changed lines formatted
/// by clang-format with `Style` ("file": the nearest .clang-format, LLVM
/// without one; "LLVM", "Google", "{BasedOnStyle: ...}", "file:<path>").
/// False with a message when the style cannot be read.
bool formatEdits(const FileEdits &E, const std::string &Style,
                 std::string &NewCode, std::string &Error);

/// Checks that `Style` can be read for a file in the working directory.
bool checkFormatStyle(const std::string &Style, std::string &Error);

/// Writes `Content` to `Path` atomically: a temporary file in the same
/// directory (removed on a signal), the original's permissions, then a
/// rename over the original (a symbolic link's target is replaced). A file
/// without write permission is refused. False with a message naming the
/// file on failure; the original is then untouched.
bool writeFileAtomically(const std::string &Path, const std::string &Content,
                         std::string &Error);

/// The findings' fix-its as clang-apply-replacements YAML, as clang-tidy's
/// --export-fixes writes it (clang::tooling::TranslationUnitDiagnostics):
/// every finding with its message, location and notes; the replacements of
/// the findings `Plan` applies (each distinct replacement once, under the
/// first finding that carries it), none for the others, so that
/// clang-apply-replacements makes the same change as --fix. Note fix-its
/// are written only for a note whose fix-its are applied (--fix-notes).
void writeExportedFixes(const std::vector<Diagnostic> &Findings,
                        const FixPlan &Plan, bool WithNotes,
                        const std::string &MainSourceFile, std::ostream &OS);

/// One line for stderr: "applied N fix-its for M findings in K files; J
/// findings not fixed (conflicts: C, errors: E)".
std::string fixSummary(const FixPlan &Plan, size_t FilesWritten);

} // namespace tether

#endif
