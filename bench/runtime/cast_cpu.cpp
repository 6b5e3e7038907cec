// tether_runtime_cast_cpu - the CPU a cast costs each side, without
// contention: 60000 casts are queued while the server is parked in an
// inspect() (send cost), then released and drained (handle cost); the
// baseline does the same with lock / std::deque<int>::push_back / unlock and
// a swap-and-sum. Prints the minimum over 15 rounds (the run least disturbed
// by other load), in ns per message. See docs/runtime/benchmarks.md.
// Usage: tether_runtime_cast_cpu (no arguments)
#include <tether/tether.hpp>
#include <chrono>
#include <cstdio>
#include <deque>
#include <future>
#include <mutex>
#include <thread>
#include <algorithm>
#include <vector>
using clk = std::chrono::steady_clock;
struct Sink { using call_type = int; using reply_type = long; using cast_type = int; long sum = 0;
  long handle_call(int x) { return sum + x; } void handle_cast(int x) { sum += x; } };
int main(int argc, char**) {
  if (argc > 1) {
    std::fprintf(stderr, "usage: tether_runtime_cast_cpu (no arguments)\n");
    return 2;
  }
  tether::supervisor_options o; o.on_report = [](const tether::supervisor_report&) {};
  auto srv = tether::server<Sink>::start([](tether::child_context&) { return Sink{}; }, {}, o);
  auto ref = (*srv)->ref();
  const long n = 60000;
  std::vector<double> ps, cs, bp, bc;
  for (int r = 0; r < 15; ++r) {
    std::promise<void> gate; auto gf = gate.get_future().share();
    std::promise<void> in; auto inf = in.get_future();
    std::thread blocker([&] { (void)ref.inspect([&](Sink&) { in.set_value(); gf.wait(); return 0; }, tether::infinity); });
    inf.wait();
    auto t0 = clk::now();
    for (long i = 0; i < n; ++i) (void)ref.cast(1);
    auto t1 = clk::now();
    gate.set_value();
    (void)ref.call(0, tether::infinity);
    auto t2 = clk::now();
    blocker.join();
    ps.push_back(std::chrono::duration<double, std::nano>(t1 - t0).count() / n);
    cs.push_back(std::chrono::duration<double, std::nano>(t2 - t1).count() / n);
    // baseline: deque<int> push under a mutex, then swap+sum
    std::mutex mu; std::deque<int> q; long sum = 0;
    auto b0 = clk::now();
    for (long i = 0; i < n; ++i) { std::lock_guard lk(mu); q.push_back(1); }
    auto b1 = clk::now();
    std::deque<int> b; { std::lock_guard lk(mu); b.swap(q); } for (int v : b) sum += v; b.clear();
    auto b2 = clk::now();
    if (sum != n) return 1;
    bp.push_back(std::chrono::duration<double, std::nano>(b1 - b0).count() / n);
    bc.push_back(std::chrono::duration<double, std::nano>(b2 - b1).count() / n);
  }
  for (auto* v : {&ps, &cs, &bp, &bc}) std::sort(v->begin(), v->end());
  std::printf("tether: send %.1f ns/msg, handle %.1f ns/msg | baseline: push %.1f, consume %.1f\n", ps[0], cs[0], bp[0], bc[0]);
}
