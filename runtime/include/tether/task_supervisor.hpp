// tether/task_supervisor.hpp - supervised tasks on a reusable thread pool
// (Elixir's Task.Supervisor), and the process-wide root supervisors.
//
// Purpose
//   async(f) runs f on a pooled thread and returns a task<T>; awaiting it
//   takes a timeout (default 5000 ms, as OTP; tether::infinity waits
//   forever) or a steady_clock deadline, and yields:
//     value               f returned
//     errc::exception     f threw; error::exception holds what it threw
//     errc::timeout       not finished within the timeout; the task keeps
//                         running and may be awaited again
//     errc::shutdown      the task supervisor shut down before the task ran
//                         (queued, or submitted after shutdown); recorded as
//                         dead letter shutdown in task_options::dead_letters
//     errc::already_consumed  a previous await already returned the value
//   start(f) is fire-and-forget: a failure (exception) is reported to
//   task_options::on_report (default: stderr) - never dropped silently.
//   f may take a std::stop_token (signalled on shutdown) or nothing.
//   Every task is a process: task.process() can be monitored or linked.
//
// Threads
//   Tasks run on pooled std::jthreads that are reused (so start+await is
//   cheaper than std::thread create+join). The pool grows on demand up to
//   max_threads (default 256) so that tasks waiting on other tasks cannot
//   starve; beyond that, tasks queue. Threads live until shutdown.
//
// Shutdown (no task outlives its supervisor)
//   shutdown() (also run by the destructor): refuses new tasks, completes
//   queued-but-not-started tasks with errc::shutdown, requests stop on every
//   running task, waits up to options.shutdown (default 5000 ms), reports
//   each task still running by pid and name (task_report::kind::straggler),
//   then joins every pool thread - which blocks until those stragglers
//   return. Nothing is ever detached.
//
// Root supervisors
//   root_task_supervisor() and root_supervisor() are the only process-wide
//   mutable objects of the runtime: created lazily on first use (thread-safe
//   static initialization) and shut down in an orderly way during static
//   destruction at exit (reverse order of creation), joining all their
//   threads. Use them from code that has no supervisor to hand - e.g. in
//   place of `std::thread(f).detach()` write `tether::root_task_supervisor().start(f)`.
//   Undefined: calling exit()/returning from main on a root task's own
//   thread; tasks that use other static objects already destroyed at exit.
//
// Thread-safety
//   All members of task_supervisor may be called concurrently. A task<T>
//   object is like std::future: one object must not be awaited from two
//   threads at once (two copies may - they share the state; only one gets
//   the value).
//
// Blocking behaviour
//   async/start never block on the task (they take the pool mutex and may
//   create a thread). await blocks up to its timeout. shutdown blocks as
//   described above.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>
#include <type_traits>
#include <utility>

#include "tether/dead_letters.hpp"
#include "tether/dynamic_supervisor.hpp"
#include "tether/error.hpp"
#include "tether/process.hpp"

namespace tether {
inline namespace v1 {

inline constexpr std::chrono::milliseconds default_await_timeout{5000};

struct task_report {
  enum class kind : std::uint8_t {
    failed,     ///< a fire-and-forget task threw (err holds it)
    straggler,  ///< a task did not stop within the shutdown timeout; being joined
  };
  kind what;
  std::uint64_t pid;
  std::string name;
  error err;
};

struct task_options {
  std::string name = "tasks";
  std::size_t max_threads = 256;               ///< pool limit (default 256)
  std::chrono::milliseconds shutdown{5000};    ///< stop deadline at shutdown (default 5000 ms)
  /// Called on the failing task's thread (failed) or the shutting-down thread
  /// (straggler). Default (empty): print to stderr.
  std::function<void(const task_report&)> on_report;
  /// Where tasks refused after shutdown and queued tasks cancelled by
  /// shutdown are recorded (dead_letter_reason::shutdown, target = name,
  /// description "task '<task name>'"). Default: a new office of its own.
  std::shared_ptr<dead_letter_office> dead_letters;
};

namespace detail {

class task_job {
 public:
  virtual ~task_job() = default;
  /// Runs the task and stores its outcome; the caller then publishes it
  /// with proc().mark_exited(reason) (so the pool can count the worker as
  /// returning to the idle list before an awaiter can submit more work).
  virtual exit_reason execute() noexcept = 0;
  /// Completes a never-started task with `e`.
  virtual void cancel(const error& e) noexcept = 0;
  virtual process_core& proc() noexcept = 0;
  bool fire_and_forget = false;
};

class task_pool;

template <class T>
class task_state final : public process_core, public task_job {
 public:
  task_state(std::string name, std::function<T(std::stop_token)> fn)
      : process_core(std::move(name)), fn_(std::move(fn)) {}

  exit_reason execute() noexcept override {
    std::optional<result<T>> out;
    exit_reason why;
    try {
      if constexpr (std::is_void_v<T>) {
        fn_(stop_token());
        out.emplace();
      } else {
        out.emplace(fn_(stop_token()));
      }
      why = stop_requested() ? exit_reason::shutdown() : exit_reason::normal();
    } catch (...) {
      error e = current_exception_error(errc::exception, "task '" + name() + "'");
      why = exit_reason::failure(e);
      out.emplace(std::move(e));
    }
    fn_ = nullptr;
    {
      std::lock_guard lk(mu_);
      out_ = std::move(out);
    }
    return why;
  }

  void cancel(const error& e) noexcept override {
    {
      std::lock_guard lk(mu_);
      out_.emplace(e);
    }
    fn_ = nullptr;
    mark_exited(exit_reason::failure(e));
  }

  process_core& proc() noexcept override { return *this; }

  result<T> take(clock::time_point deadline) {
    if (!wait_exited_until(deadline))
      return error(errc::timeout, "task '" + name() + "' did not finish before its deadline");
    std::lock_guard lk(mu_);
    if (consumed_) return error(errc::already_consumed, "task '" + name() + "' was already awaited");
    consumed_ = true;
    return std::move(*out_);
  }

 private:
  std::function<T(std::stop_token)> fn_;  // touched by the running thread only
  std::mutex mu_;
  std::optional<result<T>> out_;  // guarded by mu_
  bool consumed_ = false;         // guarded by mu_
};

template <class F>
auto as_stop_fn(F&& f) {
  if constexpr (std::is_invocable_v<F&, std::stop_token>) {
    return [f = std::forward<F>(f)](std::stop_token st) mutable { return f(st); };
  } else {
    return [f = std::forward<F>(f)](std::stop_token) mutable { return f(); };
  }
}

template <class F>
using task_result_t = std::invoke_result_t<decltype(as_stop_fn(std::declval<F>()))&, std::stop_token>;

}  // namespace detail

/// A handle to an async task. Copyable (copies share the state).
template <class T>
class task {
 public:
  task() = default;
  explicit task(std::shared_ptr<detail::task_state<T>> s) : s_(std::move(s)) {}

  /// See the header comment for every outcome. An empty task returns
  /// no_process. `timeout` may be tether::infinity (wait forever); any
  /// timeout saturates (timeout.hpp).
  result<T> await(std::chrono::milliseconds timeout = default_await_timeout) {
    if (!s_) return error(errc::no_process, "empty task");
    return s_->take(detail::deadline_after(timeout));
  }
  /// As await(timeout) with an absolute deadline (time_point::max(): none).
  result<T> await(std::chrono::steady_clock::time_point deadline) {
    if (!s_) return error(errc::no_process, "empty task");
    return s_->take(deadline);
  }
  /// True once the task finished (or was cancelled).
  bool ready() const { return s_ && s_->exited(); }
  /// Asks the task to stop (its std::stop_token); it decides when.
  void request_stop() const {
    if (s_) s_->request_stop();
  }
  process_ref process() const { return process_ref(s_); }

 private:
  std::shared_ptr<detail::task_state<T>> s_;
};

class task_supervisor {
 public:
  explicit task_supervisor(task_options opts = {});
  ~task_supervisor();
  task_supervisor(const task_supervisor&) = delete;
  task_supervisor& operator=(const task_supervisor&) = delete;

  /// Runs f on the pool. Never fails at the call: after shutdown, the
  /// returned task completes at once with errc::shutdown (and a dead letter
  /// shutdown is recorded).
  template <class F>
  auto async(F f, std::string name = "task") -> task<detail::task_result_t<F>> {
    using R = detail::task_result_t<F>;
    auto st = std::make_shared<detail::task_state<R>>(std::move(name), detail::as_stop_fn(std::move(f)));
    auto r = submit(st);
    if (!r) st->cancel(r.error());
    return task<R>(st);
  }

  /// Fire-and-forget. Failures go to options.on_report. Returns the task's
  /// process (for monitors). Errors: shutdown (already shut down; f is not
  /// run; recorded as dead letter shutdown).
  template <class F>
  result<process_ref> start(F f, std::string name = "task") {
    using R = detail::task_result_t<F>;
    auto st = std::make_shared<detail::task_state<R>>(std::move(name), detail::as_stop_fn(std::move(f)));
    st->fire_and_forget = true;
    auto r = submit(st);
    if (!r) {
      st->cancel(r.error());
      return std::move(r).error();
    }
    return process_ref(st);
  }

  /// See "Shutdown" above. Idempotent; concurrent callers all block until done.
  void shutdown();
  /// Pool threads currently alive.
  std::size_t threads() const;
  /// Tasks running now.
  std::size_t running() const;
  /// OTP's counts for a task supervisor (Elixir's Task.Supervisor is a
  /// dynamic supervisor of temporary workers): specs = workers = tasks
  /// accepted and not finished (queued for a pool thread, or running),
  /// active = tasks running now, supervisors = 0. All zero after shutdown.
  /// Thread-safe; does not block on tasks.
  child_counts count_children() const;
  /// The office where refused and cancelled tasks are recorded.
  const std::shared_ptr<dead_letter_office>& dead_letters() const noexcept;

 private:
  result<void> submit(std::shared_ptr<detail::task_job> job);
  std::unique_ptr<detail::task_pool> pool_;
};

/// The process-wide task supervisor (see "Root supervisors").
task_supervisor& root_task_supervisor();
/// The process-wide dynamic supervisor (unlimited children, intensity 1/5 s;
/// reports to stderr). Started on first use.
dynamic_supervisor& root_supervisor();

}  // namespace v1
}  // namespace tether
