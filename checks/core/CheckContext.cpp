//===--- CheckContext.cpp - Locations, filtering, the diagnostic sink -----===//

#include "CheckContext.h"
#include "CheckRegistry.h"

#include "clang/AST/ASTContext.h"
#include "clang/AST/Decl.h"
#include "clang/AST/DeclTemplate.h"
#include "clang/Basic/SourceManager.h"
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
        {std::move(P), Message.str(), lineText(SM, SM.getFileLoc(Loc))});
  }
  return *this;
}

DiagBuilder &DiagBuilder::fix(SourceLocation Begin, unsigned Length,
                              StringRef Replacement) {
  if (!Index || !Ctx->AST)
    return *this;
  const SourceManager &SM = Ctx->AST->getSourceManager();
  SourceLocation FL = SM.getFileLoc(Begin);
  SourcePos P = Ctx->position(FL);
  if (!P.valid())
    return *this;
  Ctx->Diags[*Index].Fixes.push_back(
      {P.File, SM.getFileOffset(FL), Length, Replacement.str()});
  return *this;
}

const CheckDescriptor *CheckRegistry::find(const std::string &Name) const {
  for (const auto &C : Checks)
    if (C.Name == Name)
      return &C;
  return nullptr;
}

} // namespace tether
