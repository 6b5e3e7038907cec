// tether_runtime_bench - each runtime measurement next to a raw baseline
// measured in the same run, with the ratio, the goal and PASS/MISS.
//   cast throughput   vs a mutex+condition_variable queue between two threads   goal >= 0.5x
//   call round trip   vs a raw two-queue ping-pong                              goal <= 2x
//   task start+await  vs std::thread create+join                                goal < 1x (faster)
//   restart latency   vs raw join + std::thread re-create                       reported
// Usage: tether_runtime_bench [scale-percent]   (default 100; a run takes < 30 s)
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <mutex>
#include <thread>

#include <tether/tether.hpp>

using clk = std::chrono::steady_clock;
using namespace std::chrono_literals;

namespace {

double secs(clk::duration d) { return std::chrono::duration<double>(d).count(); }

template <class T>
class raw_queue {
 public:
  void push(T v) {
    {
      std::lock_guard lk(mu_);
      q_.push_back(std::move(v));
    }
    cv_.notify_one();
  }
  T pop() {
    std::unique_lock lk(mu_);
    cv_.wait(lk, [&] { return !q_.empty(); });
    T v = std::move(q_.front());
    q_.pop_front();
    return v;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<T> q_;
};

struct Sink {
  using call_type = int;
  using reply_type = long;
  using cast_type = int;
  long sum = 0;
  long handle_call(int x) { return sum + x; }
  void handle_cast(int x) { sum += x; }
};

void line(const char* what, double tether_v, double base_v, const char* unit, double ratio, const char* goal,
          bool pass) {
  std::printf("%-18s tether %12.1f %-8s baseline %12.1f %-8s ratio %6.2fx  goal %-8s %s\n", what, tether_v, unit,
              base_v, unit, ratio, goal, pass ? "PASS" : "MISS");
}

}  // namespace

int main(int argc, char** argv) {
  const long scale = argc > 1 ? std::strtol(argv[1], nullptr, 10) : 100;
  auto n_of = [&](long n) { return std::max(1L, n * scale / 100); };
  tether::supervisor_options quiet;
  quiet.on_report = [](const tether::supervisor_report&) {};
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  std::printf("tether runtime bench (%u hardware threads)\n", std::thread::hardware_concurrency());

  // 1. cast throughput
  {
    const long N = n_of(1'000'000);
    raw_queue<int> q;
    auto t0 = clk::now();
    std::thread consumer([&] {
      long sum = 0;
      for (long i = 0; i < N; ++i) sum += q.pop();
      if (sum < 0) std::puts("");
    });
    for (long i = 0; i < N; ++i) q.push(1);
    consumer.join();
    double base = N / secs(clk::now() - t0);

    auto srv = tether::server<Sink>::start([](tether::child_context&) { return Sink{}; }, {}, quiet);
    if (!srv) return 1;
    auto ref = (*srv)->ref();
    t0 = clk::now();
    for (long i = 0; i < N; ++i)
      if (!ref.cast(1)) return 2;
    auto total = ref.call(0, 60s);  // FIFO: every cast before it was handled
    double mine = N / secs(clk::now() - t0);
    if (!total || *total != N) return 3;
    double ratio = mine / base;
    line("cast throughput", mine / 1e6, base / 1e6, "M msg/s", ratio, ">=0.5x", ratio >= 0.5);
  }

  // 2. call round trip
  {
    const long M = n_of(100'000);
    raw_queue<int> req, rep;
    std::thread server([&] {
      for (long i = 0; i < M; ++i) rep.push(req.pop() + 1);
    });
    auto t0 = clk::now();
    for (long i = 0; i < M; ++i) {
      req.push(1);
      (void)rep.pop();
    }
    double base = secs(clk::now() - t0) / M * 1e6;
    server.join();

    auto srv = tether::server<Sink>::start([](tether::child_context&) { return Sink{}; }, {}, quiet);
    if (!srv) return 4;
    auto ref = (*srv)->ref();
    t0 = clk::now();
    for (long i = 0; i < M; ++i)
      if (!ref.call(1)) return 5;
    double mine = secs(clk::now() - t0) / M * 1e6;
    double ratio = mine / base;
    line("call round trip", mine, base, "us", ratio, "<=2x", ratio <= 2.0);
  }

  // 3. task start+await vs std::thread create+join
  {
    const long K = n_of(20'000);
    auto t0 = clk::now();
    for (long i = 0; i < K; ++i) {
      long v = 0;
      std::thread t([&v, i] { v = i; });
      t.join();
      if (v != i) return 6;
    }
    double base = secs(clk::now() - t0) / K * 1e6;
    tether::task_supervisor tasks;
    t0 = clk::now();
    for (long i = 0; i < K; ++i) {
      auto r = tasks.async([i] { return i; }).await();
      if (!r || *r != i) return 7;
    }
    double mine = secs(clk::now() - t0) / K * 1e6;
    double ratio = mine / base;
    line("task start+await", mine, base, "us", ratio, "<1x", ratio < 1.0);
  }

  // 4. restart latency of a crashed child
  {
    const long R = n_of(2'000);
    // baseline: notice a thread ended (join) and create its replacement
    std::mutex m;
    std::condition_variable_any cv;  // stop-token aware: the worker must wake on shutdown
    long started = 0;
    auto t0 = clk::now();
    for (long i = 0; i < R; ++i) {
      std::thread t([&] {
        std::lock_guard lk(m);
        ++started;
        cv.notify_all();
      });
      t.join();
    }
    double base = secs(clk::now() - t0) / R * 1e6;

    started = 0;
    auto crash = std::make_shared<std::atomic<bool>>(false);
    tether::supervisor sup({tether::strategy::one_for_one, 1'000'000'000, 1000ms},
                           {tether::worker("crashy", [&](std::stop_token st) {
                             {
                               std::lock_guard lk(m);
                               ++started;
                               cv.notify_all();
                             }
                             std::unique_lock lk(m);
                             cv.wait(lk, st, [&] { return crash->load(); });
                             if (crash->exchange(false)) throw std::runtime_error("crash");
                           })},
                           quiet);
    if (!sup.start()) return 8;
    double total = 0;
    for (long i = 0; i < R; ++i) {
      std::unique_lock lk(m);
      cv.wait(lk, [&] { return started == i + 1; });
      auto c0 = clk::now();
      crash->store(true);
      cv.notify_all();
      cv.wait(lk, [&] { return started == i + 2; });
      total += secs(clk::now() - c0);
    }
    sup.stop();
    double mine = total / R * 1e6;
    line("restart latency", mine, base, "us", mine / base, "report", true);
  }
  return 0;
}
