// tether/monitor.hpp - monitors (one-way down notifications) and links
// (two-way exit propagation).
//
// Purpose
//   monitor(target) observes one process (server, task, child, supervisor)
//   and yields a `down` with its exit reason when it exits - once. Monitoring
//   a process that has already exited yields its down at once (with its real
//   reason); monitoring an empty ref yields a down with failure(no_process).
//
//   link(a, b) ties two processes: when one exits with a non-normal reason
//   (failure or shutdown), the other receives an exit signal: its stop token
//   is triggered and it exits with the same kind of reason, the cause
//   errc::linked_exit: failure(linked_exit) if the peer failed,
//   shutdown(linked_exit) if the peer exited with shutdown (OTP propagates
//   the exit reason) - so its supervisor restarts it if its restart type
//   says so (a transient peer is restarted after a failure only). A normal
//   exit only removes the link. Unlike OTP there is no trap_exit: supervisors observe their
//   children through their own internal watchers, not through links.
//
// Empty and cancelled monitors
//   A default-constructed or moved-from monitor is empty, and a monitor
//   cancelled by demonitor() before its down arrived will never get one.
//   On both, wait(), wait_for() and poll() return at once a down with pid 0,
//   an empty name and failure(no_process) - as a monitor of an empty
//   process_ref does - instead of blocking forever (wait()) or dereferencing
//   nothing. A down that arrived before demonitor() is kept and returned.
//
// Lifetime
//   A monitor is an RAII object: destroying it (or demonitor()) cancels it.
//   Links live until unlink() or until either process exits.
//
// Thread-safety
//   A monitor object is not synchronized for concurrent use of the same
//   object (like std::future); distinct monitors are independent. link and
//   unlink may be called concurrently.
//
// Blocking behaviour
//   wait_for/wait block; callbacks run on the exiting process's thread right
//   after it exited (or on the thread creating the monitor if the target had
//   already exited) and must not block. demonitor() waits for a callback that
//   is running at that moment on another thread, so after it returns the
//   callback is not running and will not run.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "tether/error.hpp"
#include "tether/process.hpp"

namespace tether {
inline namespace v1 {

/// A down notification.
struct down {
  std::uint64_t pid = 0;
  std::string name;
  exit_reason reason;
  std::uint64_t ref = 0;  ///< for a server's monitor: the monitor_ref id (server.hpp); 0 otherwise
};

class monitor {
 public:
  monitor() = default;
  /// Waitable monitor: read the down with wait_for()/poll().
  explicit monitor(const process_ref& target);
  /// Callback monitor: on_down runs once (see Blocking behaviour).
  monitor(const process_ref& target, std::function<void(const down&)> on_down);
  monitor(monitor&& other) noexcept;
  monitor& operator=(monitor&& other) noexcept;
  monitor(const monitor&) = delete;
  monitor& operator=(const monitor&) = delete;
  ~monitor();

  /// The down, if it arrived within timeout (tether::infinity: no timeout).
  /// Empty or cancelled: the no_process down at once.
  std::optional<down> wait_for(std::chrono::milliseconds timeout) const;
  /// Blocks until the down arrives. Empty or cancelled: the no_process down
  /// at once.
  down wait() const;
  /// The down if it already arrived. Empty or cancelled: the no_process down.
  std::optional<down> poll() const;
  /// Cancels; no down is delivered afterwards (a down already delivered is
  /// kept). Idempotent.
  void demonitor();

 private:
  struct slot {
    std::mutex mu;
    std::condition_variable cv;
    std::optional<down> d;   // guarded by mu
    bool cancelled = false;  // guarded by mu: demonitor() ran before a down arrived
    std::function<void(const down&)> cb;
  };
  std::shared_ptr<slot> slot_;
  std::shared_ptr<detail::process_core> target_;
  std::uint64_t watcher_ = 0;
};

/// Links a and b. Errors: invalid_argument (same process), no_process (a or
/// b empty or already exited; no link is made).
result<void> link(const process_ref& a, const process_ref& b);
/// Removes a link (no-op if there is none).
void unlink(const process_ref& a, const process_ref& b);

}  // namespace v1
}  // namespace tether
