// A request counter and a per-request tag, written the way shared state
// decays: tether's global-* checks flag the two marked lines.
//
//   tether examples/global/counters.cpp -- -std=c++20
//
// global-shared-mutable: `served` is incremented by every worker thread and
// read by main while they run. global-thread-local-parameter: `request_tag`
// is set by handle() and read by log_line(), behind its signature.
// The correct look-alikes (a mutex-guarded total, an atomic, configuration
// written before the threads start) are not flagged.
#include <atomic>
#include <cstdio>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

std::string config;          // written before any thread starts: fine
std::atomic<int> started{0}; // atomic: fine
std::mutex total_mu;
long total;                  // every access holds total_mu: fine
int served;                  // flagged: racy counter
thread_local const char *request_tag; // flagged: hidden parameter

static void log_line(const char *msg) {
  std::printf("[%s] %s\n", request_tag ? request_tag : "-", msg);
}

static void handle(int id) {
  request_tag = id % 2 ? "odd" : "even"; // global-thread-local-parameter
  log_line(config.c_str());
}

static void worker(int id) {
  started.fetch_add(1);
  handle(id);
  {
    std::lock_guard<std::mutex> lock(total_mu);
    total += id;
  }
  ++served; // global-shared-mutable: every worker writes it
}

int main() {
  config = "verbose";
  std::vector<std::thread> workers;
  for (int i = 0; i < 4; ++i)
    workers.emplace_back(worker, i);
  std::printf("served so far: %d\n", served); // races with the workers
  for (auto &t : workers)
    t.join();
  std::lock_guard<std::mutex> lock(total_mu);
  std::printf("total %ld, started %d\n", total, started.load());
}
