// Continues asked for by handlers (OTP's {reply, R, S, {continue, A}} and
// {noreply, S, {continue, A}}): handle_call, handle_cast, handle_info and
// handle_continue itself return with_continue(...); the continue runs
// before any other message, after a call's reply was delivered; a throwing
// handle_continue crashes the server; a stop request drops a continue chain.
// (The continue asked for by init is tested in server_info_test.cpp.)
#include <atomic>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "tether/tether.hpp"
#include "test_support.hpp"

using namespace std::chrono_literals;
using namespace tether;
using tether_test::RuntimeTest;

namespace {

supervisor_options quiet() {
  supervisor_options o;
  o.name = "cont";
  o.on_report = [](const supervisor_report&) {};
  return o;
}

using tether_test::event_log;

struct Steps {  // a chain: handle_continue(Steps{n}) continues with Steps{n-1} until 0
  int left;
};
struct Forever {};  // a chain that never ends by itself
struct Boom {};     // handle_continue throws
struct Query {      // answered by a deferred reply
  using reply_type = std::string;
  std::string q;
};

/// Handlers that ask for continues; "block" parks the server on a gate so
/// the test can queue messages behind it deterministically.
struct Flow {
  using call_types = std::tuple<int, Query>;
  using cast_type = std::string;
  using info_type = std::string;
  std::shared_ptr<event_log> log;
  std::shared_ptr<tether_test::flag> gate;
  std::shared_ptr<tether_test::flag> replied;  // set by the caller once its call returned
  std::vector<reply_handle<std::string>> waiting;

  // Reply now, then continue: the continue can see the caller's reply.
  with_continue_t<int, std::string> handle_call(int x) {
    log->add("call:" + std::to_string(x));
    return with_continue(x * 2, std::string("after-call"));
  }
  // Deferred: no reply yet, continue; the continue replies.
  with_continue_t<std::optional<std::string>, Steps> handle_call(Query req, reply_handle<std::string> from) {
    log->add("deferred:" + req.q);
    waiting.push_back(from);
    return with_continue(std::optional<std::string>{}, Steps{0});
  }
  // A continue only for some casts (std::optional arg).
  with_continue_t<void, std::optional<std::string>> handle_cast(std::string m) {
    if (m == "block") {
      log->add("blocked");
      gate->wait_for(10s);
      return with_continue(std::optional<std::string>{});
    }
    log->add("cast:" + m);
    if (m == "plain") return with_continue(std::optional<std::string>{});
    return with_continue(std::optional<std::string>("after-" + m));
  }
  auto handle_info(std::string m) {
    log->add("info:" + m);
    return with_continue(std::string("after-info"));
  }
  void handle_continue(std::string c) {
    if (c == "after-call") {
      // The reply went out before the continue runs: the caller can confirm.
      log->add(replied && replied->wait_for(10s) ? "continue:after-call(replied)" : "continue:after-call(no reply)");
      return;
    }
    log->add("continue:" + c);
  }
  with_continue_t<void, std::optional<Steps>> handle_continue(Steps s) {
    log->add("steps:" + std::to_string(s.left));
    for (auto& w : waiting) w.reply("answered-in-continue");
    waiting.clear();
    if (s.left == 0) return with_continue(std::optional<Steps>{});
    return with_continue(std::optional<Steps>(Steps{s.left - 1}));
  }
};

}  // namespace

class ServerContinueTest : public RuntimeTest {};

TEST_F(ServerContinueTest, ACallsContinueRunsAfterItsReplyAndBeforeTheNextMessage) {
  auto log = std::make_shared<event_log>();
  auto gate = std::make_shared<tether_test::flag>();
  auto replied = std::make_shared<tether_test::flag>();
  auto s = server<Flow>::start([=](child_context&) { return Flow{log, gate, replied, {}}; }, {}, quiet());
  ASSERT_TRUE(s) << s.error().describe();
  auto ref = (*s)->ref();
  ASSERT_TRUE(ref.cast("block"));
  ASSERT_TRUE(log->until(1));  // the server is parked: what follows queues behind it
  std::optional<result<int>> got;
  std::thread caller([&] {
    got = ref.call(21, 10s);
    replied->set();
  });
  for (int i = 0; i < 5000 && ref.mailbox_size() < 1; ++i) std::this_thread::sleep_for(1ms);
  EXPECT_EQ(ref.mailbox_size(), 1u);  // the call is queued
  EXPECT_TRUE(ref.cast("next"));  // (no ASSERT while the caller thread runs)
  gate->set();
  caller.join();
  ASSERT_TRUE(got && *got);
  EXPECT_EQ(**got, 42);
  ASSERT_TRUE(log->until(5));
  EXPECT_EQ(log->get(), (std::vector<std::string>{"blocked", "call:21", "continue:after-call(replied)", "cast:next",
                                                  "continue:after-next"}));
}

TEST_F(ServerContinueTest, CastAndInfoContinuesRunBeforeMessagesQueuedEarlier) {
  auto log = std::make_shared<event_log>();
  auto gate = std::make_shared<tether_test::flag>();
  auto s = server<Flow>::start([=](child_context&) { return Flow{log, gate, nullptr, {}}; }, {}, quiet());
  ASSERT_TRUE(s) << s.error().describe();
  auto ref = (*s)->ref();
  ASSERT_TRUE(ref.cast("block"));
  ASSERT_TRUE(log->until(1));
  // All queued while the server is parked: each continue must still come
  // right after its own handler, ahead of the messages already waiting.
  ASSERT_TRUE(ref.cast("a"));
  ASSERT_TRUE(ref.send("i"));
  ASSERT_TRUE(ref.cast("plain"));  // no continue
  ASSERT_TRUE(ref.cast("b"));
  gate->set();
  ASSERT_TRUE(log->until(8));
  EXPECT_EQ(log->get(), (std::vector<std::string>{"blocked", "cast:a", "continue:after-a", "info:i",
                                                  "continue:after-info", "cast:plain", "cast:b",
                                                  "continue:after-b"}));
  // inspect (the system lane) is served after the continue too
  EXPECT_EQ(*ref.inspect([](Flow& f) { return f.log->get().size(); }), 8u);
}

TEST_F(ServerContinueTest, AContinueCanAskForAnotherContinueBeforeAnyMessage) {
  auto log = std::make_shared<event_log>();
  auto gate = std::make_shared<tether_test::flag>();
  auto s = server<Flow>::start([=](child_context&) { return Flow{log, gate, nullptr, {}}; }, {}, quiet());
  ASSERT_TRUE(s) << s.error().describe();
  auto ref = (*s)->ref();
  ASSERT_TRUE(ref.cast("block"));
  ASSERT_TRUE(log->until(1));
  std::optional<result<std::string>> got;
  std::thread caller([&] { got = ref.call(Query{"q"}, 10s); });
  for (int i = 0; i < 5000 && ref.mailbox_size() < 1; ++i) std::this_thread::sleep_for(1ms);
  EXPECT_EQ(ref.mailbox_size(), 1u);
  EXPECT_TRUE(ref.cast("next"));
  gate->set();
  caller.join();
  ASSERT_TRUE(got && *got) << (got ? got->error().describe() : "");
  EXPECT_EQ(**got, "answered-in-continue");  // the deferred reply came from the continue
  ASSERT_TRUE(log->until(5));
  EXPECT_EQ(log->get(), (std::vector<std::string>{"blocked", "deferred:q", "steps:0", "cast:next",
                                                  "continue:after-next"}));
}

TEST_F(ServerContinueTest, AChainOfContinuesRunsToItsEndBeforeTheNextMessage) {
  struct Chain {
    using call_type = int;
    using reply_type = int;
    using cast_type = int;
    std::shared_ptr<event_log> log;
    int handle_call(int) { return static_cast<int>(log->get().size()); }
    with_continue_t<void, Steps> handle_cast(int n) {
      log->add("cast:" + std::to_string(n));
      return with_continue(Steps{n});
    }
    with_continue_t<void, std::optional<Steps>> handle_continue(Steps s) {
      log->add("steps:" + std::to_string(s.left));
      return with_continue(s.left == 0 ? std::optional<Steps>{} : std::optional<Steps>(Steps{s.left - 1}));
    }
  };
  auto log = std::make_shared<event_log>();
  auto s = server<Chain>::start([=](child_context&) { return Chain{log}; }, {}, quiet());
  ASSERT_TRUE(s) << s.error().describe();
  auto ref = (*s)->ref();
  ASSERT_TRUE(ref.cast(3));
  ASSERT_TRUE(ref.cast(1));
  EXPECT_EQ(*ref.call(0), 8);  // both chains ran completely before the call
  EXPECT_EQ(log->get(), (std::vector<std::string>{"cast:3", "steps:3", "steps:2", "steps:1", "steps:0", "cast:1",
                                                  "steps:1", "steps:0"}));
}

TEST_F(ServerContinueTest, AThrowingContinueCrashesTheServerLikeAnyHandler) {
  struct Crashy {
    using call_type = int;
    using reply_type = int;
    using cast_type = int;
    std::shared_ptr<tether_test::flag> entered;
    std::shared_ptr<tether_test::flag> gate;
    int handle_call(int x) { return x; }
    with_continue_t<void, Boom> handle_cast(int) {
      entered->set();
      gate->wait_for(10s);
      return with_continue(Boom{});
    }
    void handle_continue(Boom) { throw std::runtime_error("continue failed"); }
  };
  auto entered = std::make_shared<tether_test::flag>();
  auto gate = std::make_shared<tether_test::flag>();
  auto dl = std::make_shared<dead_letter_office>();
  supervisor_options so = quiet();
  so.dead_letters = dl;
  auto s = server<Crashy>::start([=](child_context&) { return Crashy{entered, gate}; }, {}, so);
  ASSERT_TRUE(s) << s.error().describe();
  auto ref = (*s)->ref();
  auto p = ref.process();
  ASSERT_TRUE(ref.cast(1));
  ASSERT_TRUE(entered->wait_for(10s));  // the server is in handle_cast: the call queues behind it
  std::optional<result<int>> got;
  std::thread caller([&] { got = ref.call(7, 10s); });
  for (int i = 0; i < 5000 && ref.mailbox_size() < 1; ++i) std::this_thread::sleep_for(1ms);
  const auto queued = ref.mailbox_size();
  gate->set();
  caller.join();
  ASSERT_EQ(queued, 1u);  // the call waited behind the cast
  ASSERT_TRUE(p.wait_exited_for(10s));
  ASSERT_TRUE(p.exit());
  EXPECT_EQ(p.exit()->kind, exit_kind::failure);
  EXPECT_EQ(p.exit()->err.code, errc::crashed);
  EXPECT_NE(p.exit()->err.message.find("handle_continue threw"), std::string::npos) << p.exit()->err.message;
  ASSERT_TRUE(got);
  ASSERT_FALSE(*got);  // the crash came before the queued call was handled
  EXPECT_EQ(got->error().code, errc::no_process);
  EXPECT_EQ(dl->count(dead_letter_reason::process_exited), 1u);
}

TEST_F(ServerContinueTest, AStopRequestEndsAnEndlessChainOfContinues) {
  struct Spinner {
    using call_type = int;
    using reply_type = int;
    using cast_type = int;
    std::shared_ptr<std::atomic<long>> spins;
    std::shared_ptr<std::atomic<bool>> terminated;
    int handle_call(int x) { return x; }
    with_continue_t<void, Forever> handle_cast(int) { return with_continue(Forever{}); }
    with_continue_t<void, Forever> handle_continue(Forever) {
      spins->fetch_add(1);
      return with_continue(Forever{});
    }
    void terminate(const exit_reason&) { terminated->store(true); }
  };
  auto spins = std::make_shared<std::atomic<long>>(0);
  auto terminated = std::make_shared<std::atomic<bool>>(false);
  auto s = server<Spinner>::start([=](child_context&) { return Spinner{spins, terminated}; }, {}, quiet());
  ASSERT_TRUE(s) << s.error().describe();
  auto ref = (*s)->ref();
  auto p = ref.process();
  ASSERT_TRUE(ref.cast(1));
  for (int i = 0; i < 5000 && spins->load() < 100; ++i) std::this_thread::sleep_for(1ms);
  ASSERT_GE(spins->load(), 100);
  // A call cannot get in (the chain runs before any message) ...
  EXPECT_TRUE(ref.call(1, 50ms).is(errc::timeout));
  (*s)->stop();  // ... but a stop request ends the chain
  ASSERT_TRUE(p.wait_exited_for(10s));
  EXPECT_EQ(p.exit()->kind, exit_kind::shutdown);
  EXPECT_TRUE(terminated->load());
}

TEST_F(ServerContinueTest, AFactoryMayReturnAUniquePtrWithAContinue) {
  struct Warm {
    using call_type = int;
    using reply_type = int;
    int warmed = 0;
    int handle_call(int) { return warmed; }
    with_continue_t<void, std::optional<Steps>> handle_continue(Steps s) {
      ++warmed;
      return with_continue(s.left == 0 ? std::optional<Steps>{} : std::optional<Steps>(Steps{s.left - 1}));
    }
  };
  auto s = server<Warm>::start([](child_context&) { return with_continue(std::make_unique<Warm>(), Steps{2}); }, {},
                               quiet());
  ASSERT_TRUE(s) << s.error().describe();
  EXPECT_EQ(*(*s)->ref().call(0), 3);  // the init continue and its chain ran before the call
}
