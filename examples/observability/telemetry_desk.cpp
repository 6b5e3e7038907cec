// examples/observability/telemetry_desk.cpp - a job desk whose telemetry
// layer is abused as control flow, on purpose: analyzer input for the
// observability-* checks (each anti-pattern is marked with the check that
// finds it). Plain C++20; the fixed versions use the tether runtime
// (docs/checks/observability-*.md).
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <functional>
#include <future>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

// A home-made telemetry layer: tether recognises it by its names
// (namespace "telemetry", methods "subscribe"/"publish").
namespace desk::telemetry {
class EventBus {
 public:
  void subscribe(const std::string& event, std::function<void(const std::string&)> handler) {
    std::lock_guard<std::mutex> g(mu_);
    handlers_[event].push_back(std::move(handler));
  }
  void unsubscribe_all(const std::string& event) {
    std::lock_guard<std::mutex> g(mu_);
    handlers_.erase(event);
  }
  void publish(const std::string& event, const std::string& detail) {
    std::vector<std::function<void(const std::string&)>> hs;
    {
      std::lock_guard<std::mutex> g(mu_);
      hs = handlers_[event];
    }
    for (auto& h : hs) h(detail);
  }

 private:
  std::mutex mu_;
  std::map<std::string, std::vector<std::function<void(const std::string&)>>> handlers_;
};
}  // namespace desk::telemetry

desk::telemetry::EventBus g_bus;

std::mutex g_mu;
std::condition_variable g_cv;
int g_jobs_done = 0;

void run_job(int id) {
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  g_bus.publish("job.done", std::to_string(id));
}

// observability-handler-signals: the handler is how main learns that the
// jobs are done - telemetry as a reply channel.
void install_completion_handler() {
  g_bus.subscribe("job.done", [](const std::string&) {
    std::lock_guard<std::mutex> g(g_mu);
    ++g_jobs_done;
    g_cv.notify_all();
  });
}

// observability-attach-emit-wait: attach, start, block for the handler.
int run_and_wait_for_result(int id) {
  std::promise<int> result;
  g_bus.subscribe("job.done", [&result](const std::string& detail) {
    result.set_value(std::stoi(detail));
  });
  std::thread worker(run_job, id);
  auto f = result.get_future();
  f.wait_for(std::chrono::seconds(1));  // the event may have fired already, or come late
  g_bus.unsubscribe_all("job.done");
  worker.join();
  return f.get();
}

// observability-feedback-loop: a handler that publishes into its own bus.
void install_audit_handler() {
  g_bus.subscribe("job.done", [](const std::string& detail) {
    g_bus.publish("audit", "job " + detail + " done");  // one event makes another
  });
}

// Silent: a handler that only records.
void install_printer() {
  g_bus.subscribe("audit", [](const std::string& detail) { std::printf("[audit] %s\n", detail.c_str()); });
}

int main() {
  install_printer();
  install_audit_handler();
  install_completion_handler();
  std::thread a(run_job, 1), b(run_job, 2);
  {
    std::unique_lock<std::mutex> lk(g_mu);
    g_cv.wait_for(lk, std::chrono::seconds(1), [] { return g_jobs_done >= 2; });
  }
  a.join();
  b.join();
  std::printf("result of job 3: %d\n", run_and_wait_for_result(3));
  return 0;
}
