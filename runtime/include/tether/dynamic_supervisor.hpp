// tether/dynamic_supervisor.hpp - children started and stopped at run time.
//
// Purpose
//   OTP's DynamicSupervisor: starts with no children; start_child() adds one
//   at run time; strategy is always one_for_one; at most max_children may
//   run at once. Restart types, restart intensity (default 1 in 5 s),
//   escalation, shutdown protocol (stop_token, deadline, straggler report)
//   and the state store work exactly as in tether/supervisor.hpp.
//   A child that exits and is not restarted (temporary; transient with a
//   normal exit) is removed and its state scope erased.
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
};

class dynamic_supervisor_ref : public supervisor_ref {
 public:
  dynamic_supervisor_ref() = default;
  /// Errors: bad_type (not a dynamic supervisor), no_process (empty ref).
  static result<dynamic_supervisor_ref> from(const process_ref& p);

  /// Starts a child now. Errors:
  ///   max_children     - already max_children children (message states the limit)
  ///   already_started  - a child with this id is running
  ///   invalid_argument - empty id or start function
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
