// tether_runtime_bench - each runtime operation against the best simple
// hand-written equivalent, measured in the same process, interleaved.
//
//   cast throughput   tether cast              vs a batched mutex+condvar queue (the consumer swaps
//                                                 the whole deque under the lock; the producer
//                                                 notifies only on empty -> non-empty)   goal >= 0.8x
//   call round trip   tether call              vs request/reply over two such queues   goal <= 1.5x
//   task start+await  task_supervisor::async   vs one worker thread running std::packaged_task's
//                     + await                     from such a queue, future::get()     goal <= 1.5x
//   restart latency   supervisor restarts a    vs a hand-written loop that joins a thread that
//                     child that threw            exited with an exception and spawns a new one
//                                                                                      goal <= 3x
// Every benchmark runs --warmup untimed rounds of both sides, then --reps
// timed rounds in which baseline and tether alternate (odd rounds start
// with tether). It prints the median and the spread (min, max) of each side
// and the ratio tether median / baseline median (for throughput higher is
// better, for times lower is better: see the goal column).
// Usage: tether_runtime_bench --help
#include <algorithm>
#include <charconv>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <deque>
#include <functional>
#include <future>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <tether/tether.hpp>

using clk = std::chrono::steady_clock;
using namespace std::chrono_literals;

namespace {

double secs(clk::duration d) { return std::chrono::duration<double>(d).count(); }

/// The baseline queue: push notifies only when the queue goes from empty to
/// non-empty; the consumer takes everything queued in one swap.
template <class T>
class batched_queue {
 public:
  void push(T v) {
    bool was_empty;
    {
      std::lock_guard lk(mu_);
      was_empty = q_.empty();
      q_.push_back(std::move(v));
    }
    if (was_empty) cv_.notify_one();
  }
  /// Blocks until non-empty, then moves every queued item into `out` (empty on entry).
  void pop_all(std::deque<T>& out) {
    std::unique_lock lk(mu_);
    cv_.wait(lk, [&] { return !q_.empty(); });
    out.swap(q_);
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<T> q_;  // guarded by mu_
};

struct Sink {
  using call_type = int;
  using reply_type = long;
  using cast_type = int;
  long sum = 0;
  long handle_call(int x) { return sum + x; }
  void handle_cast(int x) { sum += x; }
};

tether::supervisor_options quiet() {
  tether::supervisor_options o;
  o.on_report = [](const tether::supervisor_report&) {};
  return o;
}

[[noreturn]] void die(const char* what) {
  std::fprintf(stderr, "tether_runtime_bench: %s\n", what);
  std::exit(3);
}

// ---- 1. cast throughput (messages per second) -------------------------------

double base_cast(long n) {
  batched_queue<int> q;
  long sum = 0;
  std::thread consumer([&] {
    std::deque<int> batch;
    long got = 0;
    while (got < n) {
      q.pop_all(batch);
      for (int v : batch) sum += v;
      got += static_cast<long>(batch.size());
      batch.clear();
    }
  });
  const auto t0 = clk::now();
  for (long i = 0; i < n; ++i) q.push(1);
  consumer.join();
  const double s = secs(clk::now() - t0);
  if (sum != n) die("baseline cast lost messages");
  return n / s;
}

double tether_cast(const tether::server_ref<Sink>& ref, long n) {
  const long before = *ref.call(0, tether::infinity);
  const auto t0 = clk::now();
  for (long i = 0; i < n; ++i)
    if (!ref.cast(1)) die("cast failed");
  auto total = ref.call(0, tether::infinity);  // FIFO: every cast before it was handled
  const double s = secs(clk::now() - t0);
  if (!total || *total != before + n) die("tether cast lost messages");
  return n / s;
}

// ---- 2. call round trip (microseconds) --------------------------------------

double base_call(long n) {
  batched_queue<int> req;
  batched_queue<long> rep;
  std::thread server([&] {
    std::deque<int> batch;
    long served = 0;
    while (served < n) {
      req.pop_all(batch);
      for (int v : batch) rep.push(v + 1L);
      served += static_cast<long>(batch.size());
      batch.clear();
    }
  });
  std::deque<long> got;
  const auto t0 = clk::now();
  for (long i = 0; i < n; ++i) {
    req.push(1);
    rep.pop_all(got);
    if (got.size() != 1 || got.front() != 2) die("baseline call got a wrong reply");
    got.clear();
  }
  const double s = secs(clk::now() - t0);
  server.join();
  return s / n * 1e6;
}

double tether_call(const tether::server_ref<Sink>& ref, long n) {
  const auto t0 = clk::now();
  for (long i = 0; i < n; ++i)
    if (!ref.call(1)) die("call failed");
  return secs(clk::now() - t0) / n * 1e6;
}

// ---- 3. task start + await (microseconds) -----------------------------------

/// A worker thread running packaged tasks from a batched queue.
class packaged_worker {
 public:
  packaged_worker()
      : thread_([this] {
          std::deque<std::packaged_task<long()>> batch;
          for (;;) {
            q_.pop_all(batch);
            for (auto& t : batch) {
              if (!t.valid()) return;  // the stop marker
              t();
            }
            batch.clear();
          }
        }) {}
  ~packaged_worker() {
    q_.push(std::packaged_task<long()>());
    thread_.join();
  }
  std::future<long> submit(std::packaged_task<long()> t) {
    auto f = t.get_future();
    q_.push(std::move(t));
    return f;
  }

 private:
  batched_queue<std::packaged_task<long()>> q_;
  std::thread thread_;
};

double base_task(packaged_worker& w, long n) {
  const auto t0 = clk::now();
  for (long i = 0; i < n; ++i) {
    auto f = w.submit(std::packaged_task<long()>([i] { return i; }));
    if (f.get() != i) die("baseline task returned a wrong value");
  }
  return secs(clk::now() - t0) / n * 1e6;
}

double tether_task(tether::task_supervisor& ts, long n) {
  const auto t0 = clk::now();
  for (long i = 0; i < n; ++i) {
    auto r = ts.async([i] { return i; }).await(tether::infinity);
    if (!r || *r != i) die("tether task returned a wrong value");
  }
  return secs(clk::now() - t0) / n * 1e6;
}

// ---- 4. restart latency (microseconds) --------------------------------------
// Both sides: a worker announces its start, waits for the crash flag, and
// throws. The measured time runs from setting the flag to the next
// incarnation's announcement.

struct crash_signal {
  std::mutex mu;
  std::condition_variable_any cv;
  long started = 0;    // guarded by mu
  bool crash = false;  // guarded by mu
  void announce() {
    std::lock_guard lk(mu);
    ++started;
    cv.notify_all();
  }
  /// Worker side: returns normally on stop, throws on crash.
  void wait_and_maybe_throw(std::stop_token st) {
    std::unique_lock lk(mu);
    cv.wait(lk, st, [&] { return crash; });
    if (crash) {
      crash = false;
      throw std::runtime_error("crash");
    }
  }
  /// Driver side: crashes the current incarnation `r` times, timing each.
  double drive(long r) {
    std::unique_lock lk(mu);
    double total = 0;
    cv.wait(lk, [&] { return started >= 1; });
    for (long i = 0; i < r; ++i) {
      const long cur = started;
      const auto c0 = clk::now();
      crash = true;
      cv.notify_all();
      cv.wait(lk, [&] { return started == cur + 1; });
      total += secs(clk::now() - c0);
    }
    return total / r * 1e6;
  }
};

double base_restart(long r) {
  crash_signal sig;
  std::stop_source stop;
  // The hand-written supervisor: run the worker on a thread, join it when it
  // exits (an exception is caught at its top), spawn the next one.
  std::thread respawner([&] {
    while (!stop.stop_requested()) {
      std::thread w([&] {
        try {
          sig.announce();
          sig.wait_and_maybe_throw(stop.get_token());
        } catch (const std::exception&) {
          (void)0;  // the failure is what triggers the respawn
        }
      });
      w.join();
    }
  });
  const double us = sig.drive(r);
  stop.request_stop();
  respawner.join();
  return us;
}

double tether_restart(long r) {
  crash_signal sig;
  tether::supervisor sup({tether::strategy::one_for_one, 1'000'000'000, 1000ms},
                         {tether::worker("crashy", [&](std::stop_token st) {
                           sig.announce();
                           sig.wait_and_maybe_throw(st);
                         })},
                         quiet());
  if (!sup.start()) die("supervisor did not start");
  const double us = sig.drive(r);
  sup.stop();
  return us;
}

// ---- statistics and output ----------------------------------------------------

struct stats {
  double median, min, max;
};
stats summarize(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  const double med = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
  return {med, v.front(), v.back()};
}

struct options {
  int reps = 11;
  int warmup = 1;
  long scale = 100;  // percent of the default sizes
  std::string only;  // empty: all
};

void usage(std::FILE* f) {
  std::fprintf(f,
               "usage: tether_runtime_bench [--reps N] [--warmup N] [--scale PERCENT] [--only NAME]\n"
               "  --reps N         timed rounds per side, interleaved (default 11)\n"
               "  --warmup N       untimed rounds per side first (default 1)\n"
               "  --scale PERCENT  operations per round, percent of the defaults (default 100:\n"
               "                   200000 casts, 20000 calls, 5000 tasks, 300 restarts)\n"
               "  --only NAME      one of cast, call, task, restart\n"
               "  --help           this text\n"
               "Prints median [min..max] of each side and tether/baseline of the medians,\n"
               "with the goal. Exit status 0 (goals are reported, not enforced), 2 on bad usage.\n");
}

template <class T>
bool parse_number(std::string_view s, T& out, T lo, T hi) {
  T v{};
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || s.empty() || v < lo || v > hi) return false;
  out = v;
  return true;
}

std::optional<options> parse(int argc, char** argv) {
  options o;
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    if (a == "--help" || a == "-h") {
      usage(stdout);
      std::exit(0);
    }
    auto value = [&]() -> std::optional<std::string_view> {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "tether_runtime_bench: %s needs a value\n", argv[i]);
        return std::nullopt;
      }
      return std::string_view(argv[++i]);
    };
    bool ok = false;
    if (a == "--reps") {
      auto v = value();
      ok = v && parse_number(*v, o.reps, 1, 1000);
    } else if (a == "--warmup") {
      auto v = value();
      ok = v && parse_number(*v, o.warmup, 0, 1000);
    } else if (a == "--scale") {
      auto v = value();
      ok = v && parse_number(*v, o.scale, 1L, 100000L);
    } else if (a == "--only") {
      auto v = value();
      ok = v && (*v == "cast" || *v == "call" || *v == "task" || *v == "restart");
      if (ok) o.only = std::string(*v);
    } else {
      std::fprintf(stderr, "tether_runtime_bench: unknown argument '%s'\n", argv[i]);
      usage(stderr);
      return std::nullopt;
    }
    if (!ok) {
      std::fprintf(stderr, "tether_runtime_bench: bad value for %s (a whole number in range, or a known name)\n",
                   std::string(a).c_str());
      return std::nullopt;
    }
  }
  return o;
}

/// Runs warm-up then interleaved timed rounds; returns {baseline, tether}.
std::pair<stats, stats> run_pair(const options& o, const std::function<double()>& base,
                                 const std::function<double()>& mine) {
  for (int i = 0; i < o.warmup; ++i) {
    (void)base();
    (void)mine();
  }
  std::vector<double> b, t;
  for (int i = 0; i < o.reps; ++i) {
    if (i % 2 == 0) {
      b.push_back(base());
      t.push_back(mine());
    } else {
      t.push_back(mine());
      b.push_back(base());
    }
  }
  return {summarize(b), summarize(t)};
}

void line(const char* what, const char* unit, std::pair<stats, stats> r, bool higher_is_better, double goal) {
  const auto& [b, t] = r;
  const double ratio = t.median / b.median;
  const bool met = higher_is_better ? ratio >= goal : ratio <= goal;
  std::printf("%-17s %-7s baseline %10.3f [%9.3f..%9.3f]  tether %10.3f [%9.3f..%9.3f]  ratio %5.2fx  goal %s%.1fx %s\n",
              what, unit, b.median, b.min, b.max, t.median, t.min, t.max, ratio, higher_is_better ? ">=" : "<=",
              goal, met ? "met" : "MISSED");
}

}  // namespace

int main(int argc, char** argv) {
  auto parsed = parse(argc, argv);
  if (!parsed) return 2;
  const options o = *parsed;
  auto n_of = [&](long n) { return std::max(1L, n * o.scale / 100); };
  auto want = [&](const char* name) { return o.only.empty() || o.only == name; };
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  std::printf("tether runtime bench: %u hardware threads, %d warm-up + %d interleaved rounds per side, scale %ld%%\n",
              std::thread::hardware_concurrency(), o.warmup, o.reps, o.scale);
  std::printf("median [min..max] per side; ratio = tether median / baseline median\n");

  if (want("cast")) {
    const long n = n_of(200'000);
    auto srv = tether::server<Sink>::start([](tether::child_context&) { return Sink{}; }, {}, quiet());
    if (!srv) die("server did not start");
    auto ref = (*srv)->ref();
    auto r = run_pair(o, [&] { return base_cast(n) / 1e6; }, [&] { return tether_cast(ref, n) / 1e6; });
    line("cast throughput", "M msg/s", r, true, 0.8);
  }
  if (want("call")) {
    const long n = n_of(20'000);
    auto srv = tether::server<Sink>::start([](tether::child_context&) { return Sink{}; }, {}, quiet());
    if (!srv) die("server did not start");
    auto ref = (*srv)->ref();
    auto r = run_pair(o, [&] { return base_call(n); }, [&] { return tether_call(ref, n); });
    line("call round trip", "us", r, false, 1.5);
  }
  if (want("task")) {
    const long n = n_of(5'000);
    packaged_worker w;
    tether::task_supervisor ts;
    auto r = run_pair(o, [&] { return base_task(w, n); }, [&] { return tether_task(ts, n); });
    line("task start+await", "us", r, false, 1.5);
  }
  if (want("restart")) {
    const long n = n_of(300);
    auto r = run_pair(o, [&] { return base_restart(n); }, [&] { return tether_restart(n); });
    line("restart latency", "us", r, false, 3.0);
  }
  return 0;
}
