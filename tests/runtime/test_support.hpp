// Shared fixture for the runtime suites: a per-test watchdog (a hang fails
// the test instead of blocking CI) and a thread-leak check (/proc/self/task
// is counted before and after every test).
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace tether_test {

inline std::size_t count_threads() {
  std::size_t n = 0;
  std::error_code ec;
  for (auto it = std::filesystem::directory_iterator("/proc/self/task", ec);
       it != std::filesystem::directory_iterator(); it.increment(ec)) {
    if (ec) break;
    ++n;
  }
  return n;
}

inline long env_long(const char* name, long fallback) {
  const char* v = std::getenv(name);
  return v && *v ? std::strtol(v, nullptr, 10) : fallback;
}

/// Iteration counts for stress tests; sanitizer runs set TETHER_STRESS_SCALE
/// (percent, default 100).
inline int scaled(int n) {
  long pct = env_long("TETHER_STRESS_SCALE", 100);
  long v = n * pct / 100;
  return static_cast<int>(v < 1 ? 1 : v);
}

class RuntimeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // Sanitizer runtimes start a background thread on the first thread
    // creation; create and join one first so it is part of the baseline.
    std::thread([] {}).join();
    threads_before_ = count_threads();
    const auto limit = std::chrono::milliseconds(env_long("TETHER_TEST_WATCHDOG_MS", 30000));
    const std::string name = std::string(::testing::UnitTest::GetInstance()->current_test_info()->test_suite_name()) +
                             "." + ::testing::UnitTest::GetInstance()->current_test_info()->name();
    watchdog_ = std::jthread([this, limit, name] {
      std::unique_lock lk(wd_mu_);
      if (!wd_cv_.wait_for(lk, limit, [&] { return wd_done_; })) {
        std::fprintf(stderr, "WATCHDOG: test %s did not finish within %lld ms; aborting\n", name.c_str(),
                     static_cast<long long>(limit.count()));
        std::fflush(stderr);
        std::abort();
      }
    });
  }

  void TearDown() override {
    {
      std::lock_guard lk(wd_mu_);
      wd_done_ = true;
    }
    wd_cv_.notify_all();
    watchdog_.join();
    if (!check_threads_) return;
    // A joined thread's /proc entry can linger for a moment after join.
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
    std::size_t now = count_threads();
    while (now != threads_before_ && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
      now = count_threads();
    }
    EXPECT_EQ(now, threads_before_) << "thread leak: " << threads_before_ << " threads before, " << now
                                    << " after";
  }

  /// For tests of the process-wide root supervisors, whose threads outlive the test by design.
  void allow_persistent_threads() { check_threads_ = false; }

 private:
  std::size_t threads_before_ = 0;
  bool check_threads_ = true;
  std::mutex wd_mu_;
  std::condition_variable wd_cv_;
  bool wd_done_ = false;  // guarded by wd_mu_
  std::jthread watchdog_;
};

/// A one-shot latch with timeout (std::latch has no timed wait).
class flag {
 public:
  void set() {
    // Notify under the lock: a waiter may destroy the flag as soon as it
    // sees set_ == true.
    std::lock_guard lk(mu_);
    set_ = true;
    cv_.notify_all();
  }
  bool wait_for(std::chrono::milliseconds t) {
    std::unique_lock lk(mu_);
    return cv_.wait_for(lk, t, [&] { return set_; });
  }
  bool is_set() {
    std::lock_guard lk(mu_);
    return set_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool set_ = false;
};

/// Records events from any thread; `until(n)` waits (deterministically, on
/// a condition variable) until n events were recorded.
struct event_log {
  std::mutex mu;
  std::condition_variable cv;
  std::vector<std::string> events;  // guarded by mu
  void add(std::string e) {
    std::lock_guard lk(mu);
    events.push_back(std::move(e));
    cv.notify_all();
  }
  bool until(std::size_t n,
             std::chrono::milliseconds t = std::chrono::seconds(10)) {
    std::unique_lock lk(mu);
    return cv.wait_for(lk, t, [&] { return events.size() >= n; });
  }
  std::vector<std::string> get() {
    std::lock_guard lk(mu);
    return events;
  }
};

}  // namespace tether_test
