//===--- Convert.h - tether's diagnostics as LSP diagnostics and actions --===//
//
// Clang-independent conversions between tether's model (core/Diagnostic.h:
// 1-based lines, byte columns, byte offsets of fix-its) and the Language
// Server Protocol's (0-based lines, characters in UTF-16 code units unless
// the client agreed to UTF-8): diagnostics with their related information
// and the data their code actions need, the quick fixes, and the NOLINT
// suppression as tool/Suppressions.h reads it.
//
//===----------------------------------------------------------------------===//
#ifndef TETHER_TOOL_LSP_CONVERT_H
#define TETHER_TOOL_LSP_CONVERT_H

#include "core/Diagnostic.h"

#include <nlohmann/json.hpp>

#include <functional>
#include <string>
#include <vector>

namespace tether::lsp {

enum class Encoding { UTF16, UTF8 };

/// A text and where its lines start.
class LineTable {
public:
  explicit LineTable(std::string Text);
  const std::string &text() const { return Text; }
  unsigned lineCount() const { return static_cast<unsigned>(Starts.size()); }
  /// Line `Line0` (0-based) without its line break; "" past the end.
  std::string line(unsigned Line0) const;
  /// The LSP position of byte `Byte0` (0-based) of line `Line0`; both are
  /// clamped to the text.
  nlohmann::json position(unsigned Line0, unsigned Byte0, Encoding E) const;
  /// The LSP position of byte offset `Offset` of the text.
  nlohmann::json positionOfOffset(unsigned Offset, Encoding E) const;
  /// The line break the text uses ("\r\n" or "\n").
  std::string lineBreak() const;

private:
  std::string Text;
  std::vector<size_t> Starts;
};

/// Characters of the first `Bytes` bytes of `Line` in encoding `E`.
unsigned characters(const std::string &Line, unsigned Bytes, Encoding E);

std::string fileUri(const std::string &Path);
/// The path of a file:// URI (percent-decoded), or "" for another scheme.
std::string uriPath(const std::string &Uri);

struct ConvertContext {
  Encoding Enc = Encoding::UTF16;
  /// The base of the docs pages: <base><check>.md.
  std::string DocsBaseUri;
  /// The text of a file other than the analyzed one (a note in a header):
  /// the open buffer or the file on disk; null when unreadable.
  std::function<const LineTable *(const std::string &AbsPath)> TextOf;
};

/// The LSP diagnostic of a finding in the file whose text is `Main`: range
/// (the token at the position), severity, source "tether", code and
/// codeDescription, relatedInformation (one per note), and `data`: the
/// quick fix (`fix`: title and WorkspaceEdit) when the finding has fix-its,
/// the note fixes (`noteFixes`), and the check name.
nlohmann::json toLspDiagnostic(const Diagnostic &D, const std::string &MainFile,
                               const LineTable &Main, const ConvertContext &C);

/// A WorkspaceEdit of fix-its (files other than `MainFile` through
/// C.TextOf); null when a file cannot be read.
nlohmann::json toWorkspaceEdit(const std::vector<FixIt> &Fixes,
                               const std::string &MainFile,
                               const LineTable &Main, const ConvertContext &C);

/// The code actions of one published LSP diagnostic (as toLspDiagnostic
/// made it) in the document `Uri` whose text is `Main`: its quick fix
/// (preferred), its note fixes, and "suppress with NOLINT".
nlohmann::json codeActionsFor(const nlohmann::json &LspDiag,
                              const std::string &Uri, const LineTable &Main,
                              Encoding E);

/// The edit that silences `Check` on line `Line0` (0-based) of `Main`:
/// `// NOLINT(check)` at the end of the line, or, when the line already has
/// a comment, `// NOLINTNEXTLINE(check)` on a line of its own above it.
/// Null for a line that continues a macro (ends with a backslash).
nlohmann::json nolintEdit(const LineTable &Main, unsigned Line0,
                          const std::string &Check, Encoding E,
                          std::string &Title);

} // namespace tether::lsp

#endif
