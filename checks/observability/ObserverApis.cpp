//===--- ObserverApis.cpp - Handlers attached to observability APIs -------===//

#include "ObserverApis.h"

#include "analysis/ExprUtils.h"
#include "analysis/SharedAnalyses.h"
#include "analysis/SpawnSites.h"

#include "clang/AST/ASTContext.h"
#include "clang/AST/DeclCXX.h"
#include "clang/AST/DeclTemplate.h"
#include "clang/AST/ExprCXX.h"
#include "clang/AST/RecursiveASTVisitor.h"
#include "clang/AST/StmtCXX.h"

#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/StringExtras.h"

#include <deque>

using namespace clang;

namespace tether {

ObserverApis &observerApis(CheckContext &C) {
  return C.sharedAnalysis<ObserverApis>([&C] {
    return std::make_unique<ObserverApis>(*C.astContext(), C.rules(),
                                          threadContext(C));
  });
}

std::vector<std::string> identifierWords(StringRef Name) {
  std::vector<std::string> Words;
  std::string Cur;
  auto Flush = [&] {
    if (!Cur.empty())
      Words.push_back(Cur);
    Cur.clear();
  };
  for (size_t I = 0; I < Name.size(); ++I) {
    char C = Name[I];
    if (!llvm::isAlnum(C)) {
      Flush();
      continue;
    }
    // a camelCase boundary: "logHandlers", "HTTPLogger" -> http, logger
    if (llvm::isUpper(C) && !Cur.empty() &&
        (llvm::isLower(Name[I - 1]) ||
         (I + 1 < Name.size() && llvm::isLower(Name[I + 1]) &&
          llvm::isUpper(Name[I - 1]))))
      Flush();
    Cur.push_back(llvm::toLower(C));
  }
  Flush();
  return Words;
}

namespace {

const FunctionDecl *canon(const FunctionDecl *FD) {
  return FD ? FD->getCanonicalDecl() : nullptr;
}

bool inSystem(SourceLocation L, const SourceManager &SM) {
  return L.isInvalid() || SM.isInSystemHeader(SM.getExpansionLoc(L));
}

bool isSystemDecl(const Decl *D) {
  if (!D)
    return true;
  if (D->isInStdNamespace())
    return true;
  return inSystem(D->getLocation(), D->getASTContext().getSourceManager());
}

bool hasWord(StringRef Name, std::initializer_list<const char *> Set) {
  for (const std::string &W : identifierWords(Name))
    for (const char *S : Set)
      if (W == S)
        return true;
  return false;
}

/// The words that make a class, namespace or handler list "telemetry".
bool telemetryName(StringRef Name) {
  return hasWord(Name, {"telemetry", "tracing", "trace", "tracer", "traces",
                        "metrics", "metric", "monitor", "monitoring", "log",
                        "logs", "logger", "logging", "observer", "observers",
                        "observability"});
}

bool handlerListName(StringRef Name) {
  return hasWord(Name, {"handler", "handlers", "sink", "sinks", "observer",
                        "observers", "listener", "listeners", "callback",
                        "callbacks", "hook", "hooks", "subscriber",
                        "subscribers"});
}

std::string squash(StringRef S) {
  std::string Out;
  for (char C : S)
    if (C != '_')
      Out.push_back(llvm::toLower(C));
  return Out;
}

bool registrationName(StringRef Name) {
  std::string N = squash(Name);
  return N == "attach" || N == "subscribe" || N == "addhandler" ||
         N == "addsink" || N == "onevent" || N == "addlistener" ||
         N == "addobserver" || StringRef(N).starts_with("register");
}

bool emitName(StringRef Name) {
  std::string N = squash(Name);
  for (const char *P : {"emit", "publish", "fire", "trigger", "raise", "log",
                        "trace"})
    if (StringRef(N).starts_with(P))
      return true;
  return false;
}

/// True if the class or one of the namespaces around `FD` is named like a
/// telemetry layer.
bool telemetryScope(const FunctionDecl *FD) {
  for (const DeclContext *DC = FD->getDeclContext(); DC;
       DC = DC->getParent()) {
    if (const auto *ND = dyn_cast<NamedDecl>(DC))
      if (telemetryName(ND->getName()))
        return true;
  }
  return false;
}

bool namePatternMatches(const std::string &Pattern, const std::string &Name) {
  if (!Pattern.empty() && Pattern.back() == '*') {
    std::string P = Pattern.substr(0, Pattern.size() - 1);
    if (P.rfind("::", 0) == 0)
      P = P.substr(2);
    return Name.rfind(P, 0) == 0;
  }
  return qualifiedNameMatches(Pattern, Name);
}

/// A record type, seen through references and one pointer level.
const CXXRecordDecl *objectRecord(QualType T) {
  if (T.isNull())
    return nullptr;
  T = T.getNonReferenceType();
  if (T->isPointerType())
    T = T->getPointeeType();
  return recordOf(T);
}

bool derivesFrom(const CXXRecordDecl *RD, const std::string &Base,
                 int Depth = 0) {
  if (!RD || !RD->hasDefinition() || Depth > 16)
    return false;
  RD = RD->getDefinition();
  for (const CXXBaseSpecifier &B : RD->bases()) {
    const CXXRecordDecl *BD = recordOf(B.getType());
    if (!BD) {
      // A dependent base (template<class M> : base_sink<M>): its template.
      if (const auto *TST =
              B.getType()->getAs<TemplateSpecializationType>())
        if (const TemplateDecl *TD =
                TST->getTemplateName().getAsTemplateDecl())
          if (qualifiedNameMatches(Base, qualifiedName(TD)))
            return true;
      continue;
    }
    if (qualifiedNameMatches(Base, qualifiedName(BD)) ||
        derivesFrom(BD, Base, Depth + 1))
      return true;
  }
  return false;
}

/// The functions a callable argument runs, outside system headers.
llvm::SmallVector<const FunctionDecl *, 2> handlerEntries(const Expr *Arg,
                                                          ASTContext &Ctx) {
  llvm::SmallVector<const FunctionDecl *, 2> Out;
  if (!Arg)
    return Out;
  for (const FunctionDecl *FD : resolveCallable(Arg, Ctx))
    if (!isSystemDecl(FD))
      Out.push_back(FD);
  return Out;
}

std::string displayName(const ValueDecl *D) {
  return D ? D->getNameAsString() : std::string("?");
}

/// Calls `F` on every statement of `S`, not descending into lambdas (they
/// are functions of their own in the call graph).
template <typename Fn> void forEachStmt(const Stmt *S, Fn &&F) {
  if (!S)
    return;
  F(S);
  if (isa<LambdaExpr>(S))
    return;
  for (const Stmt *C : S->children())
    forEachStmt(C, F);
}

const Stmt *bodyOf(const FunctionDecl *FD) {
  const FunctionDecl *Def = nullptr;
  if (!FD || !FD->hasBody(Def))
    return nullptr;
  return Def->getBody();
}

/// The object expression without the implicit conversions to a base class
/// that a call of an inherited method adds: `f.wait_for(...)` on a
/// std::future<int> calls std::__basic_future<int>::wait_for in libstdc++,
/// and the rules name std::future.
const Expr *withoutBaseCasts(const Expr *E) {
  while (const auto *IC = dyn_cast_or_null<ImplicitCastExpr>(E)) {
    if (IC->getCastKind() != CK_DerivedToBase &&
        IC->getCastKind() != CK_UncheckedDerivedToBase &&
        IC->getCastKind() != CK_NoOp)
      break;
    E = IC->getSubExpr();
  }
  return E;
}

/// Member call on an object: the object expression (as written, without
/// conversions to a base class) and the method, also for member operator
/// calls (`flag = true` on a std::atomic).
bool memberCall(const CallExpr *C, const Expr *&Obj,
                const CXXMethodDecl *&MD) {
  if (const auto *MC = dyn_cast<CXXMemberCallExpr>(C)) {
    Obj = withoutBaseCasts(MC->getImplicitObjectArgument());
    MD = MC->getMethodDecl();
    return Obj && MD;
  }
  if (const auto *OC = dyn_cast<CXXOperatorCallExpr>(C))
    if (const auto *M = dyn_cast_or_null<CXXMethodDecl>(OC->getDirectCallee()))
      if (OC->getNumArgs() > 0) {
        Obj = withoutBaseCasts(OC->getArg(0));
        MD = M;
        return true;
      }
  return false;
}

const ValueDecl *canonDecl(const ValueDecl *D) {
  return D ? cast<ValueDecl>(D->getCanonicalDecl()) : nullptr;
}

} // namespace

ObserverApis::ObserverApis(ASTContext &Ctx, const RuleSet &Rules,
                           ThreadContext &TC)
    : Ctx(Ctx), Rules(Rules), TC(TC), Flow(Ctx, Rules) {
  findRegistrations();
  findWaits();
}

// Where a finding about a registration is reported: the handler argument,
/// or the overriding handler method.
SourceLocation registrationLoc(const Registration &R) {
  if (R.Handler)
    return R.Handler->getBeginLoc();
  return R.Entries.front()->getLocation();
}

// " (through handler -> helper)" when the chain has more than one step.
std::string throughText(llvm::ArrayRef<const FunctionDecl *> Chain) {
  if (Chain.size() < 2)
    return "";
  return " (through " + ObserverApis::chainText(Chain) + ")";
}

std::string
ObserverApis::chainText(llvm::ArrayRef<const FunctionDecl *> Chain) {
  return ThreadContext::chainText(Chain);
}

void ObserverApis::findRegistrations() {
  struct Finder : RecursiveASTVisitor<Finder> {
    ObserverApis &A;
    explicit Finder(ObserverApis &A) : A(A) {}
    bool shouldVisitTemplateInstantiations() const { return true; }
    bool shouldVisitLambdaBody() const { return true; }

    const SourceManager &SM() { return A.Ctx.getSourceManager(); }

    void add(Registration R) {
      if (R.Entries.empty())
        return;
      if (R.Site)
        R.Enclosing = A.TC.enclosingFunction(R.Site);
      A.Regs.push_back(std::move(R));
    }

    const Expr *handlerArg(llvm::ArrayRef<const Expr *> Args, int Index,
                           llvm::SmallVector<const FunctionDecl *, 2> &Out) {
      if (Index >= 0) {
        if (static_cast<size_t>(Index) >= Args.size())
          return nullptr;
        Out = handlerEntries(Args[Index], A.Ctx);
        return Args[Index];
      }
      for (const Expr *Arg : Args) {
        Out = handlerEntries(Arg, A.Ctx);
        if (!Out.empty())
          return Arg;
      }
      return nullptr;
    }

    /// A registration rule for a function or for the constructors of a
    /// class, by qualified name.
    const ObserverRule *registerRule(const std::string &Name) {
      for (const ObserverRule &R : A.Rules.Observers)
        if (R.Kind == ObserverKind::Register &&
            qualifiedNameMatches(R.Name, Name))
          return &R;
      return nullptr;
    }

    void ruleRegistration(const Expr *Site, const ObserverRule *R,
                          llvm::ArrayRef<const Expr *> Args) {
      Registration Reg;
      Reg.How = Registration::Rule;
      Reg.Site = Site;
      Reg.R = R;
      Reg.Api = R->Name;
      Reg.Handler = handlerArg(Args, R->HandlerArg, Reg.Entries);
      add(std::move(Reg));
    }

    static llvm::SmallVector<const Expr *, 4> args(const CallExpr *C) {
      llvm::SmallVector<const Expr *, 4> Out;
      for (const Expr *E : C->arguments())
        if (!isa<CXXDefaultArgExpr>(E))
          Out.push_back(E);
      return Out;
    }

    bool VisitCallExpr(CallExpr *C) {
      if (C->isTypeDependent() || C->isValueDependent() ||
          inSystem(C->getBeginLoc(), SM()))
        return true;
      const FunctionDecl *FD = C->getDirectCallee();
      if (!FD)
        return true;
      if (isa<CXXOperatorCallExpr>(C))
        return true;
      auto Args = args(C);
      std::string Name = qualifiedName(FD);
      // std::make_shared<callback_sink_mt>(handler): constructs the class.
      if ((Name == "std::make_shared" || Name == "std::make_unique" ||
           Name == "std::allocate_shared") &&
          FD->getTemplateSpecializationArgs() &&
          FD->getTemplateSpecializationArgs()->size() > 0 &&
          FD->getTemplateSpecializationArgs()->get(0).getKind() ==
              TemplateArgument::Type) {
        QualType T = FD->getTemplateSpecializationArgs()->get(0).getAsType();
        if (const CXXRecordDecl *RD = recordOf(T))
          if (const ObserverRule *R = registerRule(qualifiedName(RD))) {
            llvm::ArrayRef<const Expr *> Rest(Args);
            if (Name == "std::allocate_shared" && !Rest.empty())
              Rest = Rest.drop_front();
            ruleRegistration(C, R, Rest);
          }
        return true;
      }
      if (const ObserverRule *R = registerRule(Name)) {
        ruleRegistration(C, R, Args);
        return true;
      }
      if (!A.Rules.ObserverNameHeuristics)
        return true;
      // A handler list named like one: log_handlers.push_back(handler).
      if (const auto *MC = dyn_cast<CXXMemberCallExpr>(C)) {
        std::string M = calleeName(C);
        if (M == "push_back" || M == "emplace_back" || M == "push_front" ||
            M == "emplace_front" || M == "insert" || M == "emplace") {
          const ValueDecl *List =
              rootDecl(MC->getImplicitObjectArgument());
          if (List && telemetryName(List->getName()) &&
              handlerListName(List->getName())) {
            Registration Reg;
            Reg.How = Registration::HandlerList;
            Reg.Site = C;
            Reg.List = canonDecl(List);
            Reg.Api = "handler list '" + List->getNameAsString() + "'";
            Reg.Handler = handlerArg(Args, -1, Reg.Entries);
            add(std::move(Reg));
            return true;
          }
        }
      }
      // attach/subscribe/register_* on a telemetry-named class or namespace.
      if (!isSystemDecl(FD) && registrationName(FD->getName()) &&
          telemetryScope(FD)) {
        Registration Reg;
        Reg.How = Registration::NameHeuristic;
        Reg.Site = C;
        Reg.Registrar = canon(FD);
        Reg.Api = Name;
        Reg.Handler = handlerArg(Args, -1, Reg.Entries);
        add(std::move(Reg));
      }
      return true;
    }

    bool VisitCXXConstructExpr(CXXConstructExpr *E) {
      if (E->isTypeDependent() || inSystem(E->getBeginLoc(), SM()))
        return true;
      const CXXRecordDecl *RD = E->getConstructor()->getParent();
      if (E->getConstructor()->isCopyOrMoveConstructor())
        return true;
      if (const ObserverRule *R = registerRule(qualifiedName(RD))) {
        llvm::SmallVector<const Expr *, 4> Args;
        for (const Expr *Arg : E->arguments())
          if (!isa<CXXDefaultArgExpr>(Arg))
            Args.push_back(Arg);
        ruleRegistration(E, R, Args);
      }
      return true;
    }

    bool VisitCXXMethodDecl(CXXMethodDecl *MD) {
      if (!MD->doesThisDeclarationHaveABody() || MD->isDependentContext() ||
          isSystemDecl(MD) || !MD->getIdentifier())
        return true;
      for (const ObserverRule &R : A.Rules.Observers) {
        if (R.Kind != ObserverKind::Base ||
            !llvm::is_contained(R.Methods, MD->getName()) ||
            !derivesFrom(MD->getParent(), R.Name))
          continue;
        Registration Reg;
        Reg.How = Registration::BaseOverride;
        Reg.R = &R;
        Reg.Api = R.Name + "::" + MD->getNameAsString();
        Reg.Entries.push_back(MD);
        add(std::move(Reg));
        break;
      }
      return true;
    }
  } F(*this);
  F.TraverseAST(Ctx);
}

void ObserverApis::findWaits() {
  struct Finder : RecursiveASTVisitor<Finder> {
    ObserverApis &A;
    explicit Finder(ObserverApis &A) : A(A) {}
    bool shouldVisitTemplateInstantiations() const { return true; }
    bool shouldVisitLambdaBody() const { return true; }

    void add(const ValueDecl *D, const Expr *Where) {
      if (!D || !Where)
        return;
      A.Waits.push_back({Where, canonDecl(D), A.TC.enclosingFunction(Where)});
    }
    /// Every variable or field a predicate or condition reads.
    void addReads(const Stmt *S, const Expr *Where) {
      if (!S)
        return;
      if (const auto *DRE = dyn_cast<DeclRefExpr>(S)) {
        if (isa<VarDecl>(DRE->getDecl()))
          add(DRE->getDecl(), Where);
      } else if (const auto *ME = dyn_cast<MemberExpr>(S)) {
        if (isa<FieldDecl>(ME->getMemberDecl()))
          add(ME->getMemberDecl(), Where);
      }
      if (const auto *L = dyn_cast<LambdaExpr>(S)) {
        addReads(L->getBody(), Where);
        return;
      }
      for (const Stmt *C : S->children())
        addReads(C, Where);
    }

    bool VisitCallExpr(CallExpr *C) {
      if (C->isTypeDependent() ||
          inSystem(C->getBeginLoc(), A.Ctx.getSourceManager()))
        return true;
      const Expr *Obj = nullptr;
      const CXXMethodDecl *MD = nullptr;
      if (!memberCall(C, Obj, MD) || !MD->getIdentifier())
        return true;
      StringRef M = MD->getName();
      if (const ConditionVariableRule *R =
              conditionVariableRule(Obj->getType(), A.Rules)) {
        for (const auto &W : R->Wait)
          if (W.first == M) {
            add(rootDecl(Obj), C);
            // The predicate reads what the waiter waits for.
            for (unsigned I = W.second; I < C->getNumArgs(); ++I)
              addReads(C->getArg(I), C);
          }
        return true;
      }
      if (const FutureTypeRule *R = futureRule(Obj->getType(), A.Rules)) {
        if (!llvm::is_contained(R->Wait, M))
          return true;
        // p.get_future().wait(), or f.wait() for f = p.get_future(), or
        // obj.done().wait() for an accessor returning a member's future.
        if (!isa_and_nonnull<ParmVarDecl>(rootDecl(Obj)))
          if (const ValueDecl *O = A.Flow.originOf(Obj)) {
            add(O, C);
            return true;
          }
        const Expr *Source = ignoreWrappers(Obj);
        if (const ValueDecl *F = rootDecl(Obj))
          if (const auto *V = dyn_cast<VarDecl>(F))
            if (V->getInit())
              Source = ignoreWrappers(V->getInit());
        if (const auto *GC = dyn_cast_or_null<CXXMemberCallExpr>(Source)) {
          if (GC->getImplicitObjectArgument())
            add(rootDecl(GC->getImplicitObjectArgument()), C);
        } else if (const auto *P =
                       dyn_cast_or_null<ParmVarDecl>(rootDecl(Obj))) {
          // A helper that waits on a future it is given: the caller's
          // argument says whose future (AttachEmitWait maps it).
          add(P, C);
        }
        return true;
      }
      if (const CXXRecordDecl *RD = objectRecord(Obj->getType())) {
        std::string N = qualifiedName(RD);
        for (const ObserverRule &R : A.Rules.Observers)
          if (R.Kind == ObserverKind::Signal &&
              qualifiedNameMatches(R.Name, N) &&
              llvm::is_contained(R.Wait, M) && M != "get_future")
            add(rootDecl(Obj), C);
      }
      return true;
    }
    bool VisitWhileStmt(WhileStmt *S) {
      if (!inSystem(S->getBeginLoc(), A.Ctx.getSourceManager()) &&
          S->getCond())
        addReads(S->getCond(), S->getCond());
      return true;
    }
    bool VisitDoStmt(DoStmt *S) {
      if (!inSystem(S->getBeginLoc(), A.Ctx.getSourceManager()) &&
          S->getCond())
        addReads(S->getCond(), S->getCond());
      return true;
    }
  } F(*this);
  F.TraverseAST(Ctx);
}

const ValueDecl *ObserverApis::definiteObject(const Expr *Call,
                                              const FunctionDecl *Owner) {
  const auto *MC = dyn_cast_or_null<CXXMemberCallExpr>(Call);
  if (!MC || !MC->getImplicitObjectArgument())
    return nullptr;
  const ValueDecl *D = rootDecl(MC->getImplicitObjectArgument());
  for (int Depth = 0; D && Depth < 4; ++Depth) {
    if (const auto *P = dyn_cast<ParmVarDecl>(D)) {
      const auto *Fn = dyn_cast_or_null<FunctionDecl>(P->getDeclContext());
      return Owner && Fn && canon(Fn) == canon(Owner) ? canonDecl(D)
                                                      : nullptr;
    }
    QualType T = D->getType();
    if (T->isReferenceType() || T->isPointerType())
      return nullptr;
    if (const auto *V = dyn_cast<VarDecl>(D)) {
      if (V->isInitCapture()) { // [b = bus] or [&b = bus]: the captured one
        D = V->getInit() ? rootDecl(V->getInit()) : nullptr;
        continue;
      }
      return canonDecl(D);
    }
    return isa<FieldDecl>(D) ? canonDecl(D) : nullptr;
  }
  return nullptr;
}

bool ObserverApis::sameObject(const ValueDecl *A, const ValueDecl *B) const {
  if (!A || !B)
    return false;
  return canonDecl(A) == canonDecl(B) || Flow.origin(A) == Flow.origin(B);
}

std::vector<Wait> ObserverApis::waitsOn(const ValueDecl *D) const {
  std::vector<Wait> Out;
  for (const Wait &W : Waits)
    if (sameObject(W.Object, D))
      Out.push_back(W);
  return Out;
}

bool ObserverApis::isEmit(const Registration &R,
                          const FunctionDecl *Callee) const {
  if (!Callee)
    return false;
  switch (R.How) {
  case Registration::Rule:
  case Registration::BaseOverride: {
    std::string N = qualifiedName(Callee);
    for (const std::string &P : R.R->Emit)
      if (namePatternMatches(P, N))
        return true;
    if (const auto *MD = dyn_cast<CXXMethodDecl>(Callee)) {
      // A constructor rule names the class: "google::LogMessage::LogMessage".
      for (const CXXMethodDecl *O : MD->overridden_methods())
        if (isEmit(R, O))
          return true;
    }
    return false;
  }
  case Registration::NameHeuristic: {
    if (!R.Registrar || canon(Callee) == R.Registrar ||
        !emitName(Callee->getName()))
      return false;
    return Callee->getDeclContext()->getRedeclContext()->Equals(
        R.Registrar->getDeclContext()->getRedeclContext());
  }
  case Registration::HandlerList: {
    // A function that reads the handler list (to call the handlers).
    const Stmt *Body = bodyOf(Callee);
    if (!Body || isSystemDecl(Callee))
      return false;
    bool Reads = false;
    forEachStmt(Body, [&](const Stmt *S) {
      if (Reads)
        return;
      if (const auto *FR = dyn_cast<CXXForRangeStmt>(S))
        if (canonDecl(rootDecl(FR->getRangeInit())) == R.List)
          Reads = true;
    });
    return Reads;
  }
  }
  return false;
}

std::vector<llvm::SmallVector<const FunctionDecl *, 4>>
ObserverApis::closure(const Registration &R) const {
  std::vector<llvm::SmallVector<const FunctionDecl *, 4>> Out;
  llvm::DenseSet<const FunctionDecl *> Seen;
  std::deque<llvm::SmallVector<const FunctionDecl *, 4>> Work;
  for (const FunctionDecl *E : R.Entries)
    if (Seen.insert(canon(E)).second)
      Work.push_back({E});
  while (!Work.empty()) {
    auto Chain = Work.front();
    Work.pop_front();
    Out.push_back(Chain);
    if (Chain.size() >= 8)
      continue;
    for (const CallEdge &E : TC.callees(Chain.back())) {
      const FunctionDecl *C = E.Callee;
      // Overrides added for a virtual call are guesses; the API's own
      // functions (emit, the registrar) are the API, not the handler.
      if (E.Virtual || !C || isSystemDecl(C) || isEmit(R, C) ||
          (R.Registrar && canon(C) == R.Registrar))
        continue;
      if (!Seen.insert(canon(C)).second)
        continue;
      auto Next = Chain;
      Next.push_back(C);
      Work.push_back(std::move(Next));
    }
  }
  return Out;
}

std::vector<Signal> ObserverApis::signalsOf(const Registration &R) const {
  std::vector<Signal> Out;
  auto Closure = closure(R);
  llvm::DenseSet<const FunctionDecl *> InClosure;
  for (const auto &C : Closure)
    InClosure.insert(canon(C.back()));
  // The classes of handler methods (a sink's own members).
  llvm::SmallPtrSet<const CXXRecordDecl *, 2> OwnClasses;
  if (R.How == Registration::BaseOverride)
    for (const FunctionDecl *E : R.Entries)
      if (const auto *MD = dyn_cast<CXXMethodDecl>(E))
        OwnClasses.insert(MD->getParent()->getCanonicalDecl());

  auto outsideWaits = [&](const ValueDecl *D) {
    std::vector<Wait> W;
    for (const Wait &X : waitsOn(D))
      if (!X.Function || !InClosure.count(canon(X.Function)))
        W.push_back(X);
    return W;
  };
  // A member of the sink's or processor's own class that only that class
  // uses, and waits on only on its own threads: the component wakes its own
  // worker (a batch exporter).
  auto staysInside = [&](const ValueDecl *D) {
    const auto *F = dyn_cast_or_null<FieldDecl>(D);
    if (!F || !OwnClasses.count(
                  cast<CXXRecordDecl>(F->getParent())->getCanonicalDecl()))
      return false;
    for (const Wait &W : waitsOn(D)) {
      if (!W.Function)
        return false;
      auto Reaches = TC.reaches(W.Function);
      if (Reaches.empty())
        return false;
      for (const Reach &Ra : Reaches)
        if (!TC.context(Ra.Context).isThread())
          return false;
    }
    for (const Expr *Ref : referencesTo(D, nullptr, Ctx)) {
      const FunctionDecl *Fn = TC.enclosingFunction(Ref);
      const auto *MD = dyn_cast_or_null<CXXMethodDecl>(Fn);
      // Code in a lambda belongs to the function that creates the lambda.
      while (MD && MD->getParent()->isLambda())
        MD = dyn_cast<CXXMethodDecl>(MD->getParent()->getDeclContext());
      if (!MD || !OwnClasses.count(MD->getParent()->getCanonicalDecl()))
        return false;
    }
    return true;
  };
  auto readElsewhere = [&](const ValueDecl *D) {
    for (const Expr *Ref : referencesTo(D, nullptr, Ctx)) {
      const FunctionDecl *Fn = TC.enclosingFunction(Ref);
      if (!Fn || !InClosure.count(canon(Fn)))
        return true;
    }
    return false;
  };

  for (const auto &Chain : Closure) {
    const Stmt *Body = bodyOf(Chain.back());
    if (!Body)
      continue;
    forEachStmt(Body, [&](const Stmt *S) {
      const auto *E = dyn_cast<Expr>(S);
      if (!E)
        return;
      Signal Sig;
      Sig.Where = E;
      Sig.Chain.assign(Chain.begin(), Chain.end());
      if (const auto *C = dyn_cast<CallExpr>(E)) {
        const Expr *Obj = nullptr;
        const CXXMethodDecl *MD = nullptr;
        if (!memberCall(C, Obj, MD))
          return;
        if (!MD->getIdentifier() && MD->getOverloadedOperator() != OO_Equal)
          return;
        std::string M = MD->getIdentifier() ? MD->getNameAsString()
                                            : std::string("operator=");
        const ValueDecl *D = canonDecl(rootDecl(Obj));
        Sig.Object = D;
        if (const ConditionVariableRule *CR =
                conditionVariableRule(Obj->getType(), Rules)) {
          if (llvm::is_contained(CR->Notify, M) && !staysInside(D)) {
            Sig.What = "notifies condition variable '" + displayName(D) + "'";
            Out.push_back(Sig);
          }
          return;
        }
        const CXXRecordDecl *RD = objectRecord(Obj->getType());
        if (!RD)
          return;
        std::string N = qualifiedName(RD);
        for (const ObserverRule &SR : Rules.Observers) {
          if (SR.Kind != ObserverKind::Signal ||
              !qualifiedNameMatches(SR.Name, N) ||
              !llvm::is_contained(SR.Methods, M))
            continue;
          if (staysInside(D))
            return;
          if (SR.OnlyIfWaited) {
            auto W = outsideWaits(D);
            if (W.empty())
              return;
            Sig.What = "stores into '" + displayName(D) + "' (" + M +
                       "), which '" +
                       (W[0].Function ? W[0].Function->getNameAsString()
                                      : std::string("other code")) +
                       "' waits on";
          } else {
            Sig.What = "signals '" + displayName(D) + "' with " + M +
                       "() (" + SR.Name + ")";
          }
          Out.push_back(Sig);
          return;
        }
        for (const QueueRule &QR : Rules.Queues) {
          if (!qualifiedNameMatches(QR.Class, N) ||
              !llvm::is_contained(QR.Methods, M))
            continue;
          if (D && !staysInside(D) && readElsewhere(D)) {
            Sig.What = "pushes into queue '" + displayName(D) +
                       "', which other code reads";
            Out.push_back(Sig);
          }
          return;
        }
        return;
      }
      // A plain store into a variable another function polls or waits for.
      const Expr *Target = nullptr;
      if (const auto *BO = dyn_cast<BinaryOperator>(E)) {
        if (BO->isAssignmentOp())
          Target = BO->getLHS();
      } else if (const auto *UO = dyn_cast<UnaryOperator>(E)) {
        if (UO->isIncrementDecrementOp())
          Target = UO->getSubExpr();
      }
      if (!Target)
        return;
      const ValueDecl *D = canonDecl(rootDecl(Target));
      if (!D || staysInside(D))
        return;
      auto W = outsideWaits(D);
      if (W.empty())
        return;
      Sig.Object = D;
      Sig.What = "stores into '" + displayName(D) + "', which '" +
                 (W[0].Function ? W[0].Function->getNameAsString()
                                : std::string("other code")) +
                 "' waits on";
      Out.push_back(Sig);
    });
  }
  return Out;
}

std::vector<Emit> ObserverApis::emitsOf(const Registration &R) const {
  std::vector<Emit> Out;
  // A handler that emits into another instance of the API (the audit bus
  // from a handler of the metrics bus) does not feed itself.
  const ValueDecl *RegObj = definiteObject(R.Site, R.Enclosing);
  for (const auto &Chain : closure(R)) {
    const Stmt *Body = bodyOf(Chain.back());
    if (!Body)
      continue;
    forEachStmt(Body, [&](const Stmt *S) {
      const FunctionDecl *Callee = nullptr;
      if (const auto *C = dyn_cast<CallExpr>(S))
        Callee = C->getDirectCallee();
      else if (const auto *CE = dyn_cast<CXXConstructExpr>(S))
        Callee = CE->getConstructor();
      if (!Callee || !isEmit(R, Callee))
        return;
      if (const ValueDecl *EmitObj =
              definiteObject(dyn_cast<Expr>(S), R.Enclosing))
        if (RegObj && EmitObj != RegObj)
          return;
      Emit E;
      E.Where = cast<Expr>(S);
      E.Callee = qualifiedName(Callee);
      E.Chain.assign(Chain.begin(), Chain.end());
      Out.push_back(std::move(E));
    });
  }
  return Out;
}

} // namespace tether
