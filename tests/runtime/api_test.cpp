// Public API suite: errc as std::error_code, and runtime internals kept out
// of the public surface.
#include <concepts>
#include <system_error>
#include <type_traits>

#include "tether/tether.hpp"
#include "test_support.hpp"

using namespace std::chrono_literals;

// ---- errc as std::error_code ---------------------------------------------------

TEST(ErrorCodeTest, ErrcIsAStdErrorCodeEnum) {
  static_assert(std::is_error_code_enum_v<tether::errc>);
  std::error_code ec = tether::errc::timeout;
  EXPECT_EQ(ec.value(), static_cast<int>(tether::errc::timeout));
  EXPECT_STREQ(ec.category().name(), "tether");
  EXPECT_EQ(&ec.category(), &tether::tether_category());
  EXPECT_EQ(ec.message().rfind("timeout: ", 0), 0u);
  EXPECT_TRUE(ec);  // never 0
  EXPECT_EQ(ec, std::errc::timed_out);
  EXPECT_NE(ec, std::errc::invalid_argument);
  EXPECT_EQ(std::error_code(tether::errc::no_process), std::errc::no_such_process);
  EXPECT_EQ(tether::make_error_code(tether::errc::io_error), std::errc::io_error);
  EXPECT_EQ(ec, tether::errc::timeout);
  EXPECT_NE(ec, tether::errc::shutdown);
  tether::error e(tether::errc::mailbox_full, "full");
  EXPECT_EQ(e.error_code(), std::errc::no_buffer_space);
  EXPECT_EQ(std::error_code(tether::errc::bad_type).message().rfind("bad_type: ", 0), 0u);
}

// ---- public API hygiene --------------------------------------------------------

namespace {
template <class T>
concept exposes_core = requires(const T& t) { t.core(); };
template <class T>
concept exposes_make_process = requires(T& t) { t.make_process; } || requires(T& t) { t.make_process_; };
}  // namespace

TEST(ApiTest, RuntimeInternalsAreNotPublic) {
  // process_ref::core() and child_context::core() handed out the runtime's
  // internal process object; child_context was constructible by anyone.
  static_assert(!exposes_core<tether::process_ref>);
  static_assert(!exposes_core<tether::child_context>);
  static_assert(!std::is_default_constructible_v<tether::detail::context_key>);
  // child_spec::make_process was a public member typed with runtime internals.
  static_assert(!exposes_make_process<tether::child_spec>);
  tether::process_ref empty;
  EXPECT_FALSE(empty.stop_requested());
  tether::task_supervisor tasks;
  auto t = tasks.async([](std::stop_token st) {
    while (!st.stop_requested()) std::this_thread::yield();
    return 1;
  });
  EXPECT_FALSE(t.process().stop_requested());
  t.request_stop();
  EXPECT_TRUE(t.process().stop_requested());
  EXPECT_TRUE(t.await(5000ms));
}

TEST(ApiTest, PublicNamesLiveInTheAbiVersionedInlineNamespace) {
  static_assert(std::is_same_v<tether::supervisor, tether::v1::supervisor>);
  static_assert(std::is_same_v<tether::errc, tether::v1::errc>);
  static_assert(std::is_same_v<tether::server_ref<int>*, tether::v1::server_ref<int>*>);
  static_assert(tether::runtime_abi_version == TETHER_RUNTIME_ABI_VERSION);
  EXPECT_EQ(tether::runtime_abi_version, 1);
  EXPECT_EQ(&tether::tether_category(), &tether::v1::tether_category());
}
