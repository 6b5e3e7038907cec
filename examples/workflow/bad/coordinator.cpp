// examples/workflow/bad/coordinator.cpp - the workflow coordinator written
// the BAD way, on purpose. It is analyzer input (tether should flag every
// anti-pattern below) and the "before" of examples/workflow/good/.
//
// Anti-patterns, deliberately:
//   * a god object (Coordinator) that owns scheduling, state, logging and waiting;
//   * each workflow runs on a detached std::thread (nobody owns or joins it);
//   * workflow progress lives in mutable globals written from those threads;
//   * completion is detected through a logging/telemetry handler that notifies
//     a condition variable - observation used as control flow;
//   * a crashed workflow is swallowed by catch(...){} and silently lost; its
//     progress is never persisted, so nothing can resume it.
// Plain C++20 + pthreads; no tether dependency.
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <functional>
#include <map>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

// Mutable globals shared by all workflow threads.
std::map<std::string, int> g_current_step;        // written from workflow threads
std::map<std::string, std::string> g_results;     // written from workflow threads
int g_finished = 0;                               // written from workflow threads
std::mutex g_mu;
std::condition_variable g_cv;

using LogHandler = std::function<void(const std::string& event, const std::string& workflow)>;
std::vector<LogHandler> g_log_handlers;  // "telemetry"

void log_event(const std::string& event, const std::string& workflow) {
  for (auto& h : g_log_handlers) h(event, workflow);
}

class Coordinator {
 public:
  void start(const std::string& id, int steps, int crash_at) {
    std::thread([this, id, steps, crash_at] { run(id, steps, crash_at); }).detach();
  }

  void wait_all(int n) {
    // Completion is observed through the logging handler below.
    std::unique_lock lk(g_mu);
    g_cv.wait_for(lk, std::chrono::seconds(2), [&] { return g_finished >= n; });
  }

  void install_logging() {
    g_log_handlers.push_back([](const std::string& event, const std::string& workflow) {
      std::printf("[log] %s %s\n", workflow.c_str(), event.c_str());
      if (event == "finished") {
        std::lock_guard lk(g_mu);
        ++g_finished;
        g_cv.notify_all();  // control flow through telemetry
      }
    });
  }

 private:
  void run(const std::string& id, int steps, int crash_at) {
    try {
      for (int s = g_current_step[id]; s < steps; ++s) {  // unsynchronized read of a global
        if (s == crash_at) throw std::runtime_error("simulated failure");
        g_current_step[id] = s + 1;                       // unsynchronized write
        g_results[id] += "s" + std::to_string(s) + ";";
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
      }
      log_event("finished", id);
    } catch (...) {
    }
  }
};

int main() {
  Coordinator c;
  c.install_logging();
  c.start("wf-1", 5, -1);
  c.start("wf-2", 5, 3);  // crashes at step 3: lost forever, wait_all times out
  c.start("wf-3", 5, -1);
  c.wait_all(3);
  std::printf("finished: %d of 3 (the crashed workflow is silently lost)\n", g_finished);
  return 0;
}
