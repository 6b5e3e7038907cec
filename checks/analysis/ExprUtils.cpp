//===--- ExprUtils.cpp - Shared AST helpers for tether checks -------------===//

#include "ExprUtils.h"

#include "clang/AST/ASTContext.h"
#include "clang/AST/DeclCXX.h"
#include "clang/AST/DeclTemplate.h"
#include "clang/AST/ExprCXX.h"
#include "clang/AST/ParentMapContext.h"
#include "clang/AST/StmtCXX.h"
#include "clang/ASTMatchers/ASTMatchFinder.h"
#include "clang/ASTMatchers/ASTMatchers.h"

using namespace clang;

namespace tether {

std::string qualifiedName(const NamedDecl *D) {
  if (!D)
    return {};
  std::string S;
  llvm::raw_string_ostream OS(S);
  PrintingPolicy P(D->getASTContext().getLangOpts());
  P.SuppressInlineNamespace = true;
  P.SuppressUnwrittenScope = true;
  D->printQualifiedName(OS, P);
  return OS.str();
}

std::string functionQualifiedName(const FunctionDecl *FD) {
  if (!FD)
    return {};
  if (const auto *MD = dyn_cast<CXXMethodDecl>(FD))
    return qualifiedName(MD->getParent()) + "::" + MD->getNameAsString();
  return qualifiedName(FD);
}

const CXXRecordDecl *recordOf(QualType T) {
  if (T.isNull())
    return nullptr;
  T = T.getNonReferenceType().getCanonicalType();
  if (const auto *RT = T->getAs<RecordType>())
    return dyn_cast<CXXRecordDecl>(RT->getDecl());
  return nullptr;
}

const ThreadTypeRule *threadRule(QualType T, const RuleSet &Rules) {
  const CXXRecordDecl *RD = recordOf(T);
  return RD ? Rules.threadType(qualifiedName(RD)) : nullptr;
}

const FutureTypeRule *futureRule(QualType T, const RuleSet &Rules) {
  const CXXRecordDecl *RD = recordOf(T);
  return RD ? Rules.futureType(qualifiedName(RD)) : nullptr;
}

/// Looks `T` (through references and one level of pointer) up by every name
/// it is spelled with: each typedef or alias on its sugar chain (C's
/// pthread_mutex_t is a typedef of an unnamed struct), then the record's
/// qualified name.
template <typename RuleT, typename LookupT>
static const RuleT *lookupType(QualType T, LookupT Lookup) {
  if (T.isNull())
    return nullptr;
  T = T.getNonReferenceType();
  if (T->isPointerType())
    T = T->getPointeeType();
  for (int Depth = 0; Depth < 8 && !T.isNull(); ++Depth) {
    const auto *TT = T->getAs<TypedefType>();
    if (!TT)
      break;
    if (const RuleT *R = Lookup(qualifiedName(TT->getDecl())))
      return R;
    T = TT->getDecl()->getUnderlyingType();
  }
  if (T.isNull())
    return nullptr;
  if (const RecordDecl *RD = T.getCanonicalType()->getAsRecordDecl())
    if (RD->getIdentifier() || isa<CXXRecordDecl>(RD))
      return Lookup(qualifiedName(RD));
  return nullptr;
}

const ConditionVariableRule *conditionVariableRule(QualType T,
                                                   const RuleSet &Rules) {
  return lookupType<ConditionVariableRule>(
      T, [&](const std::string &N) { return Rules.conditionVariable(N); });
}

const MutexTypeRule *mutexRule(QualType T, const RuleSet &Rules) {
  return lookupType<MutexTypeRule>(
      T, [&](const std::string &N) { return Rules.mutexType(N); });
}

const LockTypeRule *lockRule(QualType T, const RuleSet &Rules) {
  return lookupType<LockTypeRule>(
      T, [&](const std::string &N) { return Rules.lockType(N); });
}

const SynchronizedTypeRule *synchronizedRule(QualType T,
                                             const RuleSet &Rules) {
  return lookupType<SynchronizedTypeRule>(
      T, [&](const std::string &N) { return Rules.synchronizedType(N); });
}

const ThreadSpecificRule *threadSpecificRule(QualType T,
                                             const RuleSet &Rules) {
  return lookupType<ThreadSpecificRule>(
      T, [&](const std::string &N) { return Rules.threadSpecific(N); });
}

const MutexTypeRule *mutexFunctionCall(const CallExpr *C, const RuleSet &Rules,
                                       bool &Locks, const Expr *&Mutex) {
  const FunctionDecl *FD = C ? C->getDirectCallee() : nullptr;
  if (!FD || isa<CXXMethodDecl>(FD) || C->getNumArgs() == 0)
    return nullptr;
  const MutexTypeRule *R = Rules.mutexFunction(qualifiedName(FD), Locks);
  if (R)
    Mutex = C->getArg(0);
  return R;
}

const ConditionVariableRule *conditionFunctionCall(const CallExpr *C,
                                                   const RuleSet &Rules,
                                                   bool &Waits,
                                                   const Expr *&Condition) {
  const FunctionDecl *FD = C ? C->getDirectCallee() : nullptr;
  if (!FD || isa<CXXMethodDecl>(FD) || C->getNumArgs() == 0)
    return nullptr;
  const ConditionVariableRule *R =
      Rules.conditionVariableFunction(qualifiedName(FD), Waits);
  if (R)
    Condition = C->getArg(0);
  return R;
}

QualType containerElement(QualType T, const RuleSet &Rules) {
  const auto *Spec =
      dyn_cast_or_null<ClassTemplateSpecializationDecl>(recordOf(T));
  if (!Spec || Spec->getTemplateArgs().size() == 0)
    return {};
  std::string Name = qualifiedName(Spec);
  for (const std::string &C : Rules.Containers)
    if (qualifiedNameMatches(C, Name)) {
      const TemplateArgument &A = Spec->getTemplateArgs()[0];
      if (A.getKind() == TemplateArgument::Type)
        return A.getAsType();
    }
  return {};
}

bool isWaitMethodName(llvm::StringRef Name) {
  std::string L = Name.lower();
  return llvm::StringRef(L).starts_with("wait") || L == "join" ||
         L == "join_all" || L == "joinall" || L == "drain";
}

const Expr *ignoreWrappers(const Expr *E) {
  while (E) {
    const Expr *Prev = E;
    E = E->IgnoreParenImpCasts();
    if (const auto *EWC = dyn_cast<ExprWithCleanups>(E))
      E = EWC->getSubExpr();
    if (const auto *BT = dyn_cast<CXXBindTemporaryExpr>(E))
      E = BT->getSubExpr();
    if (const auto *MT = dyn_cast<MaterializeTemporaryExpr>(E))
      E = MT->getSubExpr();
    if (const auto *FC = dyn_cast<CXXFunctionalCastExpr>(E))
      if (FC->getCastKind() == CK_ConstructorConversion ||
          FC->getCastKind() == CK_NoOp)
        E = FC->getSubExpr();
    // The copy or move that C++11/14 write around a temporary (a lambda
    // converted to a std::function parameter is moved once more); C++17
    // guarantees its elision and the AST has no such node.
    if (const auto *CE = dyn_cast<CXXConstructExpr>(E))
      if (CE->isElidable() && CE->getNumArgs() >= 1)
        E = CE->getArg(0);
    if (E == Prev)
      return E;
  }
  return E;
}

static bool isWrapper(const Stmt *S) {
  if (isa<ParenExpr, ImplicitCastExpr, ExprWithCleanups, CXXBindTemporaryExpr,
          MaterializeTemporaryExpr>(S))
    return true;
  if (const auto *FC = dyn_cast<CXXFunctionalCastExpr>(S))
    return FC->getCastKind() == CK_ConstructorConversion ||
           FC->getCastKind() == CK_NoOp;
  return false;
}

/// The first parent that is not a wrapper; `Child` is set to the node below.
static DynTypedNode parentSkippingWrappers(const Stmt *S, ASTContext &Ctx,
                                          const Stmt *&Child) {
  Child = S;
  while (true) {
    auto Parents = Ctx.getParents(*Child);
    if (Parents.empty())
      return DynTypedNode();
    const Stmt *P = Parents[0].get<Stmt>();
    if (P && isWrapper(P)) {
      Child = P;
      continue;
    }
    return Parents[0];
  }
}

bool isDiscarded(const Expr *E, ASTContext &Ctx) {
  const Stmt *Child = nullptr;
  DynTypedNode P = parentSkippingWrappers(E, Ctx, Child);
  const Stmt *PS = P.get<Stmt>();
  if (!PS)
    return false;
  if (isa<CompoundStmt, LabelStmt, DefaultStmt>(PS))
    return true;
  if (const auto *CS = dyn_cast<CaseStmt>(PS))
    return CS->getSubStmt() == Child;
  if (const auto *If = dyn_cast<IfStmt>(PS))
    return If->getThen() == Child || If->getElse() == Child;
  if (const auto *W = dyn_cast<WhileStmt>(PS))
    return W->getBody() == Child;
  if (const auto *D = dyn_cast<DoStmt>(PS))
    return D->getBody() == Child;
  if (const auto *F = dyn_cast<ForStmt>(PS))
    return F->getBody() == Child || F->getInc() == Child ||
           F->getInit() == Child;
  if (const auto *RF = dyn_cast<CXXForRangeStmt>(PS))
    return RF->getBody() == Child;
  if (const auto *Cast = dyn_cast<ExplicitCastExpr>(PS))
    return Cast->getTypeAsWritten()->isVoidType();
  if (const auto *BO = dyn_cast<BinaryOperator>(PS))
    return BO->getOpcode() == BO_Comma && BO->getLHS() == Child;
  return false;
}

bool isCastToVoid(const Expr *E, ASTContext &Ctx) {
  const Stmt *Child = nullptr;
  DynTypedNode P = parentSkippingWrappers(E, Ctx, Child);
  if (const auto *Cast = P.get<ExplicitCastExpr>())
    return Cast->getTypeAsWritten()->isVoidType();
  return false;
}

const Expr *movedArgument(const Expr *E) {
  if (!E)
    return nullptr;
  E = E->IgnoreParenImpCasts();
  if (const auto *C = dyn_cast<CallExpr>(E)) {
    if (C->getNumArgs() != 1)
      return nullptr;
    if (const auto *FD = C->getDirectCallee()) {
      std::string N = qualifiedName(FD);
      if (N == "std::move" || N == "std::forward")
        return C->getArg(0);
    }
    return nullptr;
  }
  if (const auto *SC = dyn_cast<CXXStaticCastExpr>(E))
    if (SC->getTypeAsWritten()->isRValueReferenceType())
      return SC->getSubExpr();
  return nullptr;
}

const ValueDecl *rootDecl(const Expr *E) {
  while (E) {
    E = ignoreWrappers(E);
    if (const auto *DRE = dyn_cast<DeclRefExpr>(E))
      return DRE->getDecl();
    if (const auto *ME = dyn_cast<MemberExpr>(E)) {
      if (isa<FieldDecl>(ME->getMemberDecl()) &&
          isa<CXXThisExpr>(ME->getBase()->IgnoreParenImpCasts()))
        return ME->getMemberDecl();
      if (isa<FieldDecl, VarDecl>(ME->getMemberDecl()))
        return ME->getMemberDecl();
      E = ME->getBase();
      continue;
    }
    if (const auto *UO = dyn_cast<UnaryOperator>(E)) {
      if (UO->getOpcode() == UO_Deref || UO->getOpcode() == UO_AddrOf) {
        E = UO->getSubExpr();
        continue;
      }
      return nullptr;
    }
    if (const auto *ASE = dyn_cast<ArraySubscriptExpr>(E)) {
      E = ASE->getBase();
      continue;
    }
    if (const auto *OC = dyn_cast<CXXOperatorCallExpr>(E)) {
      auto Op = OC->getOperator();
      if ((Op == OO_Star || Op == OO_Arrow || Op == OO_Subscript) &&
          OC->getNumArgs() >= 1) {
        E = OC->getArg(0);
        continue;
      }
      return nullptr;
    }
    if (const auto *MC = dyn_cast<CXXMemberCallExpr>(E)) {
      // v.at(i), v.back(), v.front(), p.get(), *v.begin(), opt.value()
      std::string N = calleeName(MC);
      static const char *Accessors[] = {"at",    "back",  "front", "get",
                                        "value", "begin", "end",   "operator*",
                                        "operator->"};
      bool Known = false;
      for (const char *A : Accessors)
        Known |= N == A;
      if (!Known)
        return nullptr;
      E = MC->getImplicitObjectArgument();
      continue;
    }
    if (const Expr *M = movedArgument(E)) {
      E = M;
      continue;
    }
    return nullptr;
  }
  return nullptr;
}

const ValueDecl *resolveAlias(const ValueDecl *D, ASTContext &Ctx) {
  for (int Depth = 0; Depth < 8 && D; ++Depth) {
    const auto *VD = dyn_cast<VarDecl>(D);
    if (!VD)
      return D;
    // A range-for loop variable refers into the range.
    auto Parents = Ctx.getParents(*VD);
    if (!Parents.empty())
      if (const auto *DS = Parents[0].get<DeclStmt>()) {
        auto PP = Ctx.getParents(*DS);
        if (!PP.empty())
          if (const auto *RF = PP[0].get<CXXForRangeStmt>())
            if (RF->getLoopVarStmt() == DS) {
              if (const ValueDecl *R = rootDecl(RF->getRangeInit())) {
                D = R;
                continue;
              }
              return D;
            }
      }
    // An iterator or reference initialized from a container expression.
    if (!VD->hasLocalStorage() || !VD->getInit())
      return D;
    QualType T = VD->getType();
    bool Refers = T->isReferenceType() || T->isPointerType();
    if (!Refers) {
      // Iterators: initialized from a call to begin()/end()/find() etc.
      const Expr *Init = ignoreWrappers(VD->getInit());
      if (const auto *MC = dyn_cast<CXXMemberCallExpr>(Init)) {
        std::string N = calleeName(MC);
        if (N == "begin" || N == "end" || N == "cbegin" || N == "rbegin" ||
            N == "find") {
          if (const ValueDecl *R = rootDecl(MC->getImplicitObjectArgument())) {
            D = R;
            continue;
          }
        }
      }
      return D;
    }
    const ValueDecl *R = rootDecl(VD->getInit());
    if (!R || R == D)
      return D;
    D = R;
  }
  return D;
}

const CXXCtorInitializer *ctorInitializerOf(const Expr *E,
                                            const DynTypedNode &Parent) {
  if (const auto *Init = Parent.get<CXXCtorInitializer>())
    return Init;
  const auto *Ctor = Parent.get<CXXConstructorDecl>();
  if (!Ctor || !E)
    return nullptr;
  for (const CXXCtorInitializer *Init : Ctor->inits())
    if (Init->getInit() == E ||
        (Init->getInit() && ignoreWrappers(Init->getInit()) == ignoreWrappers(E)))
      return Init;
  return nullptr;
}

std::string calleeName(const CallExpr *C) {
  if (const auto *MC = dyn_cast<CXXMemberCallExpr>(C))
    if (const auto *MD = MC->getMethodDecl())
      return MD->getNameAsString();
  if (const auto *FD = C->getDirectCallee())
    return FD->getNameAsString();
  return {};
}

UseKind classifyUse(const Expr *Ref, ASTContext &Ctx,
                    const CXXMemberCallExpr **CallOut, bool CopiesEscape) {
  // A reference from inside a lambda to an enclosing variable: captured.
  if (const auto *DRE = dyn_cast<DeclRefExpr>(Ref))
    if (DRE->refersToEnclosingVariableOrCapture())
      return UseKind::Escaped;
  const Stmt *Child = nullptr;
  DynTypedNode PN = parentSkippingWrappers(Ref, Ctx, Child);
  if (const auto *VD = PN.get<VarDecl>())
    return VD->getType()->isReferenceType() || CopiesEscape ? UseKind::Escaped
                                                            : UseKind::Read;
  if (ctorInitializerOf(Child ? dyn_cast<Expr>(Child) : Ref, PN))
    return CopiesEscape ? UseKind::Escaped : UseKind::Read;
  const Stmt *P = PN.get<Stmt>();
  if (!P)
    return UseKind::Read;
  if (const auto *ME = dyn_cast<MemberExpr>(P)) {
    auto PP = Ctx.getParents(*ME);
    if (!PP.empty())
      if (const auto *MC = PP[0].get<CXXMemberCallExpr>())
        if (MC->getCallee()->IgnoreParens() == ME) {
          if (CallOut)
            *CallOut = MC;
          return UseKind::MethodCall;
        }
    return UseKind::Read;
  }
  if (const Expr *M = movedArgument(dyn_cast<Expr>(P)))
    if (ignoreWrappers(M) == Child || M->IgnoreParenImpCasts() == Child)
      return UseKind::Moved;
  if (isa<CXXStaticCastExpr>(P) || isa<CallExpr>(P)) {
    if (const auto *SC = dyn_cast<CXXStaticCastExpr>(P))
      if (SC->getTypeAsWritten()->isRValueReferenceType())
        return UseKind::Moved;
  }
  if (const auto *UO = dyn_cast<UnaryOperator>(P))
    return UO->getOpcode() == UO_AddrOf ? UseKind::Escaped : UseKind::Read;
  if (isa<ReturnStmt, LambdaExpr, CoreturnStmt>(P))
    return UseKind::Escaped;
  if (const auto *BO = dyn_cast<BinaryOperator>(P)) {
    if (BO->isAssignmentOp() && BO->getLHS()->IgnoreParenImpCasts() == Ref)
      return UseKind::Assigned;
    if (BO->isAssignmentOp() && CopiesEscape)
      return UseKind::Escaped;
    return UseKind::Read;
  }
  auto ParamEscapes = [CopiesEscape](QualType PT) {
    if (PT.isNull())
      return UseKind::Escaped; // variadic or unknown: assume the worst
    if (PT->isRValueReferenceType())
      return UseKind::Moved;
    if (PT->isLValueReferenceType() &&
        !PT.getNonReferenceType().isConstQualified())
      return UseKind::Escaped;
    if (PT->isPointerType() || CopiesEscape)
      return UseKind::Escaped;
    return UseKind::Read;
  };
  if (const auto *OC = dyn_cast<CXXOperatorCallExpr>(P)) {
    if (OC->getOperator() == OO_Equal && OC->getArg(0)->IgnoreParenImpCasts() ==
                                             Ref->IgnoreParenImpCasts())
      return UseKind::Assigned;
    if (OC->getOperator() == OO_Equal && CopiesEscape)
      return UseKind::Escaped;
    if (OC->getNumArgs() >= 1 &&
        OC->getArg(0)->IgnoreParenImpCasts() == Ref->IgnoreParenImpCasts())
      return UseKind::Read; // the object of ->, *, [], ==
  }
  if (const auto *C = dyn_cast<CallExpr>(P)) {
    const FunctionDecl *FD = C->getDirectCallee();
    for (unsigned I = 0; I < C->getNumArgs(); ++I) {
      const Expr *A = C->getArg(I);
      if (A->IgnoreParenImpCasts() != cast<Expr>(Child)->IgnoreParenImpCasts() &&
          A != Child)
        continue;
      unsigned Shift = isa<CXXOperatorCallExpr>(C) && FD &&
                               isa<CXXMethodDecl>(FD) &&
                               !cast<CXXMethodDecl>(FD)->isStatic()
                           ? 1
                           : 0;
      if (I < Shift)
        return UseKind::Read;
      QualType PT;
      if (FD && I - Shift < FD->getNumParams())
        PT = FD->getParamDecl(I - Shift)->getType();
      else if (!FD)
        return UseKind::Escaped;
      return ParamEscapes(PT);
    }
    return UseKind::Read;
  }
  if (const auto *CE = dyn_cast<CXXConstructExpr>(P)) {
    const CXXConstructorDecl *Ctor = CE->getConstructor();
    for (unsigned I = 0; I < CE->getNumArgs(); ++I) {
      const Expr *A = CE->getArg(I);
      if (A->IgnoreParenImpCasts() != cast<Expr>(Child)->IgnoreParenImpCasts() &&
          A != Child)
        continue;
      QualType PT;
      if (Ctor && I < Ctor->getNumParams())
        PT = Ctor->getParamDecl(I)->getType();
      return ParamEscapes(PT);
    }
  }
  if (isa<InitListExpr>(P))
    return UseKind::Escaped; // aggregate member initialized from it
  return UseKind::Read;
}

std::vector<const Expr *> referencesTo(const ValueDecl *D, const Stmt *Scope,
                                       ASTContext &Ctx) {
  using namespace ast_matchers;
  auto M = expr(anyOf(declRefExpr(to(equalsNode(D))),
                      memberExpr(member(equalsNode(D)))))
               .bind("ref");
  std::vector<const Expr *> Out;
  auto Collect = [&](const auto &Matches) {
    for (const auto &N : Matches)
      if (const auto *E = N.template getNodeAs<Expr>("ref"))
        Out.push_back(E);
  };
  if (Scope)
    Collect(match(findAll(M), *Scope, Ctx));
  else
    Collect(match(M, Ctx));
  return Out;
}

const ValueDecl *valueHolder(const Expr *Call, ASTContext &Ctx) {
  const Expr *Cur = Call;
  for (int Depth = 0; Depth < 8; ++Depth) {
    auto Parents = Ctx.getParents(*Cur);
    if (Parents.empty())
      return nullptr;
    if (const auto *VD = Parents[0].get<VarDecl>())
      return VD->getType()->isReferenceType() ? nullptr : VD;
    if (const CXXCtorInitializer *Init = ctorInitializerOf(Cur, Parents[0]))
      return Init->getMember();
    const auto *P = Parents[0].get<Expr>();
    if (!P)
      return nullptr;
    if (const auto *OC = dyn_cast<CXXOperatorCallExpr>(P)) {
      if (OC->getOperator() == OO_Equal && OC->getNumArgs() == 2 &&
          OC->getArg(1) == Cur)
        return rootDecl(OC->getArg(0));
      return nullptr;
    }
    if (const auto *MC = dyn_cast<CXXMemberCallExpr>(P)) {
      std::string N = calleeName(MC);
      if (N == "push_back" || N == "emplace_back" || N == "emplace" ||
          N == "push_front" || N == "emplace_front" || N == "insert")
        return rootDecl(MC->getImplicitObjectArgument());
      return nullptr;
    }
    if (isa<ImplicitCastExpr, ParenExpr, ExprWithCleanups, CXXBindTemporaryExpr,
            MaterializeTemporaryExpr, CXXFunctionalCastExpr>(P) ||
        (isa<CXXConstructExpr>(P) &&
         cast<CXXConstructExpr>(P)->getConstructor()->isMoveConstructor())) {
      Cur = P;
      continue;
    }
    return nullptr;
  }
  return nullptr;
}


} // namespace tether
