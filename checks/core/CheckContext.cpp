//===--- CheckContext.cpp - Locations, filtering, the diagnostic sink -----===//

#include "CheckContext.h"
#include "CheckRegistry.h"

#include "clang/AST/ASTContext.h"
#include "clang/AST/Decl.h"
#include "clang/AST/DeclTemplate.h"
#include "clang/Basic/SourceManager.h"
#include "clang/Format/Format.h"
#include "clang/Lex/Lexer.h"
#include "clang/Tooling/Inclusions/HeaderIncludes.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"

using namespace clang;

namespace tether {

void CheckContext::setASTContext(ASTContext &Ctx) { AST = &Ctx; }

static std::string absolutePath(const SourceManager &SM, StringRef Name) {
  llvm::SmallString<256> Abs(Name);
  // The tool runs with the compile command's directory as the working
  // directory of its virtual file system, not of the process.
  if (SM.getFileManager().getVirtualFileSystem().makeAbsolute(Abs))
    llvm::sys::fs::make_absolute(Abs);
  llvm::sys::path::remove_dots(Abs, /*remove_dot_dot=*/true);
  return std::string(Abs);
}

static std::string displayPath(const std::string &Abs) {
  llvm::SmallString<256> Cwd;
  if (!llvm::sys::fs::current_path(Cwd)) {
    std::string Prefix = std::string(Cwd) + "/";
    if (Abs.rfind(Prefix, 0) == 0)
      return Abs.substr(Prefix.size());
  }
  return Abs;
}

SourcePos CheckContext::position(SourceLocation Loc) const {
  SourcePos P;
  if (!AST || Loc.isInvalid())
    return P;
  const SourceManager &SM = AST->getSourceManager();
  SourceLocation FL = SM.getFileLoc(Loc);
  FileID FID = SM.getFileID(FL);
  OptionalFileEntryRef FE = SM.getFileEntryRefForID(FID);
  if (!FE)
    return P;
  unsigned Off = SM.getFileOffset(FL);
  P.File = absolutePath(SM, FE->getName());
  P.DisplayFile = FID == SM.getMainFileID() && !MainDisplay.empty()
                      ? MainDisplay
                      : displayPath(P.File);
  P.Line = SM.getLineNumber(FID, Off);
  P.Column = SM.getColumnNumber(FID, Off);
  return P;
}

bool CheckContext::shouldReport(SourceLocation FL) const {
  const SourceManager &SM = AST->getSourceManager();
  if (SM.isInSystemHeader(FL))
    return false;
  if (SM.isWrittenInMainFile(FL))
    return true;
  if (!HeaderFilter)
    return false;
  SourcePos P = position(FL);
  return HeaderFilter->match(P.File) || HeaderFilter->match(P.DisplayFile);
}

std::string CheckContext::enclosingDeclName(SourceLocation FL) const {
  const SourceManager &SM = AST->getSourceManager();
  std::string Best;
  std::function<void(const DeclContext *)> Visit = [&](const DeclContext *DC) {
    for (const Decl *D : DC->decls()) {
      if (const auto *TD = dyn_cast<TemplateDecl>(D))
        if (TD->getTemplatedDecl())
          D = TD->getTemplatedDecl();
      SourceRange R = D->getSourceRange();
      if (R.isInvalid())
        continue;
      SourceLocation B = SM.getFileLoc(R.getBegin());
      SourceLocation E = SM.getFileLoc(R.getEnd());
      if (SM.getFileID(B) != SM.getFileID(FL) ||
          SM.isBeforeInTranslationUnit(FL, B) ||
          SM.isBeforeInTranslationUnit(E, FL))
        continue;
      if (const auto *ND = dyn_cast<NamedDecl>(D))
        if (isa<FunctionDecl, VarDecl, RecordDecl, FieldDecl>(ND))
          Best = ND->getQualifiedNameAsString();
      if (const auto *Inner = dyn_cast<DeclContext>(D))
        if (!isa<FunctionDecl>(D)) // do not descend into function bodies
          Visit(Inner);
    }
  };
  Visit(AST->getTranslationUnitDecl());
  return Best;
}

static std::string lineText(const SourceManager &SM, SourceLocation FL) {
  FileID FID = SM.getFileID(FL);
  bool Invalid = false;
  StringRef Buf = SM.getBufferData(FID, &Invalid);
  if (Invalid)
    return {};
  unsigned Off = SM.getFileOffset(FL);
  size_t Begin = Buf.rfind('\n', Off == 0 ? 0 : Off - 1);
  Begin = (Begin == StringRef::npos || Off == 0) ? 0 : Begin + 1;
  size_t End = Buf.find('\n', Off);
  if (End == StringRef::npos)
    End = Buf.size();
  std::string Line = Buf.substr(Begin, End - Begin).str();
  if (!Line.empty() && Line.back() == '\r')
    Line.pop_back();
  return Line;
}

std::string CheckContext::sourceLine(SourceLocation Loc) const {
  if (!AST || Loc.isInvalid())
    return {};
  const SourceManager &SM = AST->getSourceManager();
  return lineText(SM, SM.getFileLoc(Loc));
}

DiagBuilder CheckContext::report(StringRef Check, SourceLocation Loc,
                                 StringRef Message) {
  if (!AST || Loc.isInvalid())
    return DiagBuilder(this, std::nullopt);
  const SourceManager &SM = AST->getSourceManager();
  SourceLocation FL = SM.getFileLoc(Loc);
  if (!shouldReport(FL))
    return DiagBuilder(this, std::nullopt);
  Diagnostic D;
  D.Check = Check.str();
  D.Pos = position(FL);
  if (!D.Pos.valid())
    return DiagBuilder(this, std::nullopt);
  D.Message = Message.str();
  D.SourceLine = lineText(SM, FL);
  D.Context = enclosingDeclName(FL);
  Diags.push_back(std::move(D));
  return DiagBuilder(this, Diags.size() - 1);
}

DiagBuilder &DiagBuilder::note(SourceLocation Loc, StringRef Message) {
  if (!Index)
    return *this;
  SourcePos P = Ctx->position(Loc);
  if (P.valid()) {
    const SourceManager &SM = Ctx->AST->getSourceManager();
    Ctx->Diags[*Index].Notes.push_back(
        {std::move(P), Message.str(), lineText(SM, SM.getFileLoc(Loc)), {}});
  }
  return *this;
}

std::vector<Diagnostic> CheckContext::takeDiagnostics() {
  for (const auto &[Index, NoteIndex] : DroppedFixes) {
    if (Index >= Diags.size())
      continue;
    if (NoteIndex < 0)
      Diags[Index].Fixes.clear();
    else if (static_cast<size_t>(NoteIndex) < Diags[Index].Notes.size())
      Diags[Index].Notes[NoteIndex].Fixes.clear();
  }
  DroppedFixes.clear();
  return std::move(Diags);
}

DiagBuilder &DiagBuilder::cure(StringRef Message) {
  if (!Index)
    return *this;
  Diagnostic &D = Ctx->Diags[*Index];
  D.Notes.push_back({D.Pos,
                     ("fix: " + Message + " (docs/checks/" + D.Check +
                      ".md#fix)")
                         .str(),
                     D.SourceLine,
                     {}});
  return *this;
}

DiagBuilder &DiagBuilder::onLastNote() {
  OnNote = true;
  return *this;
}

std::vector<FixIt> *DiagBuilder::target() {
  if (!Index || !Ctx->AST)
    return nullptr;
  Diagnostic &D = Ctx->Diags[*Index];
  if (!OnNote)
    return &D.Fixes;
  return D.Notes.empty() ? nullptr : &D.Notes.back().Fixes;
}

DiagBuilder &DiagBuilder::dropFixes() {
  if (!Index)
    return *this;
  Diagnostic &D = Ctx->Diags[*Index];
  if (OnNote && D.Notes.empty())
    return *this;
  Ctx->DroppedFixes.push_back(
      {*Index, OnNote ? static_cast<int>(D.Notes.size() - 1) : -1});
  return *this;
}

void DiagBuilder::addFix(CharSourceRange Range, StringRef Text) {
  std::vector<FixIt> *T = target();
  if (!T)
    return;
  const SourceManager &SM = Ctx->AST->getSourceManager();
  CharSourceRange File =
      Lexer::makeFileCharRange(Range, SM, Ctx->AST->getLangOpts());
  if (File.isInvalid()) {
    dropFixes();
    return;
  }
  auto [BeginFID, BeginOff] = SM.getDecomposedLoc(File.getBegin());
  auto [EndFID, EndOff] = SM.getDecomposedLoc(File.getEnd());
  SourcePos P = Ctx->position(File.getBegin());
  if (BeginFID != EndFID || EndOff < BeginOff || !P.valid()) {
    dropFixes();
    return;
  }
  T->push_back({P.File, BeginOff, EndOff - BeginOff, Text.str()});
}

DiagBuilder &DiagBuilder::fix(SourceLocation Begin, unsigned Length,
                              StringRef Replacement) {
  if (!Index || !Ctx->AST)
    return *this;
  addFix(CharSourceRange::getCharRange(Begin, Begin.getLocWithOffset(Length)),
         Replacement);
  return *this;
}

DiagBuilder &DiagBuilder::replace(CharSourceRange Range, StringRef Text) {
  if (Index && Ctx->AST)
    addFix(Range, Text);
  return *this;
}

DiagBuilder &DiagBuilder::insertBefore(SourceLocation Loc, StringRef Text) {
  if (Index && Ctx->AST)
    addFix(CharSourceRange::getCharRange(Loc, Loc), Text);
  return *this;
}

DiagBuilder &DiagBuilder::insertAfterToken(SourceLocation Loc,
                                           StringRef Text) {
  if (!Index || !Ctx->AST)
    return *this;
  const SourceManager &SM = Ctx->AST->getSourceManager();
  if (Loc.isMacroID()) {
    // Only the end of a macro argument's spelling maps back to the file.
    if (!Lexer::isAtEndOfMacroExpansion(Loc, SM, Ctx->AST->getLangOpts(),
                                        &Loc)) {
      dropFixes();
      return *this;
    }
  }
  SourceLocation After =
      Lexer::getLocForEndOfToken(Loc, 0, SM, Ctx->AST->getLangOpts());
  if (After.isInvalid()) {
    dropFixes();
    return *this;
  }
  addFix(CharSourceRange::getCharRange(After, After), Text);
  return *this;
}

DiagBuilder &DiagBuilder::include(StringRef Header) {
  std::vector<FixIt> *T = target();
  if (!T || T->empty())
    return *this;
  const SourceManager &SM = Ctx->AST->getSourceManager();
  std::string File = T->front().File;
  // Find the buffer of that file among those the translation unit read.
  FileID FID;
  for (auto It = SM.fileinfo_begin(); It != SM.fileinfo_end(); ++It) {
    FileID Candidate = SM.translateFile(It->first);
    if (Candidate.isValid() &&
        Ctx->position(SM.getLocForStartOfFile(Candidate)).File == File) {
      FID = Candidate;
      break;
    }
  }
  if (FID.isInvalid())
    return *this;
  bool Invalid = false;
  StringRef Code = SM.getBufferData(FID, &Invalid);
  if (Invalid)
    return *this;
  llvm::Expected<format::FormatStyle> Style =
      format::getStyle("file", File, "LLVM", Code);
  tooling::IncludeStyle IS =
      Style ? Style->IncludeStyle : format::getLLVMStyle().IncludeStyle;
  if (!Style)
    llvm::consumeError(Style.takeError());
  tooling::HeaderIncludes Includes(File, Code, IS);
  std::optional<tooling::Replacement> R =
      Includes.insert(Header, /*IsAngled=*/true, tooling::IncludeDirective::Include);
  if (!R)
    return *this; // already included
  FixIt F{File, R->getOffset(), R->getLength(), R->getReplacementText().str()};
  if (std::find(T->begin(), T->end(), F) == T->end())
    T->push_back(std::move(F));
  return *this;
}

const CheckDescriptor *CheckRegistry::find(const std::string &Name) const {
  for (const auto &C : Checks)
    if (C.Name == Name)
      return &C;
  return nullptr;
}

} // namespace tether
