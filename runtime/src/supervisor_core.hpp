// Private: the supervisor process shared by supervisor, dynamic_supervisor
// and nested supervisor children. Not installed.
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "tether/dynamic_supervisor.hpp"
#include "tether/supervisor.hpp"

namespace tether::inline v1::detail {

struct child_start_state {
  std::mutex mu;
  std::condition_variable cv;
  bool ready = false;   // guarded by mu
  bool exited = false;  // guarded by mu
  void signal_ready() {
    { std::lock_guard lk(mu); ready = true; }
    cv.notify_all();
  }
  void signal_exit() {
    { std::lock_guard lk(mu); exited = true; }
    cv.notify_all();
  }
};

struct straggler {
  std::string supervisor;
  std::string child;
  std::shared_ptr<process_core> core;
  std::jthread thread;
};

/// Threads that did not stop within their shutdown timeout. Shared by all
/// supervisors of one tree, owned by the top-level owner, whose destructor
/// joins every entry: nothing is ever detached.
class straggler_list {
 public:
  void add(straggler s) {
    std::lock_guard lk(mu_);
    list_.push_back(std::move(s));
  }
  std::vector<straggler> take_exited() {
    std::vector<straggler> out;
    std::lock_guard lk(mu_);
    for (auto it = list_.begin(); it != list_.end();) {
      if (it->core->exited()) {
        out.push_back(std::move(*it));
        it = list_.erase(it);
      } else {
        ++it;
      }
    }
    return out;
  }
  std::vector<straggler> take_all() {
    std::lock_guard lk(mu_);
    return std::exchange(list_, {});
  }

 private:
  std::mutex mu_;
  std::vector<straggler> list_;  // guarded by mu_
};

struct tree_env {
  std::string scope;  // state-store scope of this supervisor
  std::function<void(const supervisor_report&)> on_report;
  std::shared_ptr<state_store> store;
  std::shared_ptr<dead_letter_office> dead_letters;
  std::shared_ptr<telemetry_bus> telemetry;
  std::shared_ptr<straggler_list> stragglers;
};

class supervisor_core : public process_core {
 public:
  supervisor_core(std::string name, supervisor_flags flags, bool dynamic, std::size_t max_children,
                  std::vector<child_spec> specs, tree_env env);
  ~supervisor_core() override;

  /// The supervisor's whole life on the calling thread. on_ready runs after
  /// the initial children started. Returns ok() after a requested shutdown,
  /// start_failed if init failed, intensity_exceeded on escalation.
  result<void> run(const std::function<void()>& on_ready);

  bool dynamic() const noexcept { return dynamic_; }
  const tree_env& env() const noexcept { return env_; }
  void report(report_kind kind, const std::string& child, const exit_reason& reason,
              std::string message);
  /// Joins exited stragglers and reports them.
  void reap_stragglers();

  // Requests (any thread); executed on the supervisor thread.
  std::vector<child_info> which_children();
  result<process_ref> whereis(const std::string& id);
  result<void> terminate_child(const std::string& id);
  result<process_ref> restart_child(const std::string& id);
  result<process_ref> start_child(child_spec spec);
  result<void> delete_child(const std::string& id);
  child_counts count_children();

  template <class R>
  result<R> request(std::function<result<R>()> fn);

 private:
  struct child_record {
    child_spec spec;
    std::shared_ptr<process_core> core;  // current incarnation; null if not running
    std::shared_ptr<write_fence> fence;  // the current incarnation's write right on its state scope
    std::jthread thread;
    std::uint64_t restarts = 0;
  };
  struct event {
    std::uint64_t pid = 0;  // exit event when request and retry are empty
    exit_reason reason;
    std::function<void(bool alive)> request;
    std::vector<std::string> retry;  // children to (re)start again, in order
  };

  void push_exit(std::uint64_t pid, const exit_reason& r);
  bool push_request(std::function<void(bool)> fn);
  result<void> start_record(child_record& rec);
  void terminate_record(child_record& rec);
  void terminate_all();
  bool record_restart();
  result<void> handle_exit(std::uint64_t pid, const exit_reason& r);
  result<void> restart_from(std::size_t index);
  result<void> restart_group(const std::vector<std::string>& ids);
  std::size_t find(const std::string& id) const;
  std::optional<error> invalid_spec(const child_spec& spec) const;
  // After a child exited by itself without a restart: sets auto_exit_ if
  // its significance shuts the supervisor down.
  void check_auto_shutdown(const child_spec& spec, const exit_reason& r);
  std::string scope_of(const std::string& id) const { return env_.scope + "/" + id; }

  const supervisor_flags flags_;
  const bool dynamic_;
  const std::size_t max_children_;
  tree_env env_;

  std::mutex ev_mu_;
  std::condition_variable_any ev_cv_;
  std::deque<event> events_;  // guarded by ev_mu_
  // Closed until run() starts and again once it ended: a request to a
  // supervisor that is not running fails at once with no_process instead of
  // waiting for a thread that will never serve it.
  bool closed_ = true;        // guarded by ev_mu_

  // Supervisor-thread only (no lock):
  std::vector<std::unique_ptr<child_record>> children_;
  std::deque<std::chrono::steady_clock::time_point> restart_times_;
  std::optional<exit_reason> auto_exit_;  // set when auto_shutdown triggered
};

template <class R>
result<R> supervisor_core::request(std::function<result<R>()> fn) {
  auto p = std::make_shared<std::promise<result<R>>>();
  auto fut = p->get_future();
  bool pushed = push_request([p, fn = std::move(fn)](bool alive) {
    if (alive) {
      p->set_value(fn());
    } else {
      p->set_value(error(errc::no_process, "supervisor is not running"));
    }
  });
  if (!pushed) return error(errc::no_process, "supervisor is not running");
  return fut.get();
}

/// Owns a top-level supervisor thread and the tree's stragglers.
class supervisor_owner {
 public:
  supervisor_owner(std::shared_ptr<supervisor_core> core, std::shared_ptr<straggler_list> s)
      : core_(std::move(core)), stragglers_(std::move(s)) {}
  ~supervisor_owner();
  result<void> start();
  void stop();
  exit_reason wait();
  std::optional<exit_reason> wait_for(std::chrono::milliseconds t);
  /// Safe to call concurrently with start(): reads only an atomic and the
  /// core's (synchronized) exit state, never thread_.
  bool running() const;
  const std::shared_ptr<supervisor_core>& core() const { return core_; }

 private:
  std::shared_ptr<supervisor_core> core_;
  std::shared_ptr<straggler_list> stragglers_;
  std::mutex mu_;  // serializes start(); stop()/wait() read started_ under it
  bool started_ = false;              // guarded by mu_
  std::jthread thread_;               // guarded by mu_ (assigned once by start, joined by the destructor)
  std::atomic<bool> ready_{false};    // set once start() succeeded
};

tree_env make_env(const supervisor_options& opts, const tree_env* parent, const std::string& id);

}  // namespace tether::inline v1::detail
