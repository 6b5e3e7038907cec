//===--- SpawnSitesTest.cpp - Tests of checks/analysis/SpawnSites ---------===//

#include "AnalysisTestSupport.h"

#include "analysis/SpawnSites.h"

#include "clang/AST/DeclCXX.h"

using namespace clang;
using namespace tether;
using namespace tether::testing;

namespace {

struct Parsed {
  std::unique_ptr<ASTUnit> AST;
  std::vector<SpawnSite> Sites;
};

Parsed sitesOf(const std::string &Code, const RuleSet &Rules) {
  Parsed P;
  P.AST = parse(Code);
  if (P.AST)
    P.Sites = findSpawnSites(P.AST->getASTContext(), Rules);
  return P;
}

Parsed sitesOf(const std::string &Code) {
  static RuleSet Rules = builtinRules();
  return sitesOf(Code, Rules);
}

bool isLambdaOperator(const FunctionDecl *FD) {
  const auto *MD = dyn_cast_or_null<CXXMethodDecl>(FD);
  return MD && MD->getParent()->isLambda();
}

TEST(SpawnSitesTest, LambdaHandedToThread) {
  Parsed P = sitesOf(R"cpp(
    #include <thread>
    void f() { std::thread t([] {}); t.join(); }
  )cpp");
  ASSERT_EQ(P.Sites.size(), 1u);
  const SpawnSite &S = P.Sites[0];
  EXPECT_EQ(S.Kind, SpawnKind::ThreadObject);
  EXPECT_EQ(S.Spawner, "std::thread");
  ASSERT_EQ(S.Entries.size(), 1u);
  EXPECT_TRUE(isLambdaOperator(S.Entries[0]));
  EXPECT_TRUE(S.Lambda != nullptr);
  EXPECT_EQ(S.Fate, HandleFate::Unknown);
}

TEST(SpawnSitesTest, EveryFormOfCallable) {
  Parsed P = sitesOf(R"cpp(
    #include <functional>
    #include <thread>
    void work();
    void work_with(int);
    struct Functor { void operator()() const; };
    struct C { void run(); void start(); };
    void C::start() {
      std::thread a(work);                              // function
      void (*fp)() = &work;
      std::thread b(fp);                                // function pointer
      std::thread c(&C::run, this);                     // member function
      std::thread d(std::bind(work_with, 1));           // bind
      std::thread e(Functor{});                         // functor
      Functor fn;
      std::thread g(std::ref(fn));                      // std::ref(functor)
      auto stored = [] {};
      std::thread h(stored);                            // lambda in a variable
      std::function<void()> wrapped = work;
      std::thread i(wrapped);                           // std::function
      a.join(); b.join(); c.join(); d.join(); e.join(); g.join(); h.join();
      i.join();
    }
  )cpp");
  ASSERT_EQ(P.Sites.size(), 8u);
  auto Only = [&](unsigned I) {
    EXPECT_EQ(P.Sites[I].Entries.size(), 1u) << "site " << I;
    return P.Sites[I].Entries.empty() ? std::string("<none>")
                                      : nameOf(P.Sites[I].Entries[0]);
  };
  EXPECT_EQ(Only(0), "work");
  EXPECT_EQ(Only(1), "work");
  EXPECT_EQ(Only(2), "C::run");
  EXPECT_EQ(Only(3), "work_with");
  EXPECT_EQ(Only(4), "Functor::operator()");
  EXPECT_EQ(Only(5), "Functor::operator()");
  ASSERT_EQ(P.Sites[6].Entries.size(), 1u);
  EXPECT_TRUE(isLambdaOperator(P.Sites[6].Entries[0]));
  EXPECT_EQ(P.Sites[6].Lambda, nullptr) << "the argument is a variable";
  EXPECT_EQ(Only(7), "work");
}

TEST(SpawnSitesTest, PthreadAndAsync) {
  Parsed P = sitesOf(R"cpp(
    #include <future>
    #include <pthread.h>
    void *entry(void *);
    int compute();
    void f() {
      pthread_t th;
      pthread_create(&th, nullptr, entry, nullptr);
      std::async(std::launch::async, compute);
      auto fut = std::async([] { return 1; });
      fut.get();
    }
  )cpp");
  ASSERT_EQ(P.Sites.size(), 3u);
  EXPECT_EQ(P.Sites[0].Kind, SpawnKind::ThreadFunction);
  EXPECT_EQ(P.Sites[0].Spawner, "pthread_create");
  ASSERT_EQ(P.Sites[0].Entries.size(), 1u);
  EXPECT_EQ(nameOf(P.Sites[0].Entries[0]), "entry");
  EXPECT_EQ(P.Sites[1].Kind, SpawnKind::Async);
  EXPECT_EQ(P.Sites[1].Fate, HandleFate::Discarded);
  ASSERT_EQ(P.Sites[1].Entries.size(), 1u);
  EXPECT_EQ(nameOf(P.Sites[1].Entries[0]), "compute");
  EXPECT_EQ(P.Sites[2].Fate, HandleFate::Unknown);
  EXPECT_TRUE(P.Sites[2].Lambda != nullptr);
}

TEST(SpawnSitesTest, HandleFates) {
  Parsed P = sitesOf(R"cpp(
    #include <memory>
    #include <thread>
    void work();
    void f() {
      std::thread(work).detach();
      auto p = std::make_unique<std::thread>(work);
      p->join();
    }
  )cpp");
  ASSERT_EQ(P.Sites.size(), 2u);
  EXPECT_EQ(P.Sites[0].Fate, HandleFate::Detached);
  EXPECT_EQ(P.Sites[1].Kind, SpawnKind::ThreadObject);
  ASSERT_EQ(P.Sites[1].Entries.size(), 1u);
  EXPECT_EQ(nameOf(P.Sites[1].Entries[0]), "work");
}

TEST(SpawnSitesTest, ExecutorsFromRulesAndHeuristic) {
  const char *Code = R"cpp(
    #include <functional>
    namespace boost::asio {
    class thread_pool { public: template <class F> void post(F f) {} };
    }
    class ThreadPool {
    public:
      template <class F> void submit(F &&f);
      void submit_count(int n);
    };
    class WorkQueue { public: void enqueue(std::function<void()> f); };
    class Logger { public: template <class F> void post(F f) {} };
    void task();
    void f(boost::asio::thread_pool &io, ThreadPool &pool, WorkQueue &q,
           Logger &log) {
      io.post([] {});
      pool.submit(task);
      pool.submit_count(3);
      q.enqueue([] {});
      log.post([] {});
    }
  )cpp";
  Parsed P = sitesOf(Code);
  ASSERT_EQ(P.Sites.size(), 3u);
  EXPECT_EQ(P.Sites[0].Kind, SpawnKind::Executor);
  EXPECT_EQ(P.Sites[0].Fate, HandleFate::None);
  EXPECT_EQ(P.Sites[1].Kind, SpawnKind::HeuristicExecutor);
  EXPECT_EQ(P.Sites[1].Spawner, "ThreadPool::submit");
  ASSERT_EQ(P.Sites[1].Entries.size(), 1u);
  EXPECT_EQ(nameOf(P.Sites[1].Entries[0]), "task");
  EXPECT_EQ(P.Sites[2].Kind, SpawnKind::HeuristicExecutor);
  EXPECT_EQ(P.Sites[2].Spawner, "WorkQueue::enqueue");

  RuleSet NoHeuristics = builtinRules();
  NoHeuristics.ExecutorNameHeuristics = false;
  Parsed Q = sitesOf(Code, NoHeuristics);
  ASSERT_EQ(Q.Sites.size(), 1u);
  EXPECT_EQ(Q.Sites[0].Kind, SpawnKind::Executor);
}

TEST(SpawnSitesTest, TemplatesOncePerInstantiation) {
  Parsed P = sitesOf(R"cpp(
    #include <thread>
    template <class T> void entry(T);
    template <class T> void spawn(T v) {
      std::thread t(entry<T>, v);
      t.join();
    }
    template <class T> void never_used() { std::thread t([] {}); t.join(); }
    void f() { spawn(1); spawn(2L); }
  )cpp");
  ASSERT_EQ(P.Sites.size(), 2u);
  ASSERT_EQ(P.Sites[0].Entries.size(), 1u);
  ASSERT_EQ(P.Sites[1].Entries.size(), 1u);
  EXPECT_NE(P.Sites[0].Entries[0], P.Sites[1].Entries[0]);
}

TEST(SpawnSitesTest, MovedThreadIsNotASpawn) {
  Parsed P = sitesOf(R"cpp(
    #include <thread>
    void work();
    void f() {
      std::thread t(work);
      std::thread u(std::move(t));
      u.join();
    }
  )cpp");
  EXPECT_EQ(P.Sites.size(), 1u);
}

TEST(SpawnSitesTest, NameHeuristic) {
  EXPECT_TRUE(looksLikeExecutor("ThreadPool", "submit"));
  EXPECT_TRUE(looksLikeExecutor("task_queue", "add_task"));
  EXPECT_TRUE(looksLikeExecutor("IoStrand", "Post"));
  EXPECT_TRUE(looksLikeExecutor("WorkerGroup", "schedule"));
  EXPECT_TRUE(looksLikeExecutor("MyExecutor", "execute"));
  EXPECT_TRUE(looksLikeExecutor("EventScheduler", "addTask"));
  EXPECT_FALSE(looksLikeExecutor("Logger", "post"));
  EXPECT_FALSE(looksLikeExecutor("ThreadPool", "size"));
  EXPECT_FALSE(looksLikeExecutor("ThreadPool", "posted"));
  // A verb followed by more words, any case style, a `try` prefix.
  EXPECT_TRUE(looksLikeExecutor("thread_pool", "submit_task"));
  EXPECT_TRUE(looksLikeExecutor("thread_pool", "detach_loop"));
  EXPECT_TRUE(looksLikeExecutor("JobQueue", "postWork"));
  EXPECT_TRUE(looksLikeExecutor("TaskScheduler", "ScheduleAfter"));
  EXPECT_TRUE(looksLikeExecutor("ThreadPool", "try_submit"));
  EXPECT_TRUE(looksLikeExecutor("ThreadPool", "TryEnqueueJob"));
  EXPECT_FALSE(looksLikeExecutor("ThreadPool", "detach"));   // bare detach
  EXPECT_FALSE(looksLikeExecutor("ThreadPool", "postpone")); // one word
  EXPECT_FALSE(looksLikeExecutor("ThreadPool", "try"));
  EXPECT_FALSE(looksLikeExecutor("Form", "submit_task"));    // not a pool
  // The sender heuristic adds push/send and channel/mailbox classes.
  EXPECT_TRUE(looksLikeSender("Mailbox", "send"));
  EXPECT_TRUE(looksLikeSender("EventChannel", "try_push_event"));
  EXPECT_FALSE(looksLikeExecutor("EventChannel", "send"));
}

} // namespace

namespace {

TEST(SpawnSitesTest, EmplacedIntoContainer) {
  Parsed P = sitesOf(R"cpp(
    #include <thread>
    #include <vector>
    void work(int);
    void f() {
      std::vector<std::thread> ts;
      for (int i = 0; i < 4; ++i)
        ts.emplace_back(work, i);
      for (auto &t : ts) t.join();
    }
  )cpp");
  ASSERT_EQ(P.Sites.size(), 1u);
  EXPECT_EQ(P.Sites[0].Kind, SpawnKind::ThreadObject);
  ASSERT_EQ(P.Sites[0].Entries.size(), 1u);
  EXPECT_EQ(nameOf(P.Sites[0].Entries[0]), "work");
}

} // namespace
