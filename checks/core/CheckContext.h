//===--- CheckContext.h - What a check sees of the run --------------------===//
//
// One CheckContext per translation unit: the merged rule packs, the check
// options, and the sink that turns clang SourceLocations into tether
// Diagnostics (applying the header filter and dropping system headers).
//
//===----------------------------------------------------------------------===//
#ifndef TETHER_CHECKS_CORE_CHECKCONTEXT_H
#define TETHER_CHECKS_CORE_CHECKCONTEXT_H

#include "Diagnostic.h"
#include "Rules.h"

#include "clang/Basic/SourceLocation.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Regex.h"

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace clang {
class ASTContext;
class SourceManager;
} // namespace clang

namespace tether {

/// Options that change what checks report, shared by every check of a run.
struct CheckOptions {
  /// Flag every mutable global, not only those shared between threads.
  bool StrictGlobals = false;
  /// Per-check options ("CheckName.Option" -> value), for later config files.
  std::map<std::string, std::string> Values;
};

class CheckContext;

/// Adds notes and fix-its to the finding just reported. A builder for a
/// finding that was filtered out (system header, header filter) does nothing.
///
/// Fix-its go to the finding (applied by --fix) until onLastNote() is called;
/// from then on they go to the last note (applied only by --fix-notes). A
/// fix-it whose range cannot be mapped to one stretch of file text (inside a
/// macro body, across a macro boundary) makes every fix-it of its target
/// unavailable: a partial rewrite is worse than none.
class DiagBuilder {
public:
  DiagBuilder(CheckContext *Ctx, std::optional<size_t> Index)
      : Ctx(Ctx), Index(Index) {}
  DiagBuilder &note(clang::SourceLocation Loc, llvm::StringRef Message);
  /// The "fix: " note at the finding's own location: the cure in one line,
  /// naming the runtime construct, followed by the docs section with the
  /// before/after example ("(docs/checks/<check>.md#fix)"). Every finding
  /// has exactly one.
  DiagBuilder &cure(llvm::StringRef Message);
  DiagBuilder &fix(clang::SourceLocation Begin, unsigned Length,
                   llvm::StringRef Replacement);
  /// Replaces the text of `Range` (token or character range) by `Text`.
  DiagBuilder &replace(clang::CharSourceRange Range, llvm::StringRef Text);
  DiagBuilder &insertBefore(clang::SourceLocation Loc, llvm::StringRef Text);
  /// Inserts after the last character of the token at `Loc`.
  DiagBuilder &insertAfterToken(clang::SourceLocation Loc,
                                llvm::StringRef Text);
  /// Adds `#include <Header>` to the file of the target's first fix-it, in
  /// its include block and in the order of the file's .clang-format (LLVM
  /// style otherwise), unless that file already includes it.
  DiagBuilder &include(llvm::StringRef Header);
  /// Directs the following fix-its to the last note added.
  DiagBuilder &onLastNote();
  /// Gives up every fix-it of the current target (a rewrite found unsafe
  /// after part of it was built).
  DiagBuilder &dropFixes();
  bool reported() const { return Index.has_value(); }

private:
  std::vector<FixIt> *target();
  void addFix(clang::CharSourceRange Range, llvm::StringRef Text);

  CheckContext *Ctx;
  std::optional<size_t> Index;
  bool OnNote = false;
};

class CheckContext {
public:
  CheckContext(const RuleSet &Rules, const CheckOptions &Options,
               std::string MainFileDisplayName,
               std::optional<llvm::Regex> HeaderFilter)
      : Rules(Rules), Options(Options),
        MainDisplay(std::move(MainFileDisplayName)),
        HeaderFilter(std::move(HeaderFilter)) {}

  const RuleSet &rules() const { return Rules; }
  const CheckOptions &options() const { return Options; }

  /// Called by the driver when the AST of the translation unit is ready.
  void setASTContext(clang::ASTContext &Ctx);
  clang::ASTContext *astContext() const { return AST; }

  DiagBuilder report(llvm::StringRef Check, clang::SourceLocation Loc,
                     llvm::StringRef Message);

  /// Turns a location into a SourcePos (macro locations map to where the
  /// macro is used, or to the argument's spelling inside a macro call).
  SourcePos position(clang::SourceLocation Loc) const;

  /// The findings, with the fix-its of targets marked unavailable removed.
  std::vector<Diagnostic> takeDiagnostics();

  /// The source line at `Loc` (its file location), without the newline.
  std::string sourceLine(clang::SourceLocation Loc) const;

  /// Records that a check reported a finding about `Key` (a global's USR):
  /// the project step leaves such subjects to the per-TU check.
  void markReported(std::string Key) { Reported.push_back(std::move(Key)); }
  const std::vector<std::string> &reportedKeys() const { return Reported; }

  /// A whole-TU analysis shared by every check of this translation unit
  /// (the thread-context analysis, say): built by `Make` on first use, then
  /// returned to every later caller, so N checks cost one analysis.
  /// `Make` returns a std::unique_ptr<T>. Call only once the AST is ready.
  template <typename T, typename Factory> T &sharedAnalysis(Factory &&Make) {
    static const char Key = 0; // one distinct address per T
    auto It = Analyses.find(&Key);
    if (It == Analyses.end())
      It = Analyses.emplace(&Key, std::shared_ptr<void>(Make().release(),
                                                        [](void *P) {
                                                          delete static_cast<T *>(P);
                                                        }))
               .first;
    return *static_cast<T *>(It->second.get());
  }

private:
  friend class DiagBuilder;
  bool shouldReport(clang::SourceLocation FileLoc) const;
  std::string enclosingDeclName(clang::SourceLocation FileLoc) const;

  const RuleSet &Rules;
  const CheckOptions &Options;
  std::string MainDisplay;
  std::optional<llvm::Regex> HeaderFilter;
  clang::ASTContext *AST = nullptr;
  std::vector<Diagnostic> Diags;
  /// Fix-it targets given up: (finding index, note index or -1).
  std::vector<std::pair<size_t, int>> DroppedFixes;
  std::vector<std::string> Reported;
  std::map<const void *, std::shared_ptr<void>> Analyses;
};

} // namespace tether

#endif
