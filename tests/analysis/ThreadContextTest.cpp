//===--- ThreadContextTest.cpp - Tests of checks/analysis/ThreadContext ---===//

#include "AnalysisTestSupport.h"

#include "analysis/ThreadContext.h"

#include "clang/AST/DeclCXX.h"
#include "clang/ASTMatchers/ASTMatchFinder.h"
#include "clang/ASTMatchers/ASTMatchers.h"

using namespace clang;
using namespace clang::ast_matchers;
using namespace tether;
using namespace tether::testing;

namespace {

struct Analyzed {
  std::unique_ptr<ASTUnit> AST;
  RuleSet Rules = builtinRules();
  std::unique_ptr<ThreadContext> TC;

  explicit Analyzed(const std::string &Code) : AST(parse(Code)) {
    if (AST)
      TC = std::make_unique<ThreadContext>(AST->getASTContext(), Rules);
  }

  const FunctionDecl *fn(const std::string &Name) {
    auto M = match(functionDecl(hasName(Name), isDefinition()).bind("f"),
                   AST->getASTContext());
    for (const auto &N : M)
      if (!N.getNodeAs<FunctionDecl>("f")->isDependentContext())
        return N.getNodeAs<FunctionDecl>("f");
    ADD_FAILURE() << "no function " << Name;
    return nullptr;
  }

  /// "other: main -> f; thread worker: worker -> f"
  std::string contexts(const std::string &Name) {
    std::string S;
    for (const Reach &R : TC->reaches(fn(Name))) {
      if (!S.empty())
        S += "; ";
      S += TC->context(R.Context).isThread() ? "thread" : "other";
      if (TC->context(R.Context).Multi)
        S += "*";
      S += ": " + ThreadContext::chainText(R.Chain);
    }
    return S;
  }

  const Stmt *stmtIn(const std::string &Fn, const std::string &Callee) {
    auto M = match(
        callExpr(callee(functionDecl(hasName(Callee))),
                 hasAncestor(functionDecl(hasName(Fn))))
            .bind("c"),
        AST->getASTContext());
    EXPECT_FALSE(M.empty()) << Callee << " in " << Fn;
    return M.empty() ? nullptr : M[0].getNodeAs<Stmt>("c");
  }
};

TEST(ThreadContextTest, EntryAndOtherCode) {
  Analyzed A(R"cpp(
    #include <thread>
    void bump();
    void step() { bump(); }
    void bump() {}
    void worker() { step(); }
    void report() {}
    int main() {
      std::thread t(worker);
      report();
      t.join();
    }
  )cpp");
  ASSERT_EQ(A.TC->contexts().size(), 2u);
  EXPECT_EQ(A.contexts("bump"), "thread: worker -> step -> bump");
  EXPECT_EQ(A.contexts("report"), "other: main -> report");
  EXPECT_EQ(A.contexts("worker"), "thread: worker");
  EXPECT_EQ(A.TC->context(1).Label, "thread entry 'worker' (std::thread, line 9)");
}

TEST(ThreadContextTest, SharedHelperRunsInBothContexts) {
  Analyzed A(R"cpp(
    #include <thread>
    void helper() {}
    void api() { helper(); }   // no caller here: other code
    int main() {
      std::thread t([] { helper(); });
      t.join();
    }
  )cpp");
  EXPECT_EQ(A.contexts("helper"), "other: api -> helper; thread: lambda -> helper");
}

TEST(ThreadContextTest, StoredLambdaRunsOnlyOnTheThread) {
  Analyzed A(R"cpp(
    #include <thread>
    void work() {}
    int main() {
      auto job = [] { work(); };
      std::thread t(job);
      t.join();
    }
  )cpp");
  EXPECT_EQ(A.contexts("work"), "thread: lambda -> work");
}

TEST(ThreadContextTest, LocalLambdaRunsWhereCreated) {
  Analyzed A(R"cpp(
    #include <algorithm>
    #include <vector>
    void work(int) {}
    int main() {
      std::vector<int> v{1, 2};
      std::for_each(v.begin(), v.end(), [](int x) { work(x); });
    }
  )cpp");
  EXPECT_EQ(A.contexts("work"), "other: main -> lambda -> work");
}

TEST(ThreadContextTest, MemberEntryVirtualCallsAndLoops) {
  Analyzed A(R"cpp(
    #include <thread>
    #include <vector>
    struct Stage { virtual void run() = 0; virtual ~Stage() = default; };
    struct Parse : Stage { void run() override {} };
    struct Engine {
      Stage *s;
      void loop() { s->run(); }
    };
    int main() {
      Engine e{new Parse};
      std::vector<std::thread> ts;
      for (int i = 0; i < 4; ++i)
        ts.emplace_back(&Engine::loop, &e);
      for (auto &t : ts) t.join();
    }
  )cpp");
  ASSERT_EQ(A.TC->sites().size(), 1u);
  EXPECT_EQ(A.contexts("Parse::run"), "thread*: Engine::loop -> Parse::run");
}

TEST(ThreadContextTest, MemberEntryThroughVirtualCall) {
  Analyzed A(R"cpp(
    #include <thread>
    struct Stage { virtual void run() = 0; virtual ~Stage() = default; };
    struct Parse : Stage { void run() override {} };
    struct Engine {
      Stage *s;
      void loop() { s->run(); }
    };
    int main() {
      Parse p;
      Engine e{&p};
      for (int i = 0; i < 2; ++i) {
        std::thread t(&Engine::loop, &e);
        t.join();
      }
    }
  )cpp");
  EXPECT_EQ(A.contexts("Parse::run"), "thread*: Engine::loop -> Parse::run");
}

TEST(ThreadContextTest, TemplateEntry) {
  Analyzed A(R"cpp(
    #include <thread>
    int sink;
    template <class T> void consume(T v) { sink = v; }
    template <class T> void start(T v) {
      std::thread t(consume<T>, v);
      t.join();
    }
    int main() { start(1); }
  )cpp");
  ASSERT_EQ(A.TC->sites().size(), 1u);
  EXPECT_EQ(A.contexts("consume"), "thread: consume");
}

TEST(ThreadContextTest, OrderingBeforeSpawnAndAfterJoin) {
  Analyzed A(R"cpp(
    #include <thread>
    void configure() {}
    void use() {}
    void report() {}
    void worker() { use(); }
    void init() { configure(); }
    int main() {
      init();
      std::thread t(worker);
      t.join();
      report();
    }
  )cpp");
  const FunctionDecl *Main = A.fn("main");
  EXPECT_TRUE(A.TC->orderedWithThreads(A.stmtIn("main", "init"), Main));
  EXPECT_TRUE(A.TC->orderedWithThreads(A.stmtIn("main", "report"), Main));
  EXPECT_TRUE(A.TC->orderedWithThreads(A.stmtIn("init", "configure"),
                                       A.fn("init")));
  EXPECT_FALSE(A.TC->orderedWithThreads(A.stmtIn("worker", "use"),
                                        A.fn("worker")));
}

TEST(ThreadContextTest, NoOrderingWhenNotJoined) {
  Analyzed A(R"cpp(
    #include <thread>
    void report() {}
    void worker() {}
    int main() {
      std::thread t(worker);
      report();
      t.join();
    }
  )cpp");
  EXPECT_FALSE(A.TC->orderedWithThreads(A.stmtIn("main", "report"),
                                        A.fn("main")));
}

TEST(ThreadContextTest, OrderingBetweenBatchesInALoop) {
  Analyzed A(R"cpp(
    #include <thread>
    #include <vector>
    void reset() {}
    void during() {}
    void tally() {}
    void summary() {}
    void worker() {}
    int main() {
      for (int n = 1; n < 4; ++n) {
        std::vector<std::thread> ts;
        reset();
        for (int i = 0; i < n; ++i)
          ts.emplace_back(worker);
        during();
        for (auto &t : ts)
          t.join();
        tally();
      }
      summary();
    }
  )cpp");
  const FunctionDecl *Main = A.fn("main");
  EXPECT_TRUE(A.TC->orderedWithThreads(A.stmtIn("main", "reset"), Main));
  EXPECT_TRUE(A.TC->orderedWithThreads(A.stmtIn("main", "tally"), Main));
  EXPECT_TRUE(A.TC->orderedWithThreads(A.stmtIn("main", "summary"), Main));
  EXPECT_FALSE(A.TC->orderedWithThreads(A.stmtIn("main", "during"), Main));
}

TEST(ThreadContextTest, NoBatchOrderingWithoutAJoinInTheLoop) {
  Analyzed A(R"cpp(
    #include <thread>
    #include <vector>
    void reset() {}
    void worker() {}
    int main() {
      std::vector<std::thread> ts;
      for (int n = 1; n < 4; ++n) {
        reset();
        ts.emplace_back(worker);
      }
      for (auto &t : ts)
        t.join();
    }
  )cpp");
  EXPECT_FALSE(A.TC->orderedWithThreads(A.stmtIn("main", "reset"),
                                        A.fn("main")));
}

TEST(ThreadContextTest, CallsWithChain) {
  Analyzed A(R"cpp(
    void c() {}
    void b() { c(); }
    void a() { b(); }
  )cpp");
  llvm::SmallVector<const FunctionDecl *, 4> Chain;
  ASSERT_TRUE(A.TC->calls(A.fn("a"), A.fn("c"), &Chain));
  EXPECT_EQ(ThreadContext::chainText(Chain), "a -> b -> c");
  EXPECT_FALSE(A.TC->calls(A.fn("c"), A.fn("a")));
}

TEST(ThreadContextTest, SummaryIsKeyedByUSR) {
  Analyzed A(R"cpp(
    #include <thread>
    void g() {}
    void f() { g(); }
    void spawn() { std::thread t(f); t.join(); }
  )cpp");
  ContextSummary S = A.TC->exportSummary();
  ASSERT_EQ(S.Entries.size(), 1u);
  EXPECT_EQ(S.Entries[0].second, "std::thread");
  bool Found = false;
  for (const auto &F : S.Functions)
    if (F.Name == "f") {
      Found = true;
      EXPECT_EQ(F.USR, S.Entries[0].first);
      ASSERT_EQ(F.Callees.size(), 1u);
      EXPECT_EQ(F.Callees[0], "c:@F@g#");
    }
  EXPECT_TRUE(Found);
}

} // namespace

namespace {

TEST(ThreadContextTest, SharedTemplateNodeHasEveryInstantiation) {
  Analyzed A(R"cpp(
    long sum;
    template <class T> void add(T v) { sum += v; }
    void f() { add(1); add(2L); }
  )cpp");
  auto M = match(declRefExpr(to(varDecl(hasName("sum")))).bind("r"),
                 A.AST->getASTContext());
  ASSERT_FALSE(M.empty());
  EXPECT_EQ(A.TC->enclosingFunctions(M[0].getNodeAs<Stmt>("r")).size(), 2u);
}

} // namespace

namespace {

// A handler that does not depend on the template parameters is one node
// shared by the pattern and its instantiations (Clang does not rebuild it):
// enclosingFunction() may give the pattern, which no context reaches;
// enclosingFunctions() gives the instantiation that runs on the thread.
TEST(ThreadContextTest, SharedHandlerOfTemplateReachedFromThread) {
  Analyzed A(R"cpp(
    #include <thread>
    template <class F> void guarded(F f) { try { f(); } catch (...) {} }
    void start() { std::thread t([] { guarded([] {}); }); t.join(); }
  )cpp");
  auto M = match(cxxCatchStmt(isExpansionInMainFile()).bind("h"),
                 A.AST->getASTContext());
  ASSERT_FALSE(M.empty());
  auto Fns = A.TC->enclosingFunctions(M[0].getNodeAs<Stmt>("h"));
  ASSERT_EQ(Fns.size(), 1u);
  EXPECT_FALSE(Fns[0]->isDependentContext());
  bool OnThread = false;
  for (const Reach &R : A.TC->reaches(Fns[0]))
    OnThread |= A.TC->context(R.Context).isThread();
  EXPECT_TRUE(OnThread);
}

} // namespace
