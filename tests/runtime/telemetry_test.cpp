// Telemetry and dead-letter suite.
#include <atomic>
#include <stdexcept>

#include "tether/tether.hpp"
#include "test_support.hpp"

using namespace std::chrono_literals;
using namespace tether;
using tether_test::RuntimeTest;

class TelemetryTest : public RuntimeTest {};

TEST_F(TelemetryTest, HandlersObserveEventsByPrefix) {
  telemetry_bus bus;
  std::vector<std::string> seen;  // touched only on the dispatcher thread until flush()
  ASSERT_TRUE(bus.attach("h", "app.", [&](const telemetry_event& e) { seen.push_back(e.name); }));
  EXPECT_TRUE(bus.attach("h", "", [](const telemetry_event&) {}).is(errc::already_started));
  EXPECT_TRUE(bus.attach("x", "", nullptr).is(errc::invalid_argument));
  bus.emit("app.start", {{"n", 1}}, {{"k", "v"}});
  bus.emit("other.thing");
  bus.emit("app.stop");
  bus.flush();
  EXPECT_EQ(seen, (std::vector<std::string>{"app.start", "app.stop"}));
  ASSERT_TRUE(bus.detach("h"));
  EXPECT_TRUE(bus.detach("h").is(errc::not_found));
}

TEST_F(TelemetryTest, HandlerExceptionsAreContainedReportedAndDetach) {
  std::atomic<int> failures{0};
  telemetry_options o;
  o.on_handler_failure = [&](const telemetry_handler_failure& f) {
    EXPECT_EQ(f.handler_id, "bad");
    EXPECT_EQ(f.what, "handler bug");
    ++failures;
  };
  telemetry_bus bus(o);
  std::atomic<int> good{0};
  ASSERT_TRUE(bus.attach("bad", "", [](const telemetry_event&) { throw std::runtime_error("handler bug"); }));
  ASSERT_TRUE(bus.attach("good", "", [&](const telemetry_event&) { ++good; }));
  EXPECT_TRUE(bus.emit("e1"));
  EXPECT_TRUE(bus.emit("e2"));
  bus.flush();
  EXPECT_EQ(failures.load(), 1);  // detached after its first failure
  EXPECT_EQ(bus.handler_failures(), 1u);
  EXPECT_EQ(good.load(), 2);
}

TEST_F(TelemetryTest, EmitNeverWaitsOnHandlersAndCountsOverflow) {
  auto dl = std::make_shared<dead_letter_office>();
  telemetry_options o;
  o.capacity = 4;
  o.dead_letters = dl;
  telemetry_bus bus(o);
  tether_test::flag release, entered;
  ASSERT_TRUE(bus.attach("slow", "", [&](const telemetry_event&) {
    entered.set();
    release.wait_for(5000ms);
  }));
  ASSERT_TRUE(bus.emit("first"));
  ASSERT_TRUE(entered.wait_for(5000ms));  // the handler is now blocked
  auto t0 = std::chrono::steady_clock::now();
  int accepted = 0;
  for (int i = 0; i < 10; ++i) accepted += bus.emit("e") ? 1 : 0;
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 1000ms);  // never waited on the handler
  EXPECT_EQ(accepted, 4);
  EXPECT_EQ(bus.dropped(), 6u);
  EXPECT_EQ(dl->count(dead_letter_reason::telemetry_overflow), 6u);
  release.set();
  bus.flush();
}

TEST_F(TelemetryTest, SupervisorsEmitRestartEvents) {
  auto bus = std::make_shared<telemetry_bus>();
  std::atomic<int> restarts{0};
  ASSERT_TRUE(bus->attach("r", "tether.supervisor.child_restarted", [&](const telemetry_event&) { ++restarts; }));
  supervisor_options o;
  o.telemetry = bus;
  o.on_report = [](const supervisor_report&) {};
  tether_test::flag twice;
  std::atomic<int> starts{0};
  {
    supervisor sup({strategy::one_for_one, 5, 5000ms}, {worker("w", [&](std::stop_token st) {
                     if (++starts == 1) throw std::runtime_error("once");
                     twice.set();
                     std::mutex m;
                     std::condition_variable_any cv;
                     std::unique_lock lk(m);
                     cv.wait(lk, st, [] { return false; });
                   })},
                   o);
    ASSERT_TRUE(sup.start());
    ASSERT_TRUE(twice.wait_for(5000ms));
  }
  bus->flush();
  EXPECT_EQ(restarts.load(), 1);
}

class DeadLetterTest : public RuntimeTest {};

TEST_F(DeadLetterTest, CountsByReasonKeepsHistoryAndContainsHandlerErrors) {
  dead_letter_office office(2);
  office.set_handler([](const dead_letter&) { throw std::runtime_error("bad handler"); });
  office.record(dead_letter_reason::no_process, "a", "call");
  office.record(dead_letter_reason::mailbox_full, "b", "cast");
  office.record(dead_letter_reason::mailbox_full, "c", "cast");
  EXPECT_EQ(office.count(dead_letter_reason::no_process), 1u);
  EXPECT_EQ(office.count(dead_letter_reason::mailbox_full), 2u);
  EXPECT_EQ(office.total(), 3u);
  EXPECT_EQ(office.handler_failures(), 3u);
  auto recent = office.recent();
  ASSERT_EQ(recent.size(), 2u);
  EXPECT_EQ(recent[0].target, "b");
  EXPECT_EQ(to_string(recent[1].reason), "mailbox_full");
}
