// Supervisor suite: strategy x restart type x exit reason, intensity,
// escalation, ordered start/stop, shutdown of a child that ignores stop,
// state across restarts, dynamic supervisor, and a random-crash stress run.
#include <atomic>
#include <condition_variable>
#include <map>
#include <random>
#include <stdexcept>
#include <vector>

#include "tether/tether.hpp"
#include "test_support.hpp"

using namespace std::chrono_literals;
using namespace tether;
using tether_test::RuntimeTest;

namespace {

// Records starts/stops/crashes of probe children; lets a test crash or end a child.
struct Probe {
  std::mutex mu;
  std::condition_variable_any cv;
  std::vector<std::string> log;            // guarded by mu
  std::map<std::string, int> pending;      // guarded by mu: 1 = crash, 2 = normal exit, 3 = return error
  std::map<std::string, int> starts;       // guarded by mu

  void add(const std::string& s) {
    std::lock_guard lk(mu);
    log.push_back(s);
    cv.notify_all();
  }

  child_spec child(const std::string& id, restart_type rt = restart_type::permanent) {
    child_spec s;
    s.id = id;
    s.restart = rt;
    s.shutdown = 2000ms;
    s.await_ready = true;  // start order is then deterministic
    s.start = [this, id](child_context& ctx) -> result<void> {
      std::unique_lock lk(mu);
      ++starts[id];
      log.push_back("start:" + id);
      cv.notify_all();
      ctx.ready();
      cv.wait(lk, ctx.stop_token(), [&] { return pending[id] != 0; });
      int what = std::exchange(pending[id], 0);
      if (ctx.stop_requested() && what == 0) {
        log.push_back("stop:" + id);
        cv.notify_all();
        return ok();
      }
      if (what == 1) {
        log.push_back("crash:" + id);
        cv.notify_all();
        throw std::runtime_error("boom " + id);
      }
      if (what == 3) {
        log.push_back("error:" + id);
        cv.notify_all();
        return error(errc::child_failed, "reported failure");
      }
      log.push_back("exit:" + id);
      cv.notify_all();
      return ok();
    };
    return s;
  }

  void trigger(const std::string& id, int what = 1) {
    std::lock_guard lk(mu);
    pending[id] = what;
    cv.notify_all();
  }

  bool wait_starts(const std::string& id, int n, std::chrono::milliseconds t = 5000ms) {
    std::unique_lock lk(mu);
    return cv.wait_for(lk, t, [&] { return starts[id] >= n; });
  }
  int start_count(const std::string& id) {
    std::lock_guard lk(mu);
    return starts[id];
  }
  std::vector<std::string> snapshot() {
    std::lock_guard lk(mu);
    return log;
  }
  void clear() {
    std::lock_guard lk(mu);
    log.clear();
  }
  bool wait_log_size(std::size_t n, std::chrono::milliseconds t = 5000ms) {
    std::unique_lock lk(mu);
    return cv.wait_for(lk, t, [&] { return log.size() >= n; });
  }
};

struct Reports {
  std::mutex mu;
  std::condition_variable cv;
  std::vector<supervisor_report> all;  // guarded by mu
  std::function<void(const supervisor_report&)> handler() {
    return [this](const supervisor_report& r) {
      std::lock_guard lk(mu);
      all.push_back(r);
      cv.notify_all();
    };
  }
  bool wait_kind(report_kind k, std::chrono::milliseconds t = 5000ms) {
    std::unique_lock lk(mu);
    return cv.wait_for(lk, t, [&] {
      for (auto& r : all)
        if (r.kind == k) return true;
      return false;
    });
  }
  int count(report_kind k) {
    std::lock_guard lk(mu);
    int n = 0;
    for (auto& r : all) n += r.kind == k;
    return n;
  }
  std::vector<supervisor_report> of(report_kind k) {
    std::lock_guard lk(mu);
    std::vector<supervisor_report> out;
    for (auto& r : all)
      if (r.kind == k) out.push_back(r);
    return out;
  }
};

supervisor_options opts(Reports& r, std::string name = "sup") {
  supervisor_options o;
  o.name = std::move(name);
  o.on_report = r.handler();
  return o;
}

using V = std::vector<std::string>;

}  // namespace

class SupervisorTest : public RuntimeTest {};

TEST_F(SupervisorTest, StartsInOrderAndStopsInReverse) {
  Probe p;
  Reports r;
  supervisor sup({}, {p.child("a"), p.child("b"), p.child("c")}, opts(r));
  ASSERT_TRUE(sup.start());
  sup.stop();
  EXPECT_EQ(p.snapshot(), (V{"start:a", "start:b", "start:c", "stop:c", "stop:b", "stop:a"}));
  EXPECT_EQ(sup.wait().kind, exit_kind::shutdown);
}

TEST_F(SupervisorTest, OneForOneRestartsOnlyTheFailedChild) {
  Probe p;
  Reports r;
  supervisor sup({strategy::one_for_one, 5, 5000ms}, {p.child("a"), p.child("b"), p.child("c")}, opts(r));
  ASSERT_TRUE(sup.start());
  p.clear();
  p.trigger("b");
  ASSERT_TRUE(p.wait_starts("b", 2));
  EXPECT_EQ(p.snapshot(), (V{"crash:b", "start:b"}));
  auto kids = sup.which_children();
  ASSERT_EQ(kids.size(), 3u);
  EXPECT_EQ(kids[1].restarts, 1u);
  EXPECT_TRUE(kids[1].running);
  auto exited = r.of(report_kind::child_exited);
  ASSERT_EQ(exited.size(), 1u);
  EXPECT_EQ(exited[0].child, "b");
  EXPECT_EQ(exited[0].reason.err.code, errc::exception);
}

TEST_F(SupervisorTest, OneForAllRestartsEveryChildInOrder) {
  Probe p;
  Reports r;
  supervisor sup({strategy::one_for_all, 5, 5000ms}, {p.child("a"), p.child("b"), p.child("c")}, opts(r));
  ASSERT_TRUE(sup.start());
  p.clear();
  p.trigger("b");
  ASSERT_TRUE(p.wait_starts("c", 2));
  EXPECT_EQ(p.snapshot(), (V{"crash:b", "stop:c", "stop:a", "start:a", "start:b", "start:c"}));
}

TEST_F(SupervisorTest, RestForOneRestartsTheFailedAndLaterChildren) {
  Probe p;
  Reports r;
  supervisor sup({strategy::rest_for_one, 5, 5000ms},
                 {p.child("a"), p.child("b"), p.child("c"), p.child("d")}, opts(r));
  ASSERT_TRUE(sup.start());
  p.clear();
  p.trigger("b");
  ASSERT_TRUE(p.wait_starts("d", 2));
  EXPECT_EQ(p.snapshot(), (V{"crash:b", "stop:d", "stop:c", "start:b", "start:c", "start:d"}));
  EXPECT_EQ(p.start_count("a"), 1);
}

TEST_F(SupervisorTest, RestartTypesDecideWhatIsRestarted) {
  Probe p;
  Reports r;
  supervisor sup({strategy::one_for_one, 10, 5000ms},
                 {p.child("perm", restart_type::permanent), p.child("trans", restart_type::transient),
                  p.child("temp", restart_type::temporary)},
                 opts(r));
  ASSERT_TRUE(sup.start());
  // permanent: restarted even after a normal exit
  p.trigger("perm", 2);
  ASSERT_TRUE(p.wait_starts("perm", 2));
  // transient: restarted after a failure (exception or reported error) ...
  p.trigger("trans", 1);
  ASSERT_TRUE(p.wait_starts("trans", 2));
  p.trigger("trans", 3);
  ASSERT_TRUE(p.wait_starts("trans", 3));
  // ... but not after a normal exit
  p.trigger("trans", 2);
  ASSERT_TRUE(r.wait_kind(report_kind::child_exited));
  // temporary: never
  p.trigger("temp", 1);
  for (int i = 0; i < 200 && sup.which_children().size() != 2; ++i) std::this_thread::sleep_for(5ms);
  auto kids = sup.which_children();
  ASSERT_EQ(kids.size(), 2u);  // temporary child removed
  EXPECT_TRUE(kids[0].running);
  EXPECT_FALSE(kids[1].running);  // transient, exited normally
  EXPECT_EQ(p.start_count("trans"), 3);
  EXPECT_EQ(p.start_count("temp"), 1);
}

TEST_F(SupervisorTest, IntensityExceededStopsAllChildrenAndFails) {
  Probe p;
  Reports r;
  supervisor sup({strategy::one_for_one, 2, 5000ms}, {p.child("a"), p.child("b")}, opts(r, "top"));
  ASSERT_TRUE(sup.start());
  for (int i = 1; i <= 2; ++i) {
    p.trigger("b");
    ASSERT_TRUE(p.wait_starts("b", i + 1));
  }
  p.trigger("b");  // third restart within the period: more than 2
  auto why = sup.wait_for(5000ms);
  ASSERT_TRUE(why.has_value());
  EXPECT_EQ(why->kind, exit_kind::shutdown);  // as OTP (issue 12): was failure
  EXPECT_EQ(why->err.code, errc::intensity_exceeded);
  EXPECT_EQ(r.count(report_kind::intensity_exceeded), 1);
  EXPECT_EQ(r.count(report_kind::escalated), 1);
  auto log = p.snapshot();
  EXPECT_EQ(log.back(), "stop:a");
  EXPECT_FALSE(sup.running());
  EXPECT_TRUE(sup.whereis("a").is(errc::no_process));
}

TEST_F(SupervisorTest, DefaultIntensityIsOneInFiveSeconds) {
  Probe p;
  Reports r;
  supervisor sup({}, {p.child("a")}, opts(r));
  ASSERT_TRUE(sup.start());
  p.trigger("a");
  ASSERT_TRUE(p.wait_starts("a", 2));
  p.trigger("a");
  auto why = sup.wait_for(5000ms);
  ASSERT_TRUE(why);
  EXPECT_EQ(why->err.code, errc::intensity_exceeded);
}

TEST_F(SupervisorTest, NestedSupervisorFailureEscalatesToParent) {
  Probe p;
  Reports r;
  supervisor_flags inner{strategy::one_for_one, 0, 5000ms};  // any restart exceeds
  supervisor sup({strategy::one_for_one, 5, 5000ms},
                 {p.child("sibling"), supervisor_child("inner", inner, {p.child("x"), p.child("y")})},
                 opts(r, "outer"));
  ASSERT_TRUE(sup.start());
  p.trigger("x");
  // inner gives up (stops y, fails); outer restarts inner, which starts x and y again.
  ASSERT_TRUE(p.wait_starts("y", 2));
  EXPECT_EQ(p.start_count("x"), 2);
  EXPECT_EQ(p.start_count("sibling"), 1);
  bool saw_inner_failure = false;
  for (auto& e : r.of(report_kind::child_exited))
    if (e.child == "inner" && e.reason.err.code == errc::intensity_exceeded) saw_inner_failure = true;
  EXPECT_TRUE(saw_inner_failure);
  auto inner_ref = sup.whereis("inner");
  ASSERT_TRUE(inner_ref);
  auto sref = supervisor_ref::from(*inner_ref);
  ASSERT_TRUE(sref);
  EXPECT_EQ(sref->which_children().size(), 2u);
  sup.stop();
  auto log = p.snapshot();
  EXPECT_EQ(V(log.end() - 3, log.end()), (V{"stop:y", "stop:x", "stop:sibling"}));
}

TEST_F(SupervisorTest, ShutdownReportsAChildThatIgnoresStopAndStillJoinsIt) {
  Reports r;
  auto release = std::make_shared<tether_test::flag>();
  auto started = std::make_shared<tether_test::flag>();
  auto stubborn = worker(
      "stubborn",
      [release, started](std::stop_token) {
        started->set();
        release->wait_for(10000ms);  // ignores its stop token
      },
      restart_type::permanent, shutdown_policy(30ms));
  {
    supervisor sup({}, {std::move(stubborn)}, opts(r));
    ASSERT_TRUE(sup.start());
    ASSERT_TRUE(started->wait_for(5000ms));
    auto t0 = std::chrono::steady_clock::now();
    sup.stop();
    EXPECT_LT(std::chrono::steady_clock::now() - t0, 2000ms);  // stop() did not hang on it
    auto to = r.of(report_kind::shutdown_timeout);
    ASSERT_EQ(to.size(), 1u);
    EXPECT_EQ(to[0].child, "stubborn");
    EXPECT_NE(to[0].message.find("never detached"), std::string::npos);
    release->set();
  }  // destructor joins the straggler
  EXPECT_EQ(r.count(report_kind::straggler_exited), 1);
}

TEST_F(SupervisorTest, InitFailureStopsStartedChildrenInReverse) {
  Probe p;
  Reports r;
  child_spec bad;
  bad.id = "bad";
  bad.await_ready = true;
  bad.start = [](child_context&) -> result<void> { throw std::runtime_error("init failed"); };
  supervisor sup({}, {p.child("a"), p.child("b"), bad, p.child("c")}, opts(r));
  auto st = sup.start();
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code, errc::start_failed);
  EXPECT_NE(st.error().message.find("init failed"), std::string::npos);
  EXPECT_EQ(p.snapshot(), (V{"start:a", "start:b", "stop:b", "stop:a"}));
  EXPECT_FALSE(sup.running());
}

TEST_F(SupervisorTest, DuplicateIdsAreRejected) {
  Probe p;
  Reports r;
  supervisor sup({}, {p.child("a"), p.child("a")}, opts(r));
  EXPECT_TRUE(sup.start().is(errc::invalid_argument));
}

TEST_F(SupervisorTest, TerminateAndRestartChild) {
  Probe p;
  Reports r;
  supervisor sup({}, {p.child("a"), p.child("b")}, opts(r));
  ASSERT_TRUE(sup.start());
  ASSERT_TRUE(sup.terminate_child("a"));
  EXPECT_TRUE(sup.whereis("a").is(errc::no_process));
  EXPECT_TRUE(sup.whereis("zzz").is(errc::not_found));
  EXPECT_TRUE(sup.restart_child("b").is(errc::running));
  auto again = sup.restart_child("a");
  ASSERT_TRUE(again);
  EXPECT_TRUE(again->alive());
  EXPECT_EQ(p.start_count("a"), 2);
}

TEST_F(SupervisorTest, StateSurvivesRestart) {
  Reports r;
  std::atomic<int> seen{-1};
  tether_test::flag done;
  auto counter = worker("counter", [&](child_context& ctx) -> result<void> {
    int n = std::stoi(ctx.state().get_or("n", "0"));
    if (n == 3) {
      seen = n;
      done.set();
      ctx.stop_token();
      std::mutex m;
      std::condition_variable_any cv;
      std::unique_lock lk(m);
      cv.wait(lk, ctx.stop_token(), [] { return false; });
      return ok();
    }
    auto w = ctx.state().put("n", std::to_string(n + 1));
    if (!w) return w;
    throw std::runtime_error("crash after saving");
  });
  supervisor sup({strategy::one_for_one, 10, 5000ms}, {counter}, opts(r, "heir"));
  ASSERT_TRUE(sup.start());
  ASSERT_TRUE(done.wait_for(5000ms));
  EXPECT_EQ(seen.load(), 3);
  EXPECT_EQ(sup.store()->get("heir/counter", "n"), "3");
}

TEST_F(SupervisorTest, LinkedWorkersFailTogether) {
  Reports r;
  Probe p;
  supervisor sup({strategy::one_for_one, 10, 5000ms}, {p.child("a"), p.child("b")}, opts(r));
  ASSERT_TRUE(sup.start());
  auto a = sup.whereis("a");
  auto b = sup.whereis("b");
  ASSERT_TRUE(a && b);
  ASSERT_TRUE(link(*a, *b));
  p.trigger("a");
  ASSERT_TRUE(p.wait_starts("b", 2));  // b got the exit signal, failed, and was restarted
  bool linked = false;
  for (auto& e : r.of(report_kind::child_exited))
    if (e.child == "b" && e.reason.err.code == errc::linked_exit) linked = true;
  EXPECT_TRUE(linked);
}

// ---- dynamic supervisor ------------------------------------------------------

class DynamicSupervisorTest : public RuntimeTest {};

TEST_F(DynamicSupervisorTest, StartsChildrenAtRunTimeUpToMaxChildren) {
  Probe p;
  Reports r;
  dynamic_supervisor sup({1, 5000ms, 2}, opts(r, "dyn"));
  ASSERT_TRUE(sup.start());
  EXPECT_EQ(sup.count_children().active, 0u);
  ASSERT_TRUE(sup.start_child(p.child("a")));
  EXPECT_TRUE(sup.start_child(p.child("a")).is(errc::already_started));
  ASSERT_TRUE(sup.start_child(p.child("b")));
  auto full = sup.start_child(p.child("c"));
  ASSERT_TRUE(full.is(errc::max_children));
  EXPECT_NE(full.error().message.find("max_children = 2"), std::string::npos);
  EXPECT_EQ(sup.count_children().active, 2u);
  ASSERT_TRUE(sup.terminate_child("a"));
  EXPECT_EQ(sup.count_children().active, 1u);
  EXPECT_TRUE(sup.start_child(p.child("c")));
  child_spec empty;
  EXPECT_TRUE(sup.start_child(empty).is(errc::invalid_argument));
  sup.stop();
  EXPECT_TRUE(sup.start_child(p.child("d")).is(errc::no_process));
  auto log = p.snapshot();
  EXPECT_EQ(V(log.end() - 2, log.end()), (V{"stop:c", "stop:b"}));
}

TEST_F(DynamicSupervisorTest, RestartsFailedChildAndForgetsFinishedOnes) {
  Probe p;
  Reports r;
  dynamic_supervisor sup({5, 5000ms}, opts(r, "dyn"));
  ASSERT_TRUE(sup.start());
  ASSERT_TRUE(sup.start_child(p.child("w", restart_type::transient)));
  ASSERT_TRUE(sup.store()->put("dyn/w", "k", "v"));
  p.trigger("w", 1);
  ASSERT_TRUE(p.wait_starts("w", 2));
  EXPECT_EQ(sup.store()->get("dyn/w", "k"), "v");  // kept across the restart
  p.trigger("w", 2);                               // finishes normally
  for (int i = 0; i < 400 && sup.count_children().active != 0; ++i) std::this_thread::sleep_for(5ms);
  EXPECT_EQ(sup.count_children().active, 0u);
  EXPECT_FALSE(sup.store()->get("dyn/w", "k").has_value());  // erased when finished for good
}

// ---- fault injection ---------------------------------------------------------

TEST_F(SupervisorTest, RandomCrashesUnderLoadOverThousandsOfRestarts) {
  Reports r;
  const int target = tether_test::scaled(2000);
  std::atomic<int> restarts{0};
  std::mutex m;
  std::condition_variable cv;
  supervisor_options o;
  o.name = "stress";
  o.on_report = [&](const supervisor_report& rep) {
    if (rep.kind == report_kind::child_restarted) {
      if (restarts.fetch_add(1) + 1 == target) {
        std::lock_guard lk(m);
        cv.notify_all();
      }
    }
  };
  std::vector<child_spec> kids;
  for (int i = 0; i < 4; ++i) {
    kids.push_back(worker("w" + std::to_string(i), [i](child_context& ctx) -> result<void> {
      std::minstd_rand rng(static_cast<unsigned>(ctx.restarts() * 31 + i));
      volatile unsigned sink = 0;
      while (!ctx.stop_requested()) {
        for (int k = 0; k < 200; ++k) sink = sink + rng();
        if (rng() % 4 == 0) throw std::runtime_error("random crash");
        if (rng() % 7 == 0) return error(errc::child_failed, "random reported failure");
      }
      return ok();
    }));
  }
  kids.push_back(supervisor_child("nested", {strategy::one_for_all, 1000000, 1000ms},
                                  {worker("n0", [](child_context& ctx) -> result<void> {
                                    if (ctx.restarts() % 3 == 2) throw std::runtime_error("nested crash");
                                    std::this_thread::yield();
                                    return ok();
                                  })}));
  supervisor sup({strategy::one_for_one, 1000000, 1000ms}, std::move(kids), o);
  ASSERT_TRUE(sup.start());
  {
    std::unique_lock lk(m);
    ASSERT_TRUE(cv.wait_for(lk, 20s, [&] { return restarts.load() >= target; }));
  }
  sup.stop();
  EXPECT_GE(restarts.load(), target);
  EXPECT_EQ(sup.wait().kind, exit_kind::shutdown);
}

// ---- issue 12: contract regressions ------------------------------------------

TEST_F(SupervisorTest, InfinitePeriodCountsEveryRestart) {
  Probe p;
  Reports r;
  // Before the fix `now - period` overflowed and the restart window never
  // filled, so intensity was never reached.
  supervisor sup({strategy::one_for_one, 1, tether::infinity}, {p.child("a")}, opts(r));
  ASSERT_TRUE(sup.start());
  p.trigger("a");
  ASSERT_TRUE(p.wait_starts("a", 2));
  p.trigger("a");
  auto why = sup.wait_for(5000ms);
  ASSERT_TRUE(why);
  EXPECT_EQ(why->err.code, errc::intensity_exceeded);
  EXPECT_TRUE(sup.wait_for(tether::infinity).has_value());
}

TEST_F(SupervisorTest, RequestsToASupervisorNeverStartedReturnNoProcess) {
  // Before the fix these queued a request that no thread would ever serve
  // and blocked forever (the watchdog bounds this test).
  Probe p;
  Reports r;
  supervisor sup({}, {p.child("a")}, opts(r));
  EXPECT_TRUE(sup.which_children().empty());
  EXPECT_TRUE(sup.whereis("a").is(errc::no_process));
  EXPECT_TRUE(sup.terminate_child("a").is(errc::no_process));
  EXPECT_TRUE(sup.restart_child("a").is(errc::no_process));
  EXPECT_FALSE(sup.running());
  dynamic_supervisor dyn({}, opts(r, "dyn"));
  EXPECT_TRUE(dyn.start_child(p.child("b")).is(errc::no_process));
  EXPECT_EQ(dyn.count_children().active, 0u);
  EXPECT_TRUE(dyn.whereis("b").is(errc::no_process));
  EXPECT_EQ(p.start_count("b"), 0);
  // A supervisor whose start failed is not running either.
  child_spec bad;
  bad.id = "bad";
  bad.start = [](child_context&) -> result<void> { throw std::runtime_error("no"); };
  bad.await_ready = true;
  supervisor failed({}, {bad}, opts(r, "failed"));
  ASSERT_FALSE(failed.start());
  EXPECT_TRUE(failed.whereis("bad").is(errc::no_process));
  EXPECT_TRUE(failed.which_children().empty());
}

TEST_F(SupervisorTest, RunningIsSafeToCallDuringStart) {
  // Before the fix running() read the std::jthread that start() was
  // assigning (a data race reported by runtime.tsan).
  Probe p;
  Reports r;
  supervisor sup({}, {p.child("a"), p.child("b")}, opts(r));
  std::atomic<bool> stop{false};
  std::atomic<bool> saw_running{false};
  std::jthread poller([&] {
    while (!stop.load()) {
      if (sup.running()) saw_running = true;
      std::this_thread::yield();
    }
  });
  ASSERT_TRUE(sup.start());
  EXPECT_TRUE(sup.running());
  sup.stop();
  EXPECT_FALSE(sup.running());
  stop = true;
  poller.join();
}

TEST_F(SupervisorTest, StragglerLosesItsStateScope) {
  // Before the fix an abandoned incarnation could still write its child's
  // scope and overwrite what the next incarnation stored.
  Reports r;
  auto release = std::make_shared<tether_test::flag>();
  auto first_started = std::make_shared<tether_test::flag>();
  auto second_started = std::make_shared<tether_test::flag>();
  auto stale_done = std::make_shared<tether_test::flag>();
  auto starts = std::make_shared<std::atomic<int>>(0);
  auto stale_write = std::make_shared<std::atomic<int>>(-1);  // errc of the straggler's write, 0 = ok
  auto stale_read = std::make_shared<std::atomic<bool>>(true);
  auto slow = worker(
      "slow",
      [=](child_context& ctx) -> result<void> {
        int gen = starts->fetch_add(1);
        auto st = ctx.state();
        if (auto w = st.put("owner", std::to_string(gen)); !w) return w;
        if (gen == 0) {
          first_started->set();
          release->wait_for(10000ms);  // ignores its stop token
          auto w = st.put("owner", "stale");
          stale_write->store(w ? 0 : static_cast<int>(w.error().code));
          stale_read->store(st.get("owner").has_value());
          stale_done->set();
          return ok();
        }
        second_started->set();
        std::mutex m;
        std::condition_variable_any cv;
        std::unique_lock lk(m);
        cv.wait(lk, ctx.stop_token(), [] { return false; });
        return ok();
      },
      restart_type::permanent, shutdown_policy(20ms));
  supervisor sup({strategy::one_for_one, 5, 5000ms}, {slow}, opts(r, "fence"));
  ASSERT_TRUE(sup.start());
  ASSERT_TRUE(first_started->wait_for(5000ms));
  ASSERT_TRUE(sup.terminate_child("slow"));  // times out: the first incarnation is abandoned
  EXPECT_EQ(r.count(report_kind::shutdown_timeout), 1);
  ASSERT_TRUE(sup.restart_child("slow"));
  ASSERT_TRUE(second_started->wait_for(5000ms));
  EXPECT_EQ(sup.store()->get("fence/slow", "owner"), "1");
  release->set();
  ASSERT_TRUE(stale_done->wait_for(5000ms));
  EXPECT_EQ(stale_write->load(), static_cast<int>(errc::shutdown));
  EXPECT_FALSE(stale_read->load());
  EXPECT_EQ(sup.store()->get("fence/slow", "owner"), "1");
}

namespace {
// A child that runs (and crashes when told) on its first start and whose
// later starts fail while `failing_starts` is positive.
child_spec flaky(const std::string& id, std::shared_ptr<std::atomic<int>> failing_starts,
                 std::shared_ptr<tether_test::flag> crash) {
  child_spec s;
  s.id = id;
  s.await_ready = true;
  s.shutdown = 2000ms;
  s.start = [failing_starts, crash](child_context& ctx) -> result<void> {
    if (ctx.restarts() > 0 && failing_starts->fetch_sub(1) > 0) return error(errc::start_failed, "cannot start");
    ctx.ready();
    while (!ctx.stop_requested()) {
      if (ctx.restarts() == 0 && crash->is_set()) throw std::runtime_error("crash");
      std::this_thread::sleep_for(1ms);
    }
    return ok();
  };
  return s;
}
}  // namespace

TEST_F(SupervisorTest, FailedRestartsCountAgainstIntensity) {
  {
    Reports r;
    auto failing = std::make_shared<std::atomic<int>>(2);
    auto crash = std::make_shared<tether_test::flag>();
    supervisor sup({strategy::one_for_one, 3, 5000ms}, {flaky("f", failing, crash)}, opts(r));
    ASSERT_TRUE(sup.start());
    crash->set();
    ASSERT_TRUE(r.wait_kind(report_kind::child_restarted));
    EXPECT_EQ(r.count(report_kind::start_failed), 2);
    auto kids = sup.which_children();
    ASSERT_EQ(kids.size(), 1u);
    EXPECT_TRUE(kids[0].running);
    EXPECT_EQ(kids[0].restarts, 3u);  // the restart and the two failed attempts
  }
  {
    Reports r;
    auto failing = std::make_shared<std::atomic<int>>(1000);
    auto crash = std::make_shared<tether_test::flag>();
    supervisor sup({strategy::one_for_one, 2, 5000ms}, {flaky("f", failing, crash)}, opts(r));
    ASSERT_TRUE(sup.start());
    crash->set();
    auto why = sup.wait_for(5000ms);
    ASSERT_TRUE(why);
    EXPECT_EQ(why->err.code, errc::intensity_exceeded);
    EXPECT_EQ(r.count(report_kind::start_failed), 2);
  }
}

TEST_F(SupervisorTest, StopIsServedWhileARestartKeepsFailing) {
  // Before the fix a failed restart was retried in a loop inside the
  // supervisor thread: with a high intensity, stop() (and every request)
  // waited forever.
  Reports r;
  auto failing = std::make_shared<std::atomic<int>>(1 << 30);
  auto crash = std::make_shared<tether_test::flag>();
  supervisor sup({strategy::one_for_one, 1000000000, 1000ms}, {flaky("f", failing, crash)}, opts(r));
  ASSERT_TRUE(sup.start());
  crash->set();
  ASSERT_TRUE(r.wait_kind(report_kind::start_failed));
  auto kids = sup.which_children();  // a request is served between attempts
  ASSERT_EQ(kids.size(), 1u);
  sup.stop();
  auto why = sup.wait_for(5000ms);
  ASSERT_TRUE(why);
  EXPECT_FALSE(why->is_failure());
}

TEST_F(SupervisorTest, TransientNestedSupervisorThatGivesUpIsNotRestarted) {
  // OTP: a supervisor that reaches its intensity exits with reason shutdown,
  // so a transient parent entry does not restart it. Before the fix it
  // exited with failure and was restarted.
  Probe p;
  Reports r;
  supervisor_flags inner{strategy::one_for_one, 0, 5000ms};  // any restart exceeds
  supervisor sup({strategy::one_for_one, 5, 5000ms},
                 {p.child("sibling"),
                  supervisor_child("inner", inner, {p.child("x")}, restart_type::transient)},
                 opts(r, "outer"));
  ASSERT_TRUE(sup.start());
  p.trigger("x");
  ASSERT_TRUE(r.wait_kind(report_kind::child_exited));
  // Wait until "inner" itself was reported exited.
  std::optional<supervisor_report> inner_exit;
  for (int i = 0; i < 1000 && !inner_exit; ++i) {
    for (auto& e : r.of(report_kind::child_exited))
      if (e.child == "inner") inner_exit = e;
    if (!inner_exit) std::this_thread::sleep_for(2ms);
  }
  ASSERT_TRUE(inner_exit);
  EXPECT_EQ(inner_exit->reason.kind, exit_kind::shutdown);
  EXPECT_EQ(inner_exit->reason.err.code, errc::intensity_exceeded);
  auto kids = sup.which_children();  // served after the exit was handled
  ASSERT_EQ(kids.size(), 2u);
  EXPECT_FALSE(kids[1].running);
  EXPECT_EQ(kids[1].restarts, 0u);
  EXPECT_EQ(p.start_count("x"), 1);
  EXPECT_TRUE(sup.running());
  EXPECT_EQ(r.count(report_kind::child_restarted), 0);
}

TEST_F(SupervisorTest, LinkedPeerOfAChildStoppedWithShutdownExitsWithShutdown) {
  // OTP propagates the exit reason over a link: a peer of a process that
  // exited with shutdown exits with shutdown too, so a transient peer is not
  // restarted. Before the fix the peer exited with failure(linked_exit) and
  // was restarted.
  Probe p;
  Reports r;
  supervisor sup({strategy::one_for_one, 10, 5000ms},
                 {p.child("a"), p.child("b", restart_type::transient)}, opts(r));
  ASSERT_TRUE(sup.start());
  auto a = sup.whereis("a");
  auto b = sup.whereis("b");
  ASSERT_TRUE(a && b);
  ASSERT_TRUE(link(*a, *b));
  monitor mb(*b);
  ASSERT_TRUE(sup.terminate_child("a"));
  auto d = mb.wait_for(5000ms);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->reason.kind, exit_kind::shutdown);
  EXPECT_EQ(d->reason.err.code, errc::linked_exit);
  auto kids = sup.which_children();  // served after b's exit was handled
  ASSERT_EQ(kids.size(), 2u);
  EXPECT_FALSE(kids[1].running);
  EXPECT_EQ(p.start_count("b"), 1);
}

TEST_F(SupervisorTest, CountChildrenGivesOtpCountsOnEverySupervisorKind) {
  Probe p;
  Reports r;
  supervisor sup({strategy::one_for_one, 5, 5000ms},
                 {p.child("a"), p.child("b"), supervisor_child("inner", {}, {p.child("x")}),
                  dynamic_supervisor_child("dyn")},
                 opts(r, "counts"));
  EXPECT_EQ(sup.count_children(), child_counts{});  // not running
  ASSERT_TRUE(sup.start());
  EXPECT_EQ(sup.count_children(), (child_counts{4, 4, 2, 2}));
  ASSERT_TRUE(sup.terminate_child("b"));  // the spec stays: counted, not active
  EXPECT_EQ(sup.count_children(), (child_counts{4, 3, 2, 2}));
  auto inner = supervisor_ref::from(*sup.whereis("inner"));
  ASSERT_TRUE(inner);
  EXPECT_EQ(inner->count_children(), (child_counts{1, 1, 0, 1}));
  auto dyn = dynamic_supervisor_ref::from(*sup.whereis("dyn"));
  ASSERT_TRUE(dyn);
  EXPECT_EQ(dyn->count_children(), child_counts{});
  ASSERT_TRUE(dyn->start_child(p.child("d1")));
  ASSERT_TRUE(dyn->start_child(dynamic_supervisor_child("d2")));
  EXPECT_EQ(dyn->count_children(), (child_counts{2, 2, 1, 1}));
  sup.stop();
  EXPECT_EQ(sup.count_children(), child_counts{});
}
