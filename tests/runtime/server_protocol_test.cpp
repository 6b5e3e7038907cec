// Typed protocols: several request and cast types per server, selected by
// type (overloaded handle_call / handle_cast), with a reply type per
// request; deferred replies per request type; the single-type API keeps
// working. The compile-time rejection of an unhandled request type is
// checked by the ctest entry runtime.typed_protocol_rejects_unknown_request
// (protocol_reject.cpp).
#include <map>
#include <string>

#include "tether/tether.hpp"
#include "test_support.hpp"

using namespace std::chrono_literals;
using namespace tether;
using tether_test::RuntimeTest;

namespace {

supervisor_options quiet() {
  supervisor_options o;
  o.name = "proto";
  o.on_report = [](const supervisor_report&) {};
  return o;
}

// Requests name their reply type; or handle_call's return type is used.
struct Put {
  using reply_type = bool;  // true if the key was new
  std::string key;
  int value;
};
struct Get {
  using reply_type = std::optional<int>;
  std::string key;
};
struct Size {};  // reply deduced from handle_call(Size): std::size_t
struct Fetch {   // deferred: answered by a later Release cast
  using reply_type = std::string;
};
struct Erase {
  std::string key;
};
struct Release {
  std::string answer;
};

struct Store {
  using call_types = std::tuple<Put, Get, Size, Fetch>;
  using cast_types = std::tuple<Erase, Release>;
  std::map<std::string, int> kv;
  std::vector<reply_handle<std::string>> waiting;

  bool handle_call(Put p) { return kv.insert_or_assign(p.key, p.value).second; }
  std::optional<int> handle_call(const Get& g) {
    auto it = kv.find(g.key);
    return it == kv.end() ? std::nullopt : std::optional<int>(it->second);
  }
  std::size_t handle_call(Size) { return kv.size(); }
  std::optional<std::string> handle_call(Fetch, reply_handle<std::string> from) {
    waiting.push_back(from);
    return std::nullopt;
  }
  void handle_cast(const Erase& e) { kv.erase(e.key); }
  void handle_cast(Release r) {
    for (auto& w : waiting) w.reply(r.answer);
    waiting.clear();
  }
};

}  // namespace

static_assert(std::is_same_v<server_ref<Store>::reply_of<Put>, bool>);
static_assert(std::is_same_v<server_ref<Store>::reply_of<Get>, std::optional<int>>);
static_assert(std::is_same_v<server_ref<Store>::reply_of<Size>, std::size_t>);
static_assert(std::is_same_v<decltype(std::declval<server_ref<Store>&>().call(Get{"k"})), result<std::optional<int>>>);

class ServerProtocolTest : public RuntimeTest {};

TEST_F(ServerProtocolTest, EachRequestTypeReachesItsOwnHandlerWithItsOwnReplyType) {
  auto s = server<Store>::start([](child_context&) { return Store{}; }, {}, quiet());
  ASSERT_TRUE(s);
  auto ref = (*s)->ref();
  result<bool> fresh = ref.call(Put{"a", 1});
  ASSERT_TRUE(fresh);
  EXPECT_TRUE(*fresh);
  EXPECT_FALSE(*ref.call(Put{"a", 2}));
  EXPECT_EQ(*ref.call(Put{"b", 3}, tether::infinity), true);
  result<std::optional<int>> got = ref.call(Get{"a"});
  ASSERT_TRUE(got);
  EXPECT_EQ(*got, std::optional<int>(2));
  EXPECT_EQ(*ref.call(Get{"zz"}), std::nullopt);
  EXPECT_EQ(*ref.call(Size{}), 2u);
  ASSERT_TRUE(ref.cast(Erase{"a"}));
  EXPECT_EQ(*ref.call(Size{}, std::chrono::steady_clock::now() + 10s), 1u);  // FIFO across types
}

TEST_F(ServerProtocolTest, DeferredReplyPerRequestType) {
  auto s = server<Store>::start([](child_context&) { return Store{}; }, {}, quiet());
  ASSERT_TRUE(s);
  auto ref = (*s)->ref();
  std::optional<result<std::string>> got;
  std::thread caller([&] { got = ref.call(Fetch{}, 10s); });
  // The server keeps serving other request types while Fetch waits.
  for (int i = 0; i < 1000 && ref.inspect([](Store& st) { return st.waiting.size(); }).value_or(0) == 0; ++i)
    std::this_thread::sleep_for(1ms);
  EXPECT_EQ(*ref.call(Size{}), 0u);
  ASSERT_TRUE(ref.cast(Release{"released"}));
  caller.join();
  ASSERT_TRUE(got && *got);
  EXPECT_EQ(**got, "released");
}

TEST_F(ServerProtocolTest, QueuedRequestsOfEveryTypeGetShutdownWhenTheServerStops) {
  auto s = server<Store>::start([](child_context&) { return Store{}; }, {}, quiet());
  ASSERT_TRUE(s);
  auto ref = (*s)->ref();
  std::optional<result<std::string>> got;
  std::thread caller([&] { got = ref.call(Fetch{}, 10s); });
  for (int i = 0; i < 1000 && ref.inspect([](Store& st) { return st.waiting.size(); }).value_or(0) == 0; ++i)
    std::this_thread::sleep_for(1ms);
  (*s)->stop();
  caller.join();
  ASSERT_TRUE(got);
  ASSERT_FALSE(*got);
  EXPECT_EQ(got->error().code, errc::shutdown);
  auto after = ref.call(Get{"a"});
  ASSERT_FALSE(after);
  EXPECT_EQ(after.error().code, errc::no_process);
}

TEST_F(ServerProtocolTest, SingleTypeServersKeepTheirApi) {
  struct Echo {
    using call_type = long;
    using reply_type = long;
    using cast_type = int;
    long sum = 0;
    long handle_call(long x) { return x + sum; }
    void handle_cast(int n) { sum += n; }
  };
  auto s = server<Echo>::start([](child_context&) { return Echo{}; }, {}, quiet());
  ASSERT_TRUE(s);
  auto ref = (*s)->ref();
  static_assert(std::is_same_v<server_ref<Echo>::call_type, long>);
  static_assert(std::is_same_v<server_ref<Echo>::reply_type, long>);
  EXPECT_EQ(*ref.call(1), 1);  // an int converts to call_type, as before
  ASSERT_TRUE(ref.cast(4));
  EXPECT_EQ(*ref.call({2}), 6);
}

static_assert(std::is_same_v<decltype(std::declval<registry&>().call<Store>("s", Get{"k"})), result<std::optional<int>>>);
static_assert(std::is_same_v<decltype(std::declval<registry&>().call<Store>("s", Size{})), result<std::size_t>>);

TEST_F(ServerProtocolTest, ATypedServerIsReachableByName) {
  auto reg = std::make_shared<registry>();
  auto dl = std::make_shared<dead_letter_office>();
  reg->set_dead_letters(dl);
  server_options so;
  so.registry = reg;
  so.name = "store";
  auto s = server<Store>::start([](child_context&) { return Store{}; }, so, quiet());
  ASSERT_TRUE(s);
  result<bool> fresh = reg->call<Store>("store", Put{"a", 1});
  ASSERT_TRUE(fresh) << fresh.error().describe();
  EXPECT_TRUE(*fresh);
  const Put again{"a", 5};  // an lvalue request is copied
  EXPECT_FALSE(*reg->call<Store>("store", again, tether::infinity));
  result<std::optional<int>> got = reg->call<Store>("store", Get{"a"});
  ASSERT_TRUE(got);
  EXPECT_EQ(*got, std::optional<int>(5));
  ASSERT_TRUE(reg->cast<Store>("store", Erase{"a"}));
  EXPECT_EQ(*reg->call<Store>("store", Size{}), 0u);  // FIFO: the cast was handled first
  // A deferred request type by name: answered by a cast by name.
  std::optional<result<std::string>> fetched;
  std::thread caller([&] { fetched = reg->call<Store>("store", Fetch{}, 10s); });
  for (int i = 0; i < 1000 && (*s)->ref().inspect([](Store& st) { return st.waiting.size(); }).value_or(0) == 0; ++i)
    std::this_thread::sleep_for(1ms);
  ASSERT_TRUE(reg->cast<Store>("store", Release{"by name"}));
  caller.join();
  ASSERT_TRUE(fetched && *fetched);
  EXPECT_EQ(**fetched, "by name");
  // Unknown names and servers of another type fail at run time.
  EXPECT_TRUE(reg->call<Store>("nobody", Size{}).is(errc::no_process));
  EXPECT_TRUE(reg->cast<Store>("nobody", Erase{"x"}).is(errc::no_process));
  EXPECT_EQ(dl->count(dead_letter_reason::no_process), 2u);
  struct Other {
    using call_types = std::tuple<Size>;
    std::size_t handle_call(Size) { return 42; }
  };
  EXPECT_TRUE(reg->call<Other>("store", Size{}).is(errc::bad_type));
  (*s)->stop();
  EXPECT_TRUE(reg->call<Store>("store", Size{}).is(errc::no_process));  // the name went with it
}
