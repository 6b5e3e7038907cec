// Server (GenServer) suite: call/cast outcomes, crash mid-call, timeouts and
// late replies, mailbox policies and the system lane, restart by the
// supervisor, registry, monitors, dead letters.
#include <atomic>
#include <stdexcept>
#include <thread>

#include "tether/tether.hpp"
#include "test_support.hpp"

using namespace std::chrono_literals;
using namespace tether;
using tether_test::RuntimeTest;

namespace {

struct Req {
  enum kind { add, get, crash, slow, block } k = get;
  int n = 0;
  std::shared_ptr<tether_test::flag> gate;
  std::shared_ptr<tether_test::flag> entered;
};

struct Counter {
  using call_type = Req;
  using reply_type = int;
  using cast_type = int;
  int value = 0;
  std::shared_ptr<std::atomic<int>> terminated;

  int handle_call(const Req& r) {
    switch (r.k) {
      case Req::add: value += r.n; return value;
      case Req::get: return value;
      case Req::crash: throw std::runtime_error("handler crashed");
      case Req::slow: std::this_thread::sleep_for(std::chrono::milliseconds(r.n)); return value;
      case Req::block:
        if (r.entered) r.entered->set();
        r.gate->wait_for(5000ms);
        return value;
    }
    return value;
  }
  void handle_cast(int n) {
    if (n < 0) throw std::runtime_error("negative cast");
    value += n;
  }
  void terminate(const exit_reason&) {
    if (terminated) terminated->fetch_add(1);
  }
};

supervisor_options quiet(std::string name = "srv") {
  supervisor_options o;
  o.name = std::move(name);
  o.on_report = [](const supervisor_report&) {};
  return o;
}

}  // namespace

class ServerTest : public RuntimeTest {};

TEST_F(ServerTest, CallAndCast) {
  auto s = server<Counter>::start([](child_context&) { return Counter{}; }, {}, quiet());
  ASSERT_TRUE(s);
  auto ref = (*s)->ref();
  EXPECT_EQ(*ref.call({Req::add, 5}), 5);
  EXPECT_TRUE(ref.cast(10));
  EXPECT_EQ(*ref.call({Req::get}), 15);  // FIFO: the cast was handled first
  auto st = ref.inspect([](Counter& c) { return c.value; });
  ASSERT_TRUE(st);
  EXPECT_EQ(*st, 15);
}

TEST_F(ServerTest, CallTimesOutAndTheLateReplyIsDiscardedAndCounted) {
  auto dl = std::make_shared<dead_letter_office>();
  server_options so;
  so.dead_letters = dl;
  auto s = server<Counter>::start([](child_context&) { return Counter{}; }, so, quiet());
  ASSERT_TRUE(s);
  auto ref = (*s)->ref();
  auto gate = std::make_shared<tether_test::flag>();
  auto r = ref.call({Req::block, 0, gate}, 20ms);
  ASSERT_TRUE(r.is(errc::timeout));
  gate->set();
  // The next call gets its own reply, never the late one.
  EXPECT_EQ(*ref.call({Req::add, 7}), 7);
  EXPECT_EQ(ref.late_replies(), 1u);
  EXPECT_EQ(dl->count(dead_letter_reason::late_reply), 1u);
}

TEST_F(ServerTest, ServerThatDiesMidCallReturnsCrashedAndIsRestarted) {
  auto terminated = std::make_shared<std::atomic<int>>(0);
  supervisor sup({strategy::one_for_one, 5, 5000ms},
                 {server_child<Counter>("counter", [terminated](child_context& ctx) {
                   Counter c;
                   c.terminated = terminated;
                   c.value = static_cast<int>(ctx.restarts()) * 100;
                   return c;
                 })},
                 quiet());
  ASSERT_TRUE(sup.start());
  auto ref = whereis_server<Counter>(sup, "counter");
  ASSERT_TRUE(ref);
  monitor mon(ref->process());
  auto r = ref->call({Req::crash});
  ASSERT_TRUE(r.is(errc::crashed));
  ASSERT_TRUE(r.error().exception);
  EXPECT_THROW(r.error().rethrow(), std::runtime_error);
  auto d = mon.wait_for(5000ms);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->reason.err.code, errc::crashed);
  EXPECT_EQ(terminated->load(), 1);
  // The old incarnation is gone for good.
  EXPECT_TRUE(ref->call({Req::get}).is(errc::no_process));
  EXPECT_TRUE(ref->cast(1).is(errc::no_process));
  // The supervisor restarted it.
  result<server_ref<Counter>> fresh = error(errc::no_process);
  for (int i = 0; i < 400; ++i) {
    fresh = whereis_server<Counter>(sup, "counter");
    if (fresh && fresh->alive()) break;
    std::this_thread::sleep_for(5ms);
  }
  ASSERT_TRUE(fresh);
  EXPECT_EQ(*fresh->call({Req::get}), 100);
}

TEST_F(ServerTest, QueuedCallsFailWithNoProcessWhenTheServerCrashes) {
  auto dl = std::make_shared<dead_letter_office>();
  server_options so;
  so.dead_letters = dl;
  auto s = server<Counter>::start([](child_context&) { return Counter{}; }, so, quiet());
  ASSERT_TRUE(s);
  auto ref = (*s)->ref();
  auto gate = std::make_shared<tether_test::flag>();
  auto entered = std::make_shared<tether_test::flag>();
  // std::jthread: if an ASSERT below returns early, the destructor joins
  // instead of calling std::terminate (tether: spawn-unjoined-thread).
  std::jthread blocker([&] { (void)ref.call({Req::block, 0, gate, entered}); });
  ASSERT_TRUE(entered->wait_for(5000ms));
  std::jthread crasher([&] { EXPECT_TRUE(ref.call({Req::crash}).is(errc::crashed)); });
  while (ref.mailbox_size() != 1) std::this_thread::yield();
  ASSERT_TRUE(ref.cast(3));
  std::thread queued([&] { EXPECT_TRUE(ref.call({Req::get}).is(errc::no_process)); });
  while (ref.mailbox_size() != 3) std::this_thread::yield();
  gate->set();
  blocker.join();
  crasher.join();
  queued.join();
  EXPECT_EQ(dl->count(dead_letter_reason::process_exited), 2u);  // the queued cast and call
}

TEST_F(ServerTest, RejectPolicyFailsFastAndSystemLaneIgnoresCapacity) {
  auto dl = std::make_shared<dead_letter_office>();
  server_options so;
  so.mailbox_capacity = 2;
  so.overflow = overflow_policy::reject;
  so.dead_letters = dl;
  auto s = server<Counter>::start([](child_context&) { return Counter{}; }, so, quiet());
  ASSERT_TRUE(s);
  auto ref = (*s)->ref();
  auto gate = std::make_shared<tether_test::flag>();
  auto entered = std::make_shared<tether_test::flag>();
  std::jthread blocker([&] { (void)ref.call({Req::block, 0, gate, entered}); });
  ASSERT_TRUE(entered->wait_for(5000ms));
  ASSERT_TRUE(ref.cast(1));
  ASSERT_TRUE(ref.cast(1));
  EXPECT_TRUE(ref.cast(1).is(errc::mailbox_full));
  EXPECT_TRUE(ref.call({Req::get}, 50ms).is(errc::mailbox_full));
  EXPECT_EQ(dl->count(dead_letter_reason::mailbox_full), 2u);
  // inspect travels on the system lane: served after the blocking call, before the queued casts
  std::thread inspector([&] {
    auto v = ref.inspect([](Counter& c) { return c.value; }, 5000ms);
    ASSERT_TRUE(v);
    EXPECT_EQ(*v, 0);
  });
  while (ref.system_queue_size() != 1) std::this_thread::yield();
  gate->set();
  inspector.join();
  blocker.join();
  while (ref.mailbox_size() != 0) std::this_thread::yield();  // capacity 2: wait for room
  auto final_value = ref.call({Req::get});
  ASSERT_TRUE(final_value);
  EXPECT_EQ(*final_value, 2);
}

TEST_F(ServerTest, BlockPolicyWaitsForSpaceUntilTimeout) {
  server_options so;
  so.mailbox_capacity = 1;
  so.overflow = overflow_policy::block;
  so.send_timeout = 20ms;
  auto s = server<Counter>::start([](child_context&) { return Counter{}; }, so, quiet());
  ASSERT_TRUE(s);
  auto ref = (*s)->ref();
  auto gate = std::make_shared<tether_test::flag>();
  auto entered = std::make_shared<tether_test::flag>();
  std::jthread blocker([&] { (void)ref.call({Req::block, 0, gate, entered}); });
  ASSERT_TRUE(entered->wait_for(5000ms));
  ASSERT_TRUE(ref.cast(1));
  EXPECT_TRUE(ref.cast(1).is(errc::timeout));  // blocked 20 ms, no space
  std::thread later([&] { EXPECT_TRUE(ref.call({Req::add, 1}, 5000ms)); });  // blocks until space
  gate->set();
  later.join();
  blocker.join();
  EXPECT_EQ(*ref.call({Req::get}), 2);
}

TEST_F(ServerTest, CastThatThrowsCrashesTheServer) {
  auto s = server<Counter>::start([](child_context&) { return Counter{}; }, {}, quiet());
  ASSERT_TRUE(s);
  auto ref = (*s)->ref();
  monitor mon(ref.process());
  ASSERT_TRUE(ref.cast(-1));
  auto d = mon.wait_for(5000ms);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->reason.kind, exit_kind::failure);
  EXPECT_TRUE(ref.call({Req::get}).is(errc::no_process));
}

TEST_F(ServerTest, InitFailureIsAStartFailure) {
  auto s = server<Counter>::start([](child_context&) -> Counter { throw std::runtime_error("no init"); }, {},
                                  quiet());
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, errc::start_failed);
}

TEST_F(ServerTest, EmptyRefReturnsNoProcess) {
  server_ref<Counter> none;
  EXPECT_TRUE(none.call({Req::get}).is(errc::no_process));
  EXPECT_TRUE(none.cast(1).is(errc::no_process));
}

TEST_F(ServerTest, CallsDuringRestartsUnderLoad) {
  const int iterations = tether_test::scaled(300);
  supervisor sup({strategy::one_for_one, 1000000, 1000ms},
                 {server_child<Counter>("c", [](child_context&) { return Counter{}; })}, quiet());
  ASSERT_TRUE(sup.start());
  std::atomic<int> ok_count{0}, crashed{0}, noproc{0}, other{0};
  auto client = [&](bool crasher) {
    for (int i = 0; i < iterations; ++i) {
      auto ref = whereis_server<Counter>(sup, "c");
      if (!ref) {
        ++noproc;
        continue;
      }
      auto r = ref->call(crasher && i % 3 == 0 ? Req{Req::crash} : Req{Req::add, 1}, 2000ms);
      if (r) ++ok_count;
      else if (r.is(errc::crashed)) ++crashed;
      else if (r.is(errc::no_process)) ++noproc;
      else ++other;
    }
  };
  std::thread a(client, true), b(client, false), c(client, false);
  a.join();
  b.join();
  c.join();
  EXPECT_EQ(other.load(), 0);
  EXPECT_GT(crashed.load(), 0);
  EXPECT_GT(ok_count.load(), 0);
  EXPECT_EQ(ok_count + crashed + noproc, 3 * iterations);
}

// ---- registry ------------------------------------------------------------------

class RegistryTest : public RuntimeTest {};

TEST_F(RegistryTest, NamesFollowRestartsAndDisappearOnExit) {
  auto reg = std::make_shared<registry>();
  auto dl = std::make_shared<dead_letter_office>();
  reg->set_dead_letters(dl);
  server_options so;
  so.registry = reg;
  so.name = "counter";
  {
    supervisor sup({strategy::one_for_one, 5, 5000ms},
                   {server_child<Counter>("c", [](child_context&) { return Counter{}; }, so)}, quiet());
    ASSERT_TRUE(sup.start());
    EXPECT_EQ(*reg->call<Counter>("counter", {Req::add, 2}), 2);
    EXPECT_TRUE(reg->cast<Counter>("counter", 1));
    EXPECT_TRUE(reg->call<Counter>("counter", {Req::crash}).is(errc::crashed));
    result<int> r = error(errc::no_process);
    for (int i = 0; i < 400 && !r; ++i) {
      r = reg->call<Counter>("counter", {Req::get});
      if (!r) std::this_thread::sleep_for(5ms);
    }
    ASSERT_TRUE(r);  // the restarted incarnation re-registered
    EXPECT_EQ(*r, 0);
    // a second registration of a live name fails
    auto p = reg->whereis("counter");
    ASSERT_TRUE(p);
    EXPECT_TRUE(reg->register_name("counter", *p).is(errc::already_started));
  }
  EXPECT_EQ(reg->size(), 0u);  // removed automatically when the server stopped
  EXPECT_TRUE(reg->call<Counter>("counter", {Req::get}).is(errc::no_process));
  EXPECT_TRUE(reg->call<Counter>("nobody", {Req::get}).is(errc::no_process));
  EXPECT_GE(dl->count(dead_letter_reason::no_process), 2u);
  EXPECT_TRUE(reg->unregister("nobody").is(errc::not_found));
}

TEST_F(RegistryTest, WrongTypeIsBadType) {
  struct Other {
    using call_type = int;
    using reply_type = int;
    int handle_call(int x) { return x; }
  };
  auto reg = std::make_shared<registry>();
  server_options so;
  so.registry = reg;
  so.name = "other";
  auto s = server<Other>::start([](child_context&) { return Other{}; }, so, quiet());
  ASSERT_TRUE(s);
  EXPECT_EQ(*reg->call<Other>("other", 4), 4);
  EXPECT_TRUE(reg->call<Counter>("other", {Req::get}).is(errc::bad_type));
}

// ---- monitors -------------------------------------------------------------------

class MonitorTest : public RuntimeTest {};

TEST_F(MonitorTest, DownCarriesTheReasonAndDemonitorCancels) {
  auto s = server<Counter>::start([](child_context&) { return Counter{}; }, {}, quiet());
  ASSERT_TRUE(s);
  auto ref = (*s)->ref();
  std::atomic<int> callbacks{0};
  monitor cancelled(ref.process(), [&](const down&) { ++callbacks; });
  cancelled.demonitor();
  monitor m(ref.process());
  EXPECT_FALSE(m.poll());
  (*s)->stop();
  auto d = m.wait_for(5000ms);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->reason.kind, exit_kind::shutdown);
  EXPECT_EQ(d->pid, ref.process().pid());
  EXPECT_EQ(callbacks.load(), 0);
  // monitoring an exited process yields its down at once
  monitor late(ref.process());
  ASSERT_TRUE(late.poll());
  EXPECT_EQ(late.poll()->reason.kind, exit_kind::shutdown);
  monitor empty{process_ref{}};
  ASSERT_TRUE(empty.poll());
  EXPECT_EQ(empty.poll()->reason.err.code, errc::no_process);
}

TEST_F(MonitorTest, LinkErrors) {
  auto s = server<Counter>::start([](child_context&) { return Counter{}; }, {}, quiet());
  ASSERT_TRUE(s);
  auto p = (*s)->ref().process();
  EXPECT_TRUE(link(p, p).is(errc::invalid_argument));
  EXPECT_TRUE(link(p, process_ref{}).is(errc::no_process));
}

// ---- issue 12: contract regressions ------------------------------------------

TEST_F(ServerTest, CallWithInfinityWaitsForTheReply) {
  auto s = server<Counter>::start([](child_context&) { return Counter{}; }, {}, quiet());
  ASSERT_TRUE(s);
  auto ref = (*s)->ref();
  // Before the fix now() + milliseconds::max() overflowed (UB) and the call
  // returned timeout at once.
  auto r = ref.call({Req::slow, 30}, tether::infinity);
  ASSERT_TRUE(r) << r.error().describe();
  auto big = ref.call({Req::add, 2}, std::chrono::milliseconds::max() - 1ms);
  ASSERT_TRUE(big) << big.error().describe();
  EXPECT_EQ(*big, 2);
  // Deadline overloads: none, and one in the past (a reply is not awaited).
  auto forever = ref.call({Req::add, 1}, std::chrono::steady_clock::time_point::max());
  ASSERT_TRUE(forever);
  EXPECT_EQ(*forever, 3);
  auto gate = std::make_shared<tether_test::flag>();
  EXPECT_TRUE(ref.call({Req::block, 0, gate}, std::chrono::steady_clock::now() - 1s).is(errc::timeout));
  gate->set();
  auto st = ref.inspect([](Counter& c) { return c.value; }, tether::infinity);
  ASSERT_TRUE(st);
  // A monitor and a process wait with infinity do not overflow either.
  monitor m(ref.process());
  EXPECT_FALSE(m.wait_for(0ms));
  (*s)->stop();
  EXPECT_TRUE(ref.process().wait_exited_for(tether::infinity));
  EXPECT_TRUE(m.wait_for(tether::infinity));
}

TEST_F(RegistryTest, StragglerReleasesItsNameSoOneForAllRestartSucceeds) {
  // Before the fix the abandoned incarnation kept "srv": the restarted one
  // failed with already_started at once, three times, and the supervisor
  // escalated.
  auto reg = std::make_shared<registry>();
  server_options so;
  so.registry = reg;
  so.name = "srv";
  auto crash = std::make_shared<tether_test::flag>();
  auto restarted = std::make_shared<tether_test::flag>();
  std::atomic<int> start_failures{0};
  supervisor_options o = quiet("ofa");
  o.on_report = [&](const supervisor_report& r) {
    if (r.kind == report_kind::start_failed) ++start_failures;
    if (r.kind == report_kind::child_restarted && r.child == "w") restarted->set();
  };
  supervisor sup({strategy::one_for_all, 3, 5000ms},
                 {server_child<Counter>("s", [](child_context&) { return Counter{}; }, so,
                                        restart_type::permanent, shutdown_policy(30ms)),
                  worker("w",
                         [crash](child_context& ctx) -> result<void> {
                           while (!ctx.stop_requested()) {
                             if (ctx.restarts() == 0 && crash->is_set()) throw std::runtime_error("w crashed");
                             std::this_thread::sleep_for(1ms);
                           }
                           return ok();
                         })},
                 o);
  ASSERT_TRUE(sup.start());
  auto old = reg->whereis("srv");
  ASSERT_TRUE(old);
  auto gate = std::make_shared<tether_test::flag>();
  auto entered = std::make_shared<tether_test::flag>();
  std::jthread blocker([&] { (void)reg->call<Counter>("srv", {Req::block, 0, gate, entered}, 10000ms); });
  ASSERT_TRUE(entered->wait_for(5000ms));
  crash->set();  // w crashes; one_for_all stops s, which is busy in handle_call
  ASSERT_TRUE(restarted->wait_for(5000ms));
  EXPECT_TRUE(sup.running());
  EXPECT_EQ(start_failures.load(), 0);
  auto fresh = reg->whereis("srv");
  ASSERT_TRUE(fresh);
  EXPECT_NE(fresh->pid(), old->pid());
  EXPECT_TRUE(old->alive());  // still a straggler, but no longer holds the name
  EXPECT_EQ(*reg->call<Counter>("srv", {Req::add, 4}), 4);
  gate->set();
  blocker.join();
  ASSERT_TRUE(old->wait_exited_for(5000ms));
  // The straggler's exit does not remove the new incarnation's name.
  auto still = reg->whereis("srv");
  ASSERT_TRUE(still);
  EXPECT_EQ(still->pid(), fresh->pid());
}

TEST_F(ServerTest, CallsQueuedWhenTheServerIsStoppedGetShutdown) {
  // Before the fix they got no_process and the dead letter was
  // process_exited; errc::shutdown and dead letter shutdown were never
  // produced.
  auto dl = std::make_shared<dead_letter_office>();
  server_options so;
  so.dead_letters = dl;
  auto s = server<Counter>::start([](child_context&) { return Counter{}; }, so, quiet());
  ASSERT_TRUE(s);
  auto ref = (*s)->ref();
  auto gate = std::make_shared<tether_test::flag>();
  auto entered = std::make_shared<tether_test::flag>();
  std::jthread blocker([&] { EXPECT_TRUE(ref.call({Req::block, 0, gate, entered})); });
  ASSERT_TRUE(entered->wait_for(5000ms));
  result<int> queued = error(errc::invalid_argument);
  std::jthread caller([&] { queued = ref.call({Req::get}, 10000ms); });
  while (ref.mailbox_size() != 1) std::this_thread::yield();
  ASSERT_TRUE(ref.cast(1));
  std::jthread stopper([&] { (*s)->stop(); });  // blocks until the server exited
  while (!ref.process().stop_requested()) std::this_thread::yield();
  gate->set();  // the handler returns; the server sees the stop and drains
  stopper.join();
  caller.join();
  ASSERT_TRUE(queued.is(errc::shutdown)) << (queued ? "value" : queued.error().describe());
  EXPECT_NE(queued.error().message.find("stopped"), std::string::npos);
  EXPECT_EQ(dl->count(dead_letter_reason::shutdown), 2u);  // the queued call and cast
  EXPECT_EQ(dl->count(dead_letter_reason::process_exited), 0u);
  EXPECT_TRUE(ref.call({Req::get}).is(errc::no_process));  // afterwards: not running
}

TEST_F(MonitorTest, EmptyAndCancelledMonitorsHaveADefinedOutcome) {
  // Before the fix wait() on a default-constructed monitor dereferenced a
  // null slot, and wait() on a cancelled one blocked forever.
  monitor none;
  EXPECT_EQ(none.wait().reason.err.code, errc::no_process);
  EXPECT_EQ(none.wait().pid, 0u);
  ASSERT_TRUE(none.wait_for(tether::infinity));
  EXPECT_EQ(none.poll()->reason.err.code, errc::no_process);
  none.demonitor();  // no-op

  auto s = server<Counter>::start([](child_context&) { return Counter{}; }, {}, quiet());
  ASSERT_TRUE(s);
  auto ref = (*s)->ref();
  monitor a(ref.process());
  monitor b(std::move(a));
  EXPECT_EQ(a.wait().reason.err.code, errc::no_process);  // NOLINT(bugprone-use-after-move): defined
  EXPECT_FALSE(b.poll());
  b.demonitor();
  EXPECT_EQ(b.wait().reason.err.code, errc::no_process);
  EXPECT_EQ(b.wait_for(tether::infinity)->reason.err.code, errc::no_process);
  EXPECT_TRUE(ref.alive());
  // A down that arrived before demonitor() is kept.
  monitor c(ref.process());
  (*s)->stop();
  ASSERT_TRUE(c.wait_for(5000ms));
  c.demonitor();
  EXPECT_EQ(c.wait().reason.kind, exit_kind::shutdown);
  EXPECT_EQ(c.wait().pid, ref.process().pid());
}

// ---- deferred replies (gen_server:reply) ---------------------------------------

namespace {
struct Parking {
  enum kind { park, release, drop, get };
  using call_type = std::pair<kind, int>;
  using reply_type = int;
  std::vector<reply_handle<int>> parked;
  std::shared_ptr<std::vector<reply_handle<int>>> exported;  // handed to another thread

  std::optional<int> handle_call(call_type req, reply_handle<int> from) {
    switch (req.first) {
      case park: parked.push_back(from); return std::nullopt;   // no reply yet
      case drop: return std::nullopt;                            // handle dropped: no_process
      case get: return static_cast<int>(parked.size());
      case release: {
        int n = 0;
        for (auto& h : parked) n += h.reply(req.second) ? 1 : 0;
        parked.clear();
        return n;  // replies to the releasing caller at once
      }
    }
    return std::nullopt;
  }
};
}  // namespace

TEST_F(ServerTest, DeferredRepliesAreDeliveredLaterFromAnyThread) {
  auto dl = std::make_shared<dead_letter_office>();
  server_options so;
  so.dead_letters = dl;
  auto s = server<Parking>::start([](child_context&) { return Parking{}; }, so, quiet());
  ASSERT_TRUE(s);
  auto ref = (*s)->ref();
  result<int> a = error(errc::invalid_argument), b = error(errc::invalid_argument);
  std::jthread ta([&] { a = ref.call({Parking::park, 0}, 10000ms); });
  std::jthread tb([&] { b = ref.call({Parking::park, 0}, 10000ms); });
  while (*ref.call({Parking::get, 0}) != 2) std::this_thread::yield();
  EXPECT_EQ(*ref.call({Parking::release, 42}), 2);  // both parked callers got their reply
  ta.join();
  tb.join();
  ASSERT_TRUE(a);
  EXPECT_EQ(*a, 42);
  ASSERT_TRUE(b);
  EXPECT_EQ(*b, 42);
  // A dropped handle fails the caller at once instead of leaving it to time out.
  auto dropped = ref.call({Parking::drop, 0}, 10000ms);
  EXPECT_TRUE(dropped.is(errc::no_process));
  // A reply after the caller's timeout is a late reply.
  EXPECT_TRUE(ref.call({Parking::park, 0}, 20ms).is(errc::timeout));
  EXPECT_EQ(*ref.call({Parking::release, 1}), 0);
  EXPECT_EQ(ref.late_replies(), 1u);
  EXPECT_EQ(dl->count(dead_letter_reason::late_reply), 1u);
  // Reply from another thread, after the handler returned.
  auto inspect = ref.inspect([](Parking& p) { return p.parked.size(); });
  ASSERT_TRUE(inspect);
  result<int> c = error(errc::invalid_argument);
  std::jthread tc([&] { c = ref.call({Parking::park, 0}, 10000ms); });
  while (*ref.call({Parking::get, 0}) != 1) std::this_thread::yield();
  auto handle = ref.inspect([](Parking& p) {
    auto h = p.parked.back();
    p.parked.clear();
    return h;
  });
  ASSERT_TRUE(handle);
  EXPECT_TRUE(handle->pending());
  std::jthread replier([h = *handle] { EXPECT_TRUE(h.reply(7)); });
  replier.join();
  tc.join();
  ASSERT_TRUE(c);
  EXPECT_EQ(*c, 7);
  EXPECT_FALSE(handle->reply(8));  // the first reply wins
  EXPECT_FALSE(handle->pending());
}

TEST_F(ServerTest, DeferredCallsFailWithShutdownWhenTheServerIsStopped) {
  auto s = server<Parking>::start([](child_context&) { return Parking{}; }, {}, quiet());
  ASSERT_TRUE(s);
  auto ref = (*s)->ref();
  result<int> a = error(errc::invalid_argument);
  std::jthread ta([&] { a = ref.call({Parking::park, 0}, 10000ms); });
  while (*ref.call({Parking::get, 0}) != 1) std::this_thread::yield();
  (*s)->stop();
  ta.join();
  EXPECT_TRUE(a.is(errc::shutdown)) << (a ? "value" : a.error().describe());
}
