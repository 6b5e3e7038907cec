//===--- UnjoinedMemberCheck.cpp - supervision-unjoined-member ------------===//

#include "UnjoinedMemberCheck.h"

#include "analysis/ExprUtils.h"

#include "clang/AST/ASTContext.h"
#include "clang/AST/DeclCXX.h"
#include "clang/AST/ExprCXX.h"
#include "clang/AST/ParentMapContext.h"

using namespace clang;
using namespace clang::ast_matchers;

namespace tether {

namespace {

bool contains(const std::vector<std::string> &V, const std::string &S) {
  return std::find(V.begin(), V.end(), S) != V.end();
}

/// The thread rule of a member's type, or of its container's elements
/// (`IsContainer` tells which); null for types that join on destruction.
const ThreadTypeRule *memberRule(const FieldDecl *F, const RuleSet &Rules,
                                 bool &IsContainer) {
  IsContainer = false;
  if (const ThreadTypeRule *R = threadRule(F->getType(), Rules))
    return R->OnDestroy == OnDestroyJoinable::Join ? nullptr : R;
  QualType Elem = containerElement(F->getType(), Rules);
  if (Elem.isNull())
    return nullptr;
  const ThreadTypeRule *R = threadRule(Elem, Rules);
  if (!R || R->OnDestroy == OnDestroyJoinable::Join)
    return nullptr;
  IsContainer = true;
  return R;
}

/// A member initializer or assignment source that starts a thread: a
/// construction with arguments, or anything that is not a default
/// construction (a call returning a thread, a moved-in thread).
bool startsThread(const Expr *Init) {
  if (!Init)
    return false;
  Init = ignoreWrappers(Init);
  if (const auto *CE = dyn_cast<CXXConstructExpr>(Init)) {
    for (const Expr *A : CE->arguments())
      if (!isa<CXXDefaultArgExpr>(A))
        return true;
    return false;
  }
  if (const auto *IL = dyn_cast<InitListExpr>(Init))
    return IL->getNumInits() > 0;
  return !isa<CXXScalarValueInitExpr, ImplicitValueInitExpr>(Init);
}

/// Every user-provided member function of `RD` has a body in this TU: its
/// destructor and stop path are all visible.
bool fullyDefined(const CXXRecordDecl *RD) {
  for (const CXXMethodDecl *M : RD->methods()) {
    if (M->isImplicit() || M->isDeleted() || M->isDefaulted() ||
        M->isPureVirtual())
      continue;
    if (!M->hasBody() && !M->getTemplateInstantiationPattern() &&
        !M->getDescribedFunctionTemplate())
      return false;
  }
  return true;
}

} // namespace

void UnjoinedMemberCheck::registerMatchers(MatchFinder *Finder) {
  std::vector<std::string> All;
  for (const auto &R : rules().ThreadTypes)
    All.push_back(R.Type);
  if (All.empty())
    return;
  std::vector<StringRef> Names(All.begin(), All.end());
  Finder->addMatcher(
      cxxMemberCallExpr(callee(cxxMethodDecl(ofClass(
                            cxxRecordDecl(hasAnyName(Names))))))
          .bind("handled"),
      this);
  Finder->addMatcher(fieldDecl().bind("field"), this);
}

void UnjoinedMemberCheck::check(const MatchFinder::MatchResult &R) {
  Ctx = R.Context;
  if (const auto *MC = R.Nodes.getNodeAs<CXXMemberCallExpr>("handled")) {
    const ThreadTypeRule *Rule =
        rules().threadType(qualifiedName(MC->getMethodDecl()->getParent()));
    std::string N = calleeName(MC);
    if (Rule && (contains(Rule->Join, N) || contains(Rule->Detach, N)))
      if (const ValueDecl *D = rootDecl(MC->getImplicitObjectArgument()))
        Handled.insert(resolveAlias(D, *Ctx));
    return;
  }
  if (const auto *F = R.Nodes.getNodeAs<FieldDecl>("field")) {
    const auto *RD = dyn_cast<CXXRecordDecl>(F->getParent());
    // A class template is judged once, on its pattern (where every member
    // function's body is, instantiated or not).
    if (!RD || isa<ClassTemplateSpecializationDecl>(RD) || RD->isLambda() ||
        RD->isUnion())
      return;
    bool IsContainer = false;
    if (memberRule(F, rules(), IsContainer))
      Fields.insert(F);
  }
}

void UnjoinedMemberCheck::checkField(const FieldDecl *F) {
  bool IsContainer = false;
  const ThreadTypeRule *Rule = memberRule(F, rules(), IsContainer);
  const auto *RD = cast<CXXRecordDecl>(F->getParent());
  if (!Rule || Handled.count(F) || !fullyDefined(RD))
    return;
  const Stmt *Start = nullptr;
  // Started in a constructor's member initializer?
  for (const CXXConstructorDecl *C : RD->ctors())
    for (const CXXCtorInitializer *I : C->inits())
      if (I->isWritten() && I->getMember() == F && !IsContainer &&
          startsThread(I->getInit()) && !Start)
        Start = I->getInit();
  if (!Start && F->hasInClassInitializer() && !IsContainer &&
      startsThread(F->getInClassInitializer()))
    Start = F->getInClassInitializer();
  for (const Expr *Ref : referencesTo(F, nullptr, *Ctx)) {
    const CXXMemberCallExpr *MC = nullptr;
    UseKind K = classifyUse(Ref, *Ctx, &MC);
    if (K == UseKind::Escaped || K == UseKind::Moved)
      return; // someone else owns it now
    if (K == UseKind::MethodCall && MC) {
      std::string N = calleeName(MC);
      if (N == "swap")
        return;
      if (IsContainer && (N == "emplace_back" || N == "push_back" ||
                          N == "emplace" || N == "emplace_front" ||
                          N == "push_front" || N == "insert")) {
        if (!Start)
          Start = MC;
        continue;
      }
      // Iterators handed to an algorithm (std::for_each(v.begin(), ...)).
      if (IsContainer && (N == "begin" || N == "end" || N == "data")) {
        auto P = Ctx->getParents(*MC);
        if (!P.empty() &&
            (P[0].get<CallExpr>() || P[0].get<MaterializeTemporaryExpr>() ||
             P[0].get<CXXConstructExpr>() || P[0].get<ImplicitCastExpr>()))
          return;
      }
    }
    // t_ = std::thread(f); workers_[i] = std::thread(f);
    const Expr *Cur = Ref;
    for (int Depth = 0; Depth < 4; ++Depth) {
      auto P = Ctx->getParents(*Cur);
      if (P.empty())
        break;
      const auto *OC = P[0].get<CXXOperatorCallExpr>();
      if (OC && OC->getOperator() == OO_Equal && OC->getNumArgs() == 2 &&
          OC->getArg(0)->IgnoreParenImpCasts() == Cur->IgnoreParenImpCasts()) {
        if (startsThread(OC->getArg(1)) && !Start)
          Start = OC;
        break;
      }
      const auto *PE = P[0].get<Expr>();
      if (!PE || !(isa<ImplicitCastExpr, ParenExpr>(PE) ||
                   (isa<CXXOperatorCallExpr>(PE) &&
                    cast<CXXOperatorCallExpr>(PE)->getOperator() ==
                        OO_Subscript)))
        break;
      Cur = PE;
    }
  }
  if (!Start)
    return;
  const CXXDestructorDecl *Dtor = RD->getDestructor();
  bool UserDtor = Dtor && Dtor->isUserProvided();
  SourceLocation Where =
      UserDtor ? Dtor->getLocation() : RD->getLocation();
  std::string Owner = RD->getNameAsString();
  std::string Consequence = Rule->OnDestroy == OnDestroyJoinable::Detach
                                ? "silently detaches it, leaving it unsupervised"
                                : "calls std::terminate";
  std::string What =
      IsContainer ? "threads added to member '" + F->getNameAsString() + "'"
                  : "thread member '" + F->getNameAsString() + "'";
  std::string Msg =
      std::string(UserDtor ? "the destructor of '" : "'") + Owner +
      (UserDtor ? "' does not join " : "' never joins ") + What + " (" +
      Rule->Type + "), and no stop path of the class does: destroying a '" +
      Owner + "' while " + (IsContainer ? "they run " : "it runs ") +
      Consequence +
      "; join in the destructor or stop(), or make the worker a child of a "
      "tether supervisor (supervisor with a child spec) that stops and "
      "joins it";
  diag(Where, Msg)
      .note(F->getLocation(),
            "'" + F->getNameAsString() + "' is declared here")
      .note(Start->getBeginLoc(), IsContainer ? "a thread is added here"
                                              : "a thread is started here");
}

void UnjoinedMemberCheck::onEndOfTranslationUnit() {
  if (Ctx)
    for (const FieldDecl *F : Fields)
      checkField(F);
  Fields.clear();
  Handled.clear();
}

} // namespace tether
