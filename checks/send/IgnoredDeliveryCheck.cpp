//===--- IgnoredDeliveryCheck.cpp - send-ignored-delivery -----------------===//

#include "IgnoredDeliveryCheck.h"

#include "analysis/ExprUtils.h"
#include "analysis/SpawnSites.h"

#include "clang/AST/ASTContext.h"
#include "clang/AST/DeclTemplate.h"
#include "clang/AST/ExprCXX.h"
#include "llvm/ADT/StringSet.h"

#include <cctype>

using namespace clang;
using namespace clang::ast_matchers;

namespace tether {

namespace {

std::string lowerNoUnderscore(StringRef S) {
  std::string Out;
  for (char C : S)
    if (C != '_')
      Out += static_cast<char>(std::tolower(static_cast<unsigned char>(C)));
  return Out;
}

/// Does a value of type `T` say whether something was delivered?
bool reportsDelivery(QualType T) {
  T = T.getCanonicalType();
  if (T->isBooleanType() || T->isEnumeralType())
    return true;
  if (T->isIntegerType() && !T->isAnyCharacterType())
    return true;
  if (const CXXRecordDecl *RD = recordOf(T)) {
    std::string N = lowerNoUnderscore(RD->getName());
    for (const char *K : {"status", "result", "error", "expected"})
      if (N.find(K) != std::string::npos)
        return true;
  }
  return false;
}

/// The executor or queue rule naming `Class::Method`, if any: its pack
/// name for the message. `AllocationOnly` is set when the rule says the
/// method fails only when memory runs out.
const std::string *ruleFor(const RuleSet &Rules, const std::string &Class,
                           const std::string &Method, bool &AllocationOnly) {
  for (const ExecutorRule &R : Rules.Executors)
    if (qualifiedNameMatches(R.Class, Class) &&
        llvm::is_contained(R.Methods, Method))
      return &R.Pack;
  for (const QueueRule &R : Rules.Queues)
    if (qualifiedNameMatches(R.Class, Class) &&
        llvm::is_contained(R.Methods, Method)) {
      AllocationOnly = llvm::is_contained(R.AllocationFailureOnly, Method);
      return &R.Pack;
    }
  return nullptr;
}

/// The member functions of `RD` and its bases, names lower-cased without
/// underscores.
void methodNames(const CXXRecordDecl *RD, llvm::StringSet<> &Out,
                 int Depth = 0) {
  if (!RD || !RD->hasDefinition() || Depth > 8)
    return;
  RD = RD->getDefinition();
  for (const Decl *D : RD->decls()) {
    const NamedDecl *ND = dyn_cast<NamedDecl>(D);
    if (const auto *FT = dyn_cast<FunctionTemplateDecl>(D))
      ND = FT->getTemplatedDecl();
    if (const auto *MD = dyn_cast_or_null<CXXMethodDecl>(ND))
      if (MD->getIdentifier())
        Out.insert(lowerNoUnderscore(MD->getName()));
  }
  for (const CXXBaseSpecifier &B : RD->bases())
    methodNames(B.getType()->getAsCXXRecordDecl(), Out, Depth + 1);
}

/// A home-made queue whose `Method` has a `try_` twin and that cannot be
/// closed (no close, shutdown, stop or cancel method): the twin is the
/// operation that fails when the queue is full, so the plain one fails only
/// when memory runs out (an unbounded lock-free queue's enqueue). Ignoring
/// that result loses no message to a full or closed queue.
bool failsOnlyOnAllocation(const CXXRecordDecl *RD, StringRef Method) {
  std::string M = lowerNoUnderscore(Method);
  if (StringRef(M).starts_with("try"))
    return false;
  llvm::StringSet<> Names;
  methodNames(RD, Names);
  if (!Names.count("try" + M))
    return false;
  for (const auto &N : Names)
    for (StringRef Verb : {"close", "shutdown", "stop", "cancel"})
      if (N.getKey().starts_with(Verb))
        return false;
  return true;
}

} // namespace

void IgnoredDeliveryCheck::registerMatchers(MatchFinder *Finder) {
  // Every non-void member call; the name tests are in check() because they
  // depend on the object's class as well as the method's.
  Finder->addMatcher(
      cxxMemberCallExpr(callee(cxxMethodDecl(unless(returns(voidType())))))
          .bind("call"),
      this);
}

void IgnoredDeliveryCheck::check(const MatchFinder::MatchResult &R) {
  const auto *Call = R.Nodes.getNodeAs<CXXMemberCallExpr>("call");
  if (!Call || !Call->getMethodDecl())
    return;
  const CXXMethodDecl *MD = Call->getMethodDecl();
  if (!reportsDelivery(Call->getCallReturnType(*R.Context)))
    return;
  if (!isDiscarded(Call, *R.Context) || isCastToVoid(Call, *R.Context))
    return;
  std::string Method = MD->getNameAsString();
  // The method's class, and the object's (an alias, a derived class).
  llvm::SmallVector<const CXXRecordDecl *, 2> Classes = {MD->getParent()};
  if (const Expr *Obj = Call->getImplicitObjectArgument()) {
    QualType OT = Obj->IgnoreParenImpCasts()->getType();
    if (OT->isPointerType())
      OT = OT->getPointeeType();
    if (const CXXRecordDecl *RD = recordOf(OT))
      if (RD != MD->getParent())
        Classes.push_back(RD);
  }
  bool Matched = false;
  bool AllocationOnly = false;
  std::string Why;
  for (const CXXRecordDecl *RD : Classes) {
    std::string Q = qualifiedName(RD);
    if (const std::string *Pack = ruleFor(rules(), Q, Method, AllocationOnly)) {
      Matched = true;
      Why = "the '" + *Pack + "' rule pack";
      break;
    }
    if (rules().ExecutorNameHeuristics &&
        looksLikeSender(RD->getNameAsString(), Method)) {
      Matched = true;
      AllocationOnly = failsOnlyOnAllocation(RD, Method);
      Why = "the executor name heuristic";
      break;
    }
  }
  if (!Matched || AllocationOnly)
    return;
  SourceLocation Loc = Call->getExprLoc();
  if (!Reported.insert(Loc).second)
    return;
  std::string Type =
      Call->getCallReturnType(*R.Context).getAsString(
          R.Context->getPrintingPolicy());
  diag(Loc, "the " + Type + " returned by '" + qualifiedName(MD) +
                "' is ignored: an undelivered message is lost unseen")
      .cure("handle the failure (or cast the call to void to say it may be "
            "lost), or send it with a tether::server cast(), whose failures "
            "become dead letters; the result says whether the work or "
            "message was delivered (" +
            Why + ")");
}

} // namespace tether
