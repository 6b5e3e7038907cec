// tether/dynamic_supervisor.hpp - children started and stopped at run time.
//
// Purpose
//   OTP's DynamicSupervisor: starts with no children; start_child() adds one
//   at run time; strategy is always one_for_one; at most max_children may
//   run at once. Restart types, restart intensity (default 1 in 5 s),
//   escalation, shutdown protocol (stop_token, deadline, straggler report)
//   and the state store work exactly as in tether/supervisor.hpp.
//   A child that exits and is not restarted (temporary; transient with a
//   normal exit) is removed and its state scope erased. Significant children
//   and auto_shutdown work as in a static supervisor (see
//   dynamic_supervisor_flags::auto_shutdown).
//
// Lifetime, thread-safety, blocking
//   As for tether::supervisor (see supervisor.hpp). start_child blocks until
//   the child's start completed (ready() if await_ready). Children are
//   stopped in reverse order of their start on stop().
#pragma once

#include <chrono>
#include <cstddef>
#include <limits>
#include <memory>
#include <optional>

#include "tether/supervisor.hpp"

namespace tether {
inline namespace v1 {

struct dynamic_supervisor_flags {
  int max_restarts = 1;                    ///< default 1 (OTP)
  std::chrono::milliseconds period{5000};  ///< default 5 s (OTP)
  std::size_t max_children = std::numeric_limits<std::size_t>::max();  ///< default unlimited
  /// OTP 24's auto_shutdown for a dynamic supervisor (default never, as
  /// OTP). With any_significant or all_significant, start_child accepts
  /// significant children (child_spec::significant, transient or temporary
  /// only) and the supervisor shuts itself down - report_kind::auto_shutdown,
  /// its other children stopped in reverse start order, exit reason
  /// shutdown (err.code errc::shutdown, the message names the child) - when
  ///   any_significant: a significant child exits by itself and is not
  ///                    restarted (a temporary child's any exit, a
  ///                    transient child's normal or shutdown exit);
  ///   all_significant: such an exit leaves no significant child running.
  /// terminate_child, stop() and the shutdown of the parent never trigger
  /// it; a supervisor that never had a significant child never triggers it.
  /// With never, a significant spec is invalid_argument.
  /// OTP: OTP 24-26 allowed auto_shutdown on simple_one_for_one (all of
  /// whose children share one spec, so all_significant meant "no child
  /// left"); OTP 27 rejects it. tether follows OTP 24-26 and, since a
  /// dynamic supervisor's children have their own specs, all_significant
  /// counts only the significant ones (non-significant children may still
  /// run; they are stopped with the supervisor).
  tether::auto_shutdown auto_shutdown = tether::auto_shutdown::never;
};

class dynamic_supervisor_ref : public supervisor_ref {
 public:
  dynamic_supervisor_ref() = default;
  /// Errors: bad_type (not a dynamic supervisor), no_process (empty ref).
  static result<dynamic_supervisor_ref> from(const process_ref& p);

  /// Starts a child now. Errors:
  ///   max_children     - already max_children children (message states the limit)
  ///   already_started  - a child with this id is running
  ///   invalid_argument - empty id or start function; a significant child
  ///                      that is permanent or under auto_shutdown never
  ///   start_failed     - the child's start failed (error holds the cause)
  ///   no_process       - the supervisor is not running
  result<process_ref> start_child(child_spec spec) const;

 protected:
  using supervisor_ref::supervisor_ref;
};

/// A child spec for a nested dynamic supervisor (shutdown infinity).
child_spec dynamic_supervisor_child(std::string id, dynamic_supervisor_flags flags = {},
                                    restart_type restart = restart_type::permanent,
                                    supervisor_options opts = {});

/// A top-level dynamic supervisor.
class dynamic_supervisor : public dynamic_supervisor_ref {
 public:
  explicit dynamic_supervisor(dynamic_supervisor_flags flags = {}, supervisor_options opts = {});
  ~dynamic_supervisor();
  dynamic_supervisor(const dynamic_supervisor&) = delete;
  dynamic_supervisor& operator=(const dynamic_supervisor&) = delete;

  /// Starts the supervisor thread. Errors: already_started.
  result<void> start();
  /// Stops all children in reverse start order; blocks. Idempotent.
  void stop();
  /// Blocks until terminated (see supervisor::wait).
  exit_reason wait();
  std::optional<exit_reason> wait_for(std::chrono::milliseconds timeout);
  /// As supervisor::running(): safe concurrently with start().
  bool running() const;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace v1
}  // namespace tether
