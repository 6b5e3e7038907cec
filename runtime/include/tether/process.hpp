// tether/process.hpp - the process abstraction shared by children, servers,
// tasks and supervisors.
//
// Purpose
//   A "process" is one unit of supervised execution: it has a unique pid, a
//   name, a std::stop_source through which its owner asks it to stop, and an
//   exit reason set exactly once when it terminates. Monitors, links and the
//   registry all operate on processes. Users see processes only through
//   `process_ref` (a shared, non-owning-of-the-thread handle); the thread
//   that runs a process is always owned and joined by its supervisor (or by
//   the standalone owner object), never by a process_ref.
//
// Lifetime
//   A process_core lives as long as any process_ref, server_ref, task handle,
//   monitor or registry entry refers to it. Holding a process_ref does not
//   keep the thread alive and never delays its join.
//
// Thread-safety
//   All members of process_ref and detail::process_core are safe to call
//   concurrently.
//
// Blocking behaviour
//   wait_exited()/wait_exited_until() block the caller; nothing else blocks
//   except detail::process_core::remove_watcher, which waits for an exit
//   notification that is running right now on another thread (so a removed
//   watcher is guaranteed not to be running once remove_watcher returns).
//
// Memory ordering
//   Everything the process did before terminating happens-before a
//   successful wait_exited() and before every watcher invocation.
//
// Undefined behaviour
//   Calling detail::process_core::mark_exited more than once (it is called
//   only by the runtime's thread wrappers).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>
#include <thread>

#include "tether/error.hpp"
#include "tether/timeout.hpp"

namespace tether {
inline namespace v1 {

namespace detail {

class process_core : public std::enable_shared_from_this<process_core> {
 public:
  using clock = std::chrono::steady_clock;
  using watcher = std::function<void(const process_core&, const exit_reason&)>;

  explicit process_core(std::string name);
  virtual ~process_core();
  process_core(const process_core&) = delete;
  process_core& operator=(const process_core&) = delete;

  std::uint64_t pid() const noexcept { return pid_; }
  const std::string& name() const noexcept { return name_; }

  std::stop_token stop_token() const noexcept { return stop_.get_token(); }
  void request_stop() noexcept { stop_.request_stop(); }
  bool stop_requested() const noexcept { return stop_.stop_requested(); }

  /// Delivers an exit signal from a linked process: remembers the first
  /// signal and requests stop. The process then exits with
  /// failure(linked_exit) if the peer failed, or with shutdown(linked_exit)
  /// if the peer exited with shutdown (the reason propagates, as in OTP).
  void exit_signal(const exit_reason& from, std::uint64_t from_pid, std::string_view from_name);
  /// The exit reason a received exit signal imposes, if one was received.
  std::optional<exit_reason> exit_signal_reason() const;
  /// Offered every exit of a linked process (normal exits too) before it
  /// becomes an exit signal: a process that traps exits (a server with
  /// server_options::trap_exits) takes it as a message and returns true; the
  /// default returns false (normal exits are then ignored, others become
  /// exit_signal). Called on the exiting peer's thread; must not block.
  virtual bool trap_exit(const exit_reason& from, std::uint64_t from_pid, std::string_view from_name) {
    (void)from, (void)from_pid, (void)from_name;
    return false;
  }
  /// Called by the body before it returns: exit with `r` instead of the
  /// reason run_process would derive from the returned result (used by
  /// supervisors, which exit with shutdown(intensity_exceeded) when they
  /// give up). Ignored if the body throws.
  void exit_as(exit_reason r);
  std::optional<exit_reason> requested_exit() const;

  /// Sets the exit reason and runs the watchers (on this thread). Once.
  void mark_exited(exit_reason r);
  bool exited() const;
  std::optional<exit_reason> reason() const;
  void wait_exited() const;
  /// time_point::max() waits without a deadline.
  bool wait_exited_until(clock::time_point deadline) const;

  /// Adds a watcher called exactly once with the exit reason. If the process
  /// has already exited, the watcher runs immediately on the calling thread.
  /// Returns an id for remove_watcher (0 if it already ran).
  std::uint64_t add_watcher(watcher fn);
  /// Removes a watcher; after return it is not running and will not run
  /// (unless called from inside that very notification).
  void remove_watcher(std::uint64_t id);

  /// Called by a supervisor when it gives up waiting for this process to
  /// stop (a straggler): from then on registries treat it as gone (its
  /// names are free for the next incarnation). It keeps running until it
  /// returns; its exit is still reported to watchers. Idempotent.
  void mark_abandoned() noexcept { abandoned_.store(true, std::memory_order_release); }
  bool abandoned() const noexcept { return abandoned_.load(std::memory_order_acquire); }

  // Links (see monitor.hpp): link watcher ids keyed by the peer pid.
  void set_link(std::uint64_t peer_pid, std::uint64_t watcher_id);
  std::uint64_t take_link(std::uint64_t peer_pid);  // 0 if none

 private:
  const std::uint64_t pid_;
  const std::string name_;
  std::stop_source stop_;
  std::atomic<bool> abandoned_{false};
  mutable std::mutex mu_;
  mutable std::condition_variable cv_;
  std::optional<exit_reason> reason_;            // guarded by mu_
  std::optional<exit_reason> exit_signal_;       // guarded by mu_
  std::optional<exit_reason> exit_as_;           // guarded by mu_
  std::map<std::uint64_t, watcher> watchers_;    // guarded by mu_
  std::map<std::uint64_t, std::uint64_t> links_; // guarded by mu_
  std::uint64_t next_watcher_ = 1;               // guarded by mu_
  bool notifying_ = false;                       // guarded by mu_
  std::thread::id notifier_;                     // guarded by mu_
};

/// Runs `body` as the whole life of `core` on the current thread: converts a
/// returned error or an escaping exception into failure, a return after a
/// stop request into shutdown, a received exit signal into
/// failure(linked_exit) or shutdown(linked_exit) (see exit_signal), honours
/// exit_as, and calls mark_exited. Never throws.
void run_process(process_core& core, const std::function<result<void>()>& body) noexcept;

}  // namespace detail

namespace detail {
struct core_access;
}  // namespace detail

/// Shared handle to a process (child, server, task or supervisor).
/// Default-constructed refs are empty (valid() == false).
class process_ref {
 public:
  process_ref() = default;
  explicit process_ref(std::shared_ptr<detail::process_core> core) : core_(std::move(core)) {}

  bool valid() const noexcept { return core_ != nullptr; }
  /// 0 for an empty ref.
  std::uint64_t pid() const noexcept { return core_ ? core_->pid() : 0; }
  std::string name() const { return core_ ? core_->name() : std::string{}; }
  /// False for an empty ref or an exited process.
  bool alive() const { return core_ && !core_->exited(); }
  /// The exit reason, once exited.
  std::optional<exit_reason> exit() const { return core_ ? core_->reason() : std::nullopt; }
  /// Blocks until exit or timeout (tether::infinity: no timeout; see
  /// timeout.hpp). Returns true if exited. An empty ref returns true at once.
  bool wait_exited_for(std::chrono::milliseconds timeout) const {
    return !core_ || core_->wait_exited_until(detail::deadline_after(timeout));
  }
  /// As wait_exited_for with an absolute deadline (time_point::max(): none).
  bool wait_exited_until(std::chrono::steady_clock::time_point deadline) const {
    return !core_ || core_->wait_exited_until(deadline);
  }

  /// True once the process's owner (or an exit signal) requested it to
  /// stop; false for an empty ref.
  bool stop_requested() const noexcept { return core_ && core_->stop_requested(); }

  friend bool operator==(const process_ref& a, const process_ref& b) noexcept {
    return a.core_ == b.core_;
  }

 private:
  friend struct detail::core_access;
  std::shared_ptr<detail::process_core> core_;
};

namespace detail {
/// Runtime-internal: the process behind a public handle. Not part of the
/// API (the former process_ref::core() / child_context::core()).
struct core_access {
  static const std::shared_ptr<process_core>& of(const process_ref& p) noexcept { return p.core_; }
  template <class Handle>
  static const std::shared_ptr<process_core>& of_context(const Handle& h) noexcept {
    return h.core_;
  }
  /// child_spec's private process factory.
  template <class Spec>
  static auto& make_process(Spec& s) noexcept {
    return s.make_process_;
  }
};
}  // namespace detail

}  // namespace v1
}  // namespace tether
