//===--- Diagnostic.h - The one diagnostic model every writer reads -------===//
//
// A finding of a tether check, independent of Clang: a check name, a primary
// location, a message, notes (related locations), fix-its and a stable
// fingerprint. Checks produce these (through CheckContext), the driver merges
// and sorts them, and every output writer (text, JSON, SARIF, later baselines,
// the result cache and the LSP server) reads only this model.
//
//===----------------------------------------------------------------------===//
#ifndef TETHER_CHECKS_CORE_DIAGNOSTIC_H
#define TETHER_CHECKS_CORE_DIAGNOSTIC_H

#include <cstdint>
#include <string>
#include <vector>

namespace tether {

/// A position in a source file. Lines and columns are 1-based; the column
/// counts bytes, as clang does. `File` is absolute and normalized (the key for
/// de-duplication and sorting); `DisplayFile` is what users see: the path as
/// given on the command line or in the compilation database where the file is
/// a main file, otherwise relative to the working directory when below it.
struct SourcePos {
  std::string File;
  std::string DisplayFile;
  unsigned Line = 0;
  unsigned Column = 0;

  bool valid() const { return !File.empty() && Line > 0; }
};

/// A textual replacement, as clang-tidy's fix-its: replace `Length` bytes at
/// `Offset` of `File` (absolute, normalized) with `Replacement`. An insertion
/// has `Length == 0`. Two findings may carry the same replacement (the same
/// `#include` added for two findings in one file): appliers apply identical
/// replacements once.
struct FixIt {
  std::string File;
  unsigned Offset = 0;
  unsigned Length = 0;
  std::string Replacement;

  bool operator==(const FixIt &O) const {
    return File == O.File && Offset == O.Offset && Length == O.Length &&
           Replacement == O.Replacement;
  }
};

/// A related place that explains a finding ("the thread is created here").
/// A note may carry its own fix-its: a rewrite that is right in the common
/// case but changes behaviour the check cannot prove unchanged, applied only
/// on request (--fix-notes), as clang-tidy does.
struct Note {
  SourcePos Pos;
  std::string Message;
  std::string SourceLine; ///< the line at Pos, for the caret display
  std::vector<FixIt> Fixes; ///< may be empty
};

enum class Severity { Warning, Error };

/// Where a finding stands against a baseline (--baseline): `None` when the run
/// has no baseline, `Absent` for a baseline entry that was not found again.
enum class BaselineState { None, New, Unchanged, Absent };

/// One finding of one check.
struct Diagnostic {
  std::string Check;          ///< e.g. "spawn-detached-thread"
  Severity Level = Severity::Warning;
  SourcePos Pos;              ///< the primary location
  /// One short line (about 100 characters at most): what is wrong and why it
  /// matters. The cure is a note whose message starts with "fix: ".
  std::string Message;
  std::vector<Note> Notes;    ///< related locations, in order
  /// Fix-its applied by --fix: all of them or none (one rewrite). Empty when
  /// no rewrite is safe; the "fix: " note then names the runtime construct.
  std::vector<FixIt> Fixes;
  /// The source line at `Pos` (without the newline), for the caret display and
  /// the fingerprint.
  std::string SourceLine;
  /// Qualified name of the function (or other declaration) that contains the
  /// finding, empty at namespace scope. Part of the fingerprint, so findings
  /// keep their identity when unrelated lines move.
  std::string Context;
  /// Stable identity across runs and line shifts; see normalizeDiagnostics().
  std::string Fingerprint;
  /// Silenced by a NOLINT comment (tool/Suppressions.h): kept for SARIF only.
  bool SuppressedInSource = false;
  BaselineState Baseline = BaselineState::None;
};

/// Orders diagnostics by file, line, column, check, message: the order every
/// writer uses, whatever the number of jobs.
bool operator<(const Diagnostic &A, const Diagnostic &B);

/// Sorts, removes exact duplicates (the same finding in a header reached from
/// several translation units) and fills in fingerprints.
void normalizeDiagnostics(std::vector<Diagnostic> &Diags);

/// A translation unit that could not be analyzed, with the compiler's output.
struct ToolError {
  std::string File;     ///< the translation unit (display path), may be empty
  std::string Message;  ///< one line
  std::string Details;  ///< compiler output, possibly several lines
};

/// Everything a run produced.
struct RunResult {
  /// The reported findings: what text and JSON show and the exit code counts.
  std::vector<Diagnostic> Diagnostics;
  /// Findings that are not reported: silenced in the source, already in the
  /// baseline, or baseline entries no longer found (`Baseline == Absent`).
  /// Only SARIF lists them, with their suppression or baseline state.
  std::vector<Diagnostic> Hidden;
  std::vector<ToolError> Errors;
  unsigned FilesAnalyzed = 0;
  /// Of those, how many came from the result cache without parsing.
  unsigned FromCache = 0;
};

} // namespace tether

#endif
