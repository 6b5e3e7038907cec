// OTP child management on a static supervisor (start_child, terminate_child,
// restart_child, delete_child and their typed errors), significant children
// with auto_shutdown (OTP 24), and count_children on the task supervisor.
#include <atomic>
#include <map>
#include <mutex>
#include <string>

#include "tether/tether.hpp"
#include "test_support.hpp"

using namespace std::chrono_literals;
using namespace tether;
using tether_test::RuntimeTest;

namespace {

struct Reports {
  std::mutex mu;
  std::vector<supervisor_report> all;  // guarded by mu
  int count(report_kind k) {
    std::lock_guard lk(mu);
    int n = 0;
    for (auto& r : all) n += r.kind == k;
    return n;
  }
};

supervisor_options opts(Reports& r, std::string name = "otp") {
  supervisor_options o;
  o.name = std::move(name);
  o.on_report = [&r](const supervisor_report& rep) {
    std::lock_guard lk(r.mu);
    r.all.push_back(rep);
  };
  return o;
}

/// Children that run until stopped or until the test tells them to exit.
struct Gates {
  std::mutex mu;
  std::map<std::string, std::shared_ptr<tether_test::flag>> exit_now;  // guarded by mu
  std::map<std::string, int> starts;                                    // guarded by mu
  std::shared_ptr<tether_test::flag> gate(const std::string& id) {
    std::lock_guard lk(mu);
    auto& g = exit_now[id];
    if (!g) g = std::make_shared<tether_test::flag>();
    return g;
  }
  int started(const std::string& id) {
    std::lock_guard lk(mu);
    return starts[id];
  }
  /// Exits normally when its gate opens (or on stop); `fail` makes the exit a failure.
  child_spec child(const std::string& id, restart_type rt = restart_type::permanent, bool significant = false,
                   bool fail = false) {
    child_spec s = worker(id, [this, id, fail](child_context& ctx) -> result<void> {
      auto g = gate(id);
      {
        std::lock_guard lk(mu);
        ++starts[id];
      }
      while (!ctx.stop_requested() && !g->wait_for(2ms)) {
      }
      if (ctx.stop_requested()) return ok();
      if (fail) return error(errc::child_failed, id + " failed");
      return ok();
    }, rt);
    s.significant = significant;
    return s;
  }
  void open(const std::string& id) { gate(id)->set(); }
};

/// Waits (bounded) until pred() holds; the supervisor serves requests in
/// order, so polling its state is deterministic once the event happened.
template <class P>
bool eventually(P pred) {
  for (int i = 0; i < 5000; ++i) {
    if (pred()) return true;
    std::this_thread::sleep_for(2ms);
  }
  return pred();
}

}  // namespace

class SupervisorOtpTest : public RuntimeTest {};

TEST_F(SupervisorOtpTest, StartChildOnAStaticSupervisorAppendsTheSpec) {
  Gates g;
  Reports r;
  supervisor sup({}, {g.child("a")}, opts(r));
  EXPECT_TRUE(sup.start_child(g.child("b")).is(errc::no_process));  // not started yet
  ASSERT_TRUE(sup.start());
  auto b = sup.start_child(g.child("b"));
  ASSERT_TRUE(b) << b.error().describe();
  EXPECT_TRUE(b->alive());
  auto kids = sup.which_children();
  ASSERT_EQ(kids.size(), 2u);
  EXPECT_EQ(kids[1].id, "b");  // appended after the initial children
  EXPECT_EQ(sup.count_children(), (child_counts{2, 2, 0, 2}));
  EXPECT_TRUE(sup.start_child(g.child("b")).is(errc::already_started));
  ASSERT_TRUE(sup.terminate_child("b"));
  EXPECT_TRUE(sup.start_child(g.child("b")).is(errc::already_present));  // spec kept
  child_spec empty;
  EXPECT_TRUE(sup.start_child(empty).is(errc::invalid_argument));
}

TEST_F(SupervisorOtpTest, AStaticChildWhoseStartFailsIsNotAdded) {
  Gates g;
  Reports r;
  supervisor sup({}, {g.child("a")}, opts(r));
  ASSERT_TRUE(sup.start());
  // A plain worker counts as started when its thread runs: await_ready
  // makes its failing init a start failure.
  child_spec s = worker("bad2", [](child_context&) -> result<void> { return error(errc::child_failed, "no"); });
  s.await_ready = true;
  auto bad2 = sup.start_child(s);
  ASSERT_FALSE(bad2);
  EXPECT_EQ(bad2.error().code, errc::start_failed);
  EXPECT_TRUE(sup.whereis("bad2").is(errc::not_found));
  EXPECT_EQ(sup.count_children(), (child_counts{1, 1, 0, 1}));
}

TEST_F(SupervisorOtpTest, TerminateKeepsTheSpecAndDeleteRemovesOnlyATerminatedChild) {
  Gates g;
  Reports r;
  supervisor sup({}, {g.child("a"), g.child("t", restart_type::temporary)}, opts(r));
  ASSERT_TRUE(sup.start());
  EXPECT_TRUE(sup.delete_child("a").is(errc::running));
  EXPECT_TRUE(sup.delete_child("nope").is(errc::not_found));
  ASSERT_TRUE(sup.terminate_child("a"));
  ASSERT_TRUE(sup.terminate_child("a"));  // terminating a terminated child is ok
  EXPECT_EQ(sup.count_children(), (child_counts{2, 1, 0, 2}));
  auto again = sup.restart_child("a");
  ASSERT_TRUE(again);
  EXPECT_TRUE(again->alive());
  EXPECT_TRUE(eventually([&] { return g.started("a") == 2; }));  // its body runs on its own thread
  EXPECT_TRUE(sup.restart_child("a").is(errc::running));
  ASSERT_TRUE(sup.terminate_child("a"));
  ASSERT_TRUE(sup.delete_child("a"));
  EXPECT_TRUE(sup.restart_child("a").is(errc::not_found));
  EXPECT_TRUE(sup.whereis("a").is(errc::not_found));
  // A temporary child's spec goes with its termination (OTP).
  ASSERT_TRUE(sup.terminate_child("t"));
  EXPECT_TRUE(sup.whereis("t").is(errc::not_found));
  EXPECT_EQ(sup.count_children(), child_counts{});
  // The id is free again.
  ASSERT_TRUE(sup.start_child(g.child("a")));
}

TEST_F(SupervisorOtpTest, DeleteAndRestartAreRejectedOnADynamicSupervisor) {
  Gates g;
  dynamic_supervisor dyn;
  ASSERT_TRUE(dyn.start());
  ASSERT_TRUE(dyn.start_child(g.child("d")));
  EXPECT_TRUE(dyn.delete_child("d").is(errc::invalid_argument));
  EXPECT_TRUE(dyn.restart_child("d").is(errc::invalid_argument));
  EXPECT_TRUE(dyn.start_child(g.child("s", restart_type::temporary, true)).is(errc::invalid_argument));
}

TEST_F(SupervisorOtpTest, AnyAddedChildTakesPartInRestForOne) {
  Gates g;
  Reports r;
  auto fail_once = std::make_shared<tether_test::flag>();
  child_spec a = worker("a", [fail_once](child_context& ctx) -> result<void> {
    if (ctx.restarts() == 0) {
      fail_once->wait_for(10s);
      if (!ctx.stop_requested()) return error(errc::child_failed, "a fails once");
    }
    while (!ctx.stop_requested()) std::this_thread::sleep_for(2ms);
    return ok();
  });
  supervisor sup({strategy::rest_for_one, 5, 5000ms}, {a}, opts(r));
  ASSERT_TRUE(sup.start());
  ASSERT_TRUE(sup.start_child(g.child("b")));
  auto b1 = sup.whereis("b");
  ASSERT_TRUE(b1);
  fail_once->set();  // a fails; rest_for_one restarts a and the child added after it
  ASSERT_TRUE(b1->wait_exited_for(10s));
  ASSERT_TRUE(eventually([&] { return g.started("b") == 2; }));
  EXPECT_EQ(sup.count_children(), (child_counts{2, 2, 0, 2}));
}

TEST_F(SupervisorOtpTest, SignificantChildrenNeedAutoShutdownAndNoPermanentRestart) {
  Gates g;
  Reports r;
  {
    supervisor sup({}, {g.child("s", restart_type::transient, true)}, opts(r));  // auto_shutdown never
    EXPECT_TRUE(sup.start().is(errc::invalid_argument));
  }
  {
    supervisor_flags f;
    f.auto_shutdown = auto_shutdown::any_significant;
    supervisor sup(f, {g.child("s", restart_type::permanent, true)}, opts(r));
    EXPECT_TRUE(sup.start().is(errc::invalid_argument));
  }
  supervisor sup({}, {g.child("a")}, opts(r));
  ASSERT_TRUE(sup.start());
  EXPECT_TRUE(sup.start_child(g.child("s", restart_type::temporary, true)).is(errc::invalid_argument));
}

TEST_F(SupervisorOtpTest, AnySignificantShutsTheSupervisorDownWhenOneExitsByItself) {
  Gates g;
  Reports r;
  supervisor_flags f;
  f.auto_shutdown = auto_shutdown::any_significant;
  supervisor sup(f, {g.child("svc"), g.child("job", restart_type::temporary, true),
                     g.child("job2", restart_type::transient, true)},
                 opts(r));
  ASSERT_TRUE(sup.start());
  auto svc = sup.whereis("svc");
  ASSERT_TRUE(svc);
  g.open("job");
  auto why = sup.wait_for(10s);
  ASSERT_TRUE(why);
  EXPECT_EQ(why->kind, exit_kind::shutdown);
  EXPECT_EQ(why->err.code, errc::shutdown);
  EXPECT_NE(why->err.message.find("'job'"), std::string::npos) << why->err.message;
  EXPECT_FALSE(svc->alive());  // the other children were stopped
  EXPECT_FALSE(sup.running());
  EXPECT_EQ(r.count(report_kind::auto_shutdown), 1);
  EXPECT_EQ(r.count(report_kind::escalated), 0);
}

TEST_F(SupervisorOtpTest, AllSignificantWaitsForTheLastSignificantChild) {
  Gates g;
  Reports r;
  supervisor_flags f;
  f.auto_shutdown = auto_shutdown::all_significant;
  supervisor sup(f, {g.child("svc"), g.child("j1", restart_type::temporary, true),
                     g.child("j2", restart_type::transient, true)},
                 opts(r));
  ASSERT_TRUE(sup.start());
  g.open("j1");
  ASSERT_TRUE(eventually([&] { return !sup.whereis("j1").has_value(); }));
  EXPECT_TRUE(sup.running());  // j2 still runs
  EXPECT_EQ(sup.count_children(), (child_counts{2, 2, 0, 2}));  // temporary j1 is gone
  g.open("j2");
  auto why = sup.wait_for(10s);
  ASSERT_TRUE(why);
  EXPECT_EQ(why->err.code, errc::shutdown);
  EXPECT_NE(why->err.message.find("'j2'"), std::string::npos);
}

TEST_F(SupervisorOtpTest, ATransientSignificantFailureIsRestartedNotAShutdown) {
  Gates g;
  Reports r;
  supervisor_flags f;
  f.auto_shutdown = auto_shutdown::any_significant;
  f.max_restarts = 5;
  supervisor sup(f, {g.child("svc"), g.child("j", restart_type::transient, true, /*fail=*/true)}, opts(r));
  ASSERT_TRUE(sup.start());
  g.open("j");  // fails -> restarted; the new incarnation fails again at once (gate open): restarts
  ASSERT_TRUE(eventually([&] { return g.started("j") >= 2; }));
  EXPECT_EQ(r.count(report_kind::auto_shutdown), 0);
  sup.stop();
}

TEST_F(SupervisorOtpTest, TerminatingASignificantChildDoesNotShutTheSupervisorDown) {
  Gates g;
  Reports r;
  supervisor_flags f;
  f.auto_shutdown = auto_shutdown::any_significant;
  supervisor sup(f, {g.child("svc"), g.child("job", restart_type::transient, true)}, opts(r));
  ASSERT_TRUE(sup.start());
  ASSERT_TRUE(sup.terminate_child("job"));
  EXPECT_TRUE(sup.running());
  EXPECT_EQ(sup.count_children(), (child_counts{2, 1, 0, 2}));
  EXPECT_EQ(r.count(report_kind::auto_shutdown), 0);
}

TEST_F(SupervisorOtpTest, ATransientNestedSupervisorThatAutoShutsDownIsNotRestarted) {
  Gates g;
  Reports r;
  supervisor_flags inner;
  inner.auto_shutdown = auto_shutdown::any_significant;
  supervisor sup({strategy::one_for_one, 5, 5000ms},
                 {g.child("top"), supervisor_child("inner", inner, {g.child("job", restart_type::temporary, true)},
                                                   restart_type::transient)},
                 opts(r));
  ASSERT_TRUE(sup.start());
  auto in = sup.whereis("inner");
  ASSERT_TRUE(in);
  g.open("job");
  ASSERT_TRUE(in->wait_exited_for(10s));
  EXPECT_EQ(in->exit()->kind, exit_kind::shutdown);
  ASSERT_TRUE(eventually([&] { return sup.count_children().active == 1; }));
  EXPECT_TRUE(sup.whereis("inner").is(errc::no_process));  // kept, not restarted
  EXPECT_EQ(r.count(report_kind::child_restarted), 0);
}

TEST_F(SupervisorOtpTest, DynamicSignificantChildrenNeedAutoShutdownAndNoPermanentRestart) {
  Gates g;
  Reports r;
  {
    dynamic_supervisor sup({}, opts(r, "dyn"));  // auto_shutdown never
    ASSERT_TRUE(sup.start());
    EXPECT_TRUE(sup.start_child(g.child("s", restart_type::temporary, true)).is(errc::invalid_argument));
    EXPECT_EQ(sup.count_children(), child_counts{});
  }
  dynamic_supervisor_flags f;
  f.auto_shutdown = auto_shutdown::any_significant;
  dynamic_supervisor sup(f, opts(r, "dyn"));
  ASSERT_TRUE(sup.start());
  EXPECT_TRUE(sup.start_child(g.child("p", restart_type::permanent, true)).is(errc::invalid_argument));
  EXPECT_TRUE(sup.start_child(g.child("t", restart_type::transient, true)));
  sup.stop();  // stopping the supervisor is no auto_shutdown
  EXPECT_EQ(r.count(report_kind::auto_shutdown), 0);
}

TEST_F(SupervisorOtpTest, DynamicAnySignificantShutsDownWhenOneExitsByItself) {
  Gates g;
  Reports r;
  dynamic_supervisor_flags f;
  f.auto_shutdown = auto_shutdown::any_significant;
  dynamic_supervisor sup(f, opts(r, "dyn"));
  ASSERT_TRUE(sup.start());
  auto svc = sup.start_child(g.child("svc"));
  ASSERT_TRUE(svc);
  ASSERT_TRUE(sup.start_child(g.child("job", restart_type::temporary, true)));
  ASSERT_TRUE(sup.start_child(g.child("job2", restart_type::transient, true)));
  ASSERT_TRUE(sup.start_child(g.child("plain", restart_type::temporary)));
  g.open("plain");  // a non-significant exit changes nothing
  ASSERT_TRUE(eventually([&] { return sup.count_children().specs == 3; }));
  EXPECT_TRUE(sup.running());
  g.open("job");
  auto why = sup.wait_for(10s);
  ASSERT_TRUE(why);
  EXPECT_EQ(why->kind, exit_kind::shutdown);
  EXPECT_EQ(why->err.code, errc::shutdown);
  EXPECT_NE(why->err.message.find("'job'"), std::string::npos) << why->err.message;
  EXPECT_FALSE(svc->alive());  // the other children were stopped
  EXPECT_FALSE(sup.running());
  EXPECT_TRUE(sup.start_child(g.child("late")).is(errc::no_process));
  EXPECT_EQ(r.count(report_kind::auto_shutdown), 1);
  EXPECT_EQ(r.count(report_kind::escalated), 0);
}

TEST_F(SupervisorOtpTest, DynamicAllSignificantWaitsForTheLastSignificantChild) {
  Gates g;
  Reports r;
  dynamic_supervisor_flags f;
  f.auto_shutdown = auto_shutdown::all_significant;
  f.max_restarts = 5;
  dynamic_supervisor sup(f, opts(r, "dyn"));
  ASSERT_TRUE(sup.start());
  ASSERT_TRUE(sup.start_child(g.child("other", restart_type::temporary)));  // not significant
  ASSERT_TRUE(sup.start_child(g.child("j1", restart_type::temporary, true)));
  ASSERT_TRUE(sup.start_child(g.child("j2", restart_type::transient, true, /*fail=*/true)));
  ASSERT_TRUE(sup.start_child(g.child("j3", restart_type::transient, true)));
  g.open("other");  // a non-significant exit changes nothing
  ASSERT_TRUE(eventually([&] { return sup.count_children().specs == 3; }));
  g.open("j1");
  ASSERT_TRUE(eventually([&] { return sup.count_children().specs == 2; }));
  EXPECT_TRUE(sup.running());
  ASSERT_TRUE(sup.terminate_child("j3"));  // terminated by the supervisor: no trigger
  EXPECT_TRUE(sup.running());
  EXPECT_EQ(sup.count_children(), (child_counts{1, 1, 0, 1}));
  g.open("j2");  // a transient failure is restarted (and fails again): not a shutdown
  ASSERT_TRUE(eventually([&] { return g.started("j2") >= 2; }));
  EXPECT_EQ(r.count(report_kind::auto_shutdown), 0);
  // Its restarts exceed the intensity at some point: that is an escalation,
  // also reason shutdown, but not an auto_shutdown.
  auto why = sup.wait_for(10s);
  ASSERT_TRUE(why);
  EXPECT_EQ(r.count(report_kind::auto_shutdown), 0);
  EXPECT_EQ(r.count(report_kind::intensity_exceeded), 1);
}

TEST_F(SupervisorOtpTest, DynamicAllSignificantShutsDownAfterTheLastOne) {
  Gates g;
  Reports r;
  dynamic_supervisor_flags f;
  f.auto_shutdown = auto_shutdown::all_significant;
  dynamic_supervisor sup(f, opts(r, "dyn"));
  ASSERT_TRUE(sup.start());
  auto other = sup.start_child(g.child("other"));  // permanent, not significant
  ASSERT_TRUE(other);
  ASSERT_TRUE(sup.start_child(g.child("j1", restart_type::temporary, true)));
  ASSERT_TRUE(sup.start_child(g.child("j2", restart_type::transient, true)));
  g.open("j1");
  ASSERT_TRUE(eventually([&] { return sup.count_children().specs == 2; }));
  EXPECT_TRUE(sup.running());  // j2 still runs
  EXPECT_EQ(r.count(report_kind::auto_shutdown), 0);
  g.open("j2");
  auto why = sup.wait_for(10s);
  ASSERT_TRUE(why);
  EXPECT_EQ(why->kind, exit_kind::shutdown);
  EXPECT_EQ(why->err.code, errc::shutdown);
  EXPECT_NE(why->err.message.find("'j2'"), std::string::npos) << why->err.message;
  EXPECT_FALSE(other->alive());  // the non-significant child was stopped with it
  EXPECT_EQ(r.count(report_kind::auto_shutdown), 1);
}

TEST_F(SupervisorOtpTest, ATransientNestedDynamicSupervisorThatAutoShutsDownIsNotRestarted) {
  Gates g;
  Reports r;
  dynamic_supervisor_flags inner;
  inner.auto_shutdown = auto_shutdown::any_significant;
  supervisor sup({strategy::one_for_one, 5, 5000ms},
                 {g.child("top"), dynamic_supervisor_child("inner", inner, restart_type::transient)}, opts(r));
  ASSERT_TRUE(sup.start());
  auto in = sup.whereis("inner");
  ASSERT_TRUE(in);
  auto dyn = dynamic_supervisor_ref::from(*in);
  ASSERT_TRUE(dyn);
  ASSERT_TRUE(dyn->start_child(g.child("job", restart_type::temporary, true)));
  g.open("job");
  ASSERT_TRUE(in->wait_exited_for(10s));
  EXPECT_EQ(in->exit()->kind, exit_kind::shutdown);
  ASSERT_TRUE(eventually([&] { return sup.count_children().active == 1; }));
  EXPECT_TRUE(sup.whereis("inner").is(errc::no_process));  // kept, not restarted
  EXPECT_EQ(r.count(report_kind::child_restarted), 0);
}

TEST_F(SupervisorOtpTest, TaskSupervisorCountsItsTasks) {
  task_options o;
  o.max_threads = 1;
  task_supervisor ts(o);
  EXPECT_EQ(ts.count_children(), child_counts{});
  auto gate = std::make_shared<tether_test::flag>();
  auto entered = std::make_shared<tether_test::flag>();
  auto t1 = ts.async([gate, entered](std::stop_token) {
    entered->set();
    gate->wait_for(10s);
    return 1;
  });
  ASSERT_TRUE(entered->wait_for(10s));
  auto t2 = ts.async([](std::stop_token) { return 2; });  // queued behind t1 (one thread)
  EXPECT_EQ(ts.count_children(), (child_counts{2, 1, 0, 2}));
  gate->set();
  EXPECT_EQ(*t1.await(10s), 1);
  EXPECT_EQ(*t2.await(10s), 2);
  ASSERT_TRUE(eventually([&] { return ts.count_children() == child_counts{}; }));
  ts.shutdown();
  EXPECT_EQ(ts.count_children(), child_counts{});
}
