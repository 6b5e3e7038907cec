//===--- TextWriter.cpp - clang-style text output -------------------------===//

#include "Writers.h"

namespace tether {

namespace {
const char *Reset = "\033[0m";
const char *Bold = "\033[1m";
const char *Magenta = "\033[1;35m";
const char *Red = "\033[1;31m";
const char *Black = "\033[1;30m";
const char *Green = "\033[1;32m";

void caret(std::ostream &OS, unsigned Line, const std::string &Text,
           unsigned Column, bool Color) {
  if (Text.empty())
    return;
  std::string Num = std::to_string(Line);
  std::string Pad(Num.size() < 5 ? 5 - Num.size() : 0, ' ');
  OS << Pad << Num << " | " << Text << "\n";
  OS << std::string(Pad.size() + Num.size(), ' ') << " | ";
  // Keep tabs so the caret lines up under the same characters.
  for (unsigned K = 1; K < Column && K - 1 < Text.size(); ++K)
    OS << (Text[K - 1] == '\t' ? '\t' : ' ');
  OS << (Color ? Green : "") << "^" << (Color ? Reset : "") << "\n";
}

void header(std::ostream &OS, const SourcePos &P, const char *Kind,
            const char *KindColor, const std::string &Message, bool Color) {
  if (Color)
    OS << Bold;
  OS << P.DisplayFile << ":" << P.Line << ":" << P.Column << ": ";
  if (Color)
    OS << KindColor;
  OS << Kind << ": ";
  if (Color)
    OS << Reset << Bold;
  OS << Message;
  if (Color)
    OS << Reset;
}
} // namespace

void writeText(const RunResult &R, std::ostream &OS, bool Color) {
  for (const Diagnostic &D : R.Diagnostics) {
    header(OS, D.Pos, D.Level == Severity::Error ? "error" : "warning",
           D.Level == Severity::Error ? Red : Magenta, D.Message, Color);
    OS << " [" << D.Check << "]\n";
    caret(OS, D.Pos.Line, D.SourceLine, D.Pos.Column, Color);
    for (const Note &N : D.Notes) {
      header(OS, N.Pos, "note", Black, N.Message, Color);
      OS << "\n";
      // A note at the finding's own place (its "fix: " note) does not show
      // the same line again.
      bool Same = N.Pos.File == D.Pos.File && N.Pos.Line == D.Pos.Line &&
                  N.Pos.Column == D.Pos.Column;
      if (!Same)
        caret(OS, N.Pos.Line, N.SourceLine, N.Pos.Column, Color);
    }
  }
}

void writeErrorsText(const RunResult &R, std::ostream &OS, bool Color) {
  for (const ToolError &E : R.Errors) {
    if (Color)
      OS << Bold;
    OS << (E.File.empty() ? std::string("tether") : E.File) << ": ";
    if (Color)
      OS << Red;
    OS << "error: ";
    if (Color)
      OS << Reset << Bold;
    OS << E.Message;
    if (Color)
      OS << Reset;
    OS << "\n";
    if (!E.Details.empty()) {
      OS << E.Details;
      if (E.Details.back() != '\n')
        OS << "\n";
    }
  }
}

} // namespace tether
