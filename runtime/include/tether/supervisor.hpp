// tether/supervisor.hpp - OTP supervisors: child specs, restart strategies,
// restart intensity, escalation, ordered start and reverse-ordered shutdown.
//
// Purpose
//   A supervisor starts its children in order, watches them, restarts them
//   according to their restart type and its strategy, and stops them in
//   reverse order. It mirrors OTP's supervisor:
//
//   restart type (child_spec::restart)      restarted after
//     permanent  (default)                  any exit (normal, shutdown, failure)
//     transient                             failure only
//     temporary                             never
//   strategy (supervisor_flags::strategy)   on a restart of child C
//     one_for_one (default)                 restart C only
//     one_for_all                           stop all others (reverse order), restart all (in order)
//     rest_for_one                          stop the children after C (reverse), restart C and them
//
//   A *failure* is an exception escaping the child body, the body returning
//   an error result, or an exit signal from a linked process that failed
//   (a linked process that exited with shutdown passes shutdown on, as in
//   OTP: see monitor.hpp). Restart intensity: if more than max_restarts
//   restarts happen within `period` (OTP default: 1 within 5 s) the
//   supervisor reports intensity_exceeded, stops all its children and exits
//   - as in OTP - with reason shutdown, the cause attached
//   (exit_reason::shutdown(error(intensity_exceeded))). Its parent therefore
//   restarts it only if it is permanent (a transient or temporary nested
//   supervisor that gave up stays down); a top-level supervisor reports
//   report_kind::escalated and wait() returns that reason. A failed restart (start returned an error or the child
//   exited before ready()) counts as another restart against the intensity
//   (as in OTP) and, if the intensity allows, is retried from the event
//   queue - after the requests and the stop request already queued - together
//   with the children after it in the restart group (OTP's
//   try_again_restart; no back-off).
//
// Child management (OTP's supervisor API)
//   start_child appends a spec to a static supervisor (discarded if its
//   start fails); terminate_child stops a child and keeps its spec (except a
//   temporary child's); restart_child starts a kept spec again; delete_child
//   removes a terminated child's spec. Errors are typed: not_found, running,
//   already_started, already_present, start_failed, invalid_argument,
//   no_process (see each function). count_children returns OTP's counts.
//
// Significant children and auto_shutdown (OTP 24)
//   A transient or temporary child may be `significant`. With
//   supervisor_flags::auto_shutdown any_significant, the supervisor shuts
//   down (reason shutdown) when a significant child exits by itself and is
//   not restarted; with all_significant, when the last running significant
//   child did so. A child stopped by the supervisor (terminate_child, a
//   restart strategy, shutdown) never triggers it. Dynamic supervisors have
//   the same flag (dynamic_supervisor_flags::auto_shutdown; OTP 24-26's
//   simple_one_for_one behaviour, see dynamic_supervisor.hpp).
//
// Threads and shutdown
//   Every child runs on its own std::jthread owned by the supervisor, and
//   every supervisor runs its loop on its own thread. C++ cannot kill a
//   thread, so terminating a child means: request_stop() on the child's
//   std::stop_token, wait up to its `shutdown` timeout, and if it is still
//   running, report report_kind::shutdown_timeout naming the child, then keep
//   owning the thread as a *straggler*: it is never detached; the supervisor
//   continues (restarting or shutting down the rest) and joins the straggler
//   later - when it exits, report_kind::straggler_exited is reported, and the
//   supervisor's destructor blocks until every straggler has exited. An
//   abandoned straggler releases its registered names (registry.hpp) and its
//   state scope (its state_handle refuses writes with errc::shutdown), so
//   the next incarnation of the same child id starts normally.
//   shutdown = infinity waits without a deadline (OTP's default for
//   supervisor children). Children must therefore poll ctx.stop_token() or
//   wait on it (std::condition_variable_any::wait(lock, token, pred)).
//
// Lifetime
//   supervisor objects are created, then start()ed. stop() (or the
//   destructor) terminates the children in reverse start order.
//   The destructor calls stop() and joins the supervisor thread and all
//   stragglers. child_context objects live as long as the child's thread.
//
// Thread-safety
//   All public member functions of supervisor and dynamic_supervisor are
//   safe to call concurrently from any thread except from inside a child of
//   the same supervisor while that supervisor is itself blocked stopping that
//   child (e.g. a child calling stop() on its own supervisor deadlocks) -
//   undefined. Requests are executed on the supervisor thread in FIFO order.
//
// Blocking behaviour
//   start() blocks until every child's start completed (each child's
//   ready(); see child_spec::await_ready). stop() blocks until all children
//   exited or were reported as stragglers. which_children(), whereis(),
//   terminate_child(), restart_child() wait for the supervisor thread to
//   process the request (which may be busy restarting children).
//
// Undefined behaviour
//   Destroying a supervisor from one of its own children's threads.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stop_token>
#include <string>
#include <vector>

#include "tether/dead_letters.hpp"
#include "tether/error.hpp"
#include "tether/process.hpp"
#include "tether/state_store.hpp"
#include "tether/telemetry.hpp"

namespace tether {
inline namespace v1 {

enum class restart_type : std::uint8_t { permanent, transient, temporary };
enum class child_type : std::uint8_t { worker, supervisor };
enum class strategy : std::uint8_t { one_for_one, one_for_all, rest_for_one };
/// OTP 24's auto_shutdown supervisor flag: what a supervisor does
/// when a significant child (child_spec::significant) exits by itself and is
/// not restarted.
enum class auto_shutdown : std::uint8_t {
  never,            ///< default: nothing; significant children are not allowed
  any_significant,  ///< the supervisor shuts down when any significant child exits by itself
  all_significant,  ///< ... when every significant child has exited (the last one by itself)
};

std::string_view to_string(restart_type) noexcept;
std::string_view to_string(strategy) noexcept;
std::string_view to_string(auto_shutdown) noexcept;

/// A shutdown timeout or infinity. Default 5000 ms (OTP's worker default).
/// `shutdown_policy(tether::infinity)` equals `shutdown_policy::infinity()`;
/// a timeout <= 0 means "request stop, do not wait" (the child becomes a
/// straggler at once unless it has already exited).
struct shutdown_policy {
  std::chrono::milliseconds timeout{5000};
  bool infinite = false;

  shutdown_policy() = default;
  shutdown_policy(std::chrono::milliseconds t)  // NOLINT(implicit)
      : timeout(t), infinite(t == std::chrono::milliseconds::max()) {}
  static shutdown_policy infinity() {
    shutdown_policy p;
    p.infinite = true;
    return p;
  }
};

namespace detail {
class supervisor_core;
struct child_start_state;
/// Pass key for child_context's constructor: only supervisors create one.
class context_key {
  context_key() = default;
  friend class supervisor_core;
};
struct tree_env;
/// The dead-letter office of a tree (for processes built by make_process).
std::shared_ptr<dead_letter_office> env_dead_letters(const tree_env& env);
}  // namespace detail

/// What a running child gets: its stop token, its persistent state, its
/// identity, and ready() to acknowledge the end of its init.
/// Thread-safety: all members may be called from any thread.
class child_context {
 public:
  const std::string& id() const noexcept { return id_; }
  /// Stop requested by the supervisor (or an exit signal arrived).
  std::stop_token stop_token() const noexcept { return core_->stop_token(); }
  bool stop_requested() const noexcept { return core_->stop_requested(); }
  /// This child's scope of the supervisor's state store (survives restarts).
  state_handle state() const { return state_; }
  /// 0 for the first start, then +1 per restart of this child id.
  std::uint64_t restarts() const noexcept { return restarts_; }
  /// This child's process (for monitors, links, registries).
  process_ref self() const { return process_ref(core_); }
  const std::shared_ptr<dead_letter_office>& dead_letters() const noexcept { return dead_letters_; }
  /// The tree's telemetry bus, or nullptr.
  telemetry_bus* telemetry() const noexcept { return telemetry_.get(); }
  const std::shared_ptr<telemetry_bus>& telemetry_ptr() const noexcept { return telemetry_; }

  /// Acknowledges that init finished; the supervisor then starts the next
  /// child. Idempotent. Only needed when child_spec::await_ready is true.
  void ready() noexcept;

  /// Runtime-internal (the key can only be made by the runtime).
  child_context(detail::context_key, std::string id, std::shared_ptr<detail::process_core> core,
                state_handle state, std::uint64_t restarts, std::shared_ptr<dead_letter_office> dl,
                std::shared_ptr<telemetry_bus> tel, std::shared_ptr<detail::child_start_state> start);

 private:
  friend struct detail::core_access;
  std::string id_;
  std::shared_ptr<detail::process_core> core_;
  state_handle state_;
  std::uint64_t restarts_;
  std::shared_ptr<dead_letter_office> dead_letters_;
  std::shared_ptr<telemetry_bus> telemetry_;
  std::shared_ptr<detail::child_start_state> start_;
};

/// How to start one child.
struct child_spec {
  std::string id;  ///< unique within the supervisor; also the state-store key
  /// The child's whole life, run on its own thread. Return ok() for a normal
  /// exit (or a shutdown if stop was requested), an error for a failure;
  /// an escaping exception is a failure too.
  std::function<result<void>(child_context&)> start;
  restart_type restart = restart_type::permanent;
  shutdown_policy shutdown{};  ///< default 5000 ms; use infinity() for supervisors
  child_type type = child_type::worker;
  /// If true, the supervisor waits for ctx.ready() (or the child's exit,
  /// which is then a start failure) before starting the next child.
  /// If false (default), the child counts as started when its thread runs.
  bool await_ready = false;
  /// OTP 24's significant child: its own exit (not a termination by the
  /// supervisor) without a restart - a temporary child's any exit, a
  /// transient child's normal or shutdown exit - may shut the supervisor
  /// down, per supervisor_flags::auto_shutdown. Default false. Invalid
  /// (invalid_argument from start() / start_child) on a permanent child and
  /// in a supervisor (static or dynamic) whose auto_shutdown is never.
  bool significant = false;

 private:
  friend struct detail::core_access;
  // Runtime-internal (not part of the API): builds the process object
  // (servers and supervisors use a derived type; `env` is the parent's
  // configuration). Empty = a plain process. Set by server_child,
  // supervisor_child and dynamic_supervisor_child.
  std::function<std::shared_ptr<detail::process_core>(const std::string& id,
                                                      const detail::tree_env& env)>
      make_process_;
};

/// Convenience: a worker whose body only needs the stop token.
/// `body` may return void or result<void>.
template <class F>
child_spec worker(std::string id, F body, restart_type restart = restart_type::permanent,
                  shutdown_policy shutdown = {}) {
  child_spec s;
  s.id = std::move(id);
  s.restart = restart;
  s.shutdown = shutdown;
  s.start = [body = std::move(body)](child_context& ctx) -> result<void> {
    if constexpr (std::is_invocable_v<F&, child_context&>) {
      if constexpr (std::is_void_v<std::invoke_result_t<F&, child_context&>>) {
        body(ctx);
        return ok();
      } else {
        return body(ctx);
      }
    } else {
      if constexpr (std::is_void_v<std::invoke_result_t<F&, std::stop_token>>) {
        body(ctx.stop_token());
        return ok();
      } else {
        return body(ctx.stop_token());
      }
    }
  };
  return s;
}

struct supervisor_flags {
  tether::strategy strategy = tether::strategy::one_for_one;
  int max_restarts = 1;                        ///< OTP intensity, default 1
  std::chrono::milliseconds period{5000};      ///< OTP period, default 5 s
  /// What a significant child's own exit does (default never, as OTP).
  /// When it triggers, the supervisor reports report_kind::auto_shutdown,
  /// stops its other children in reverse order and exits with reason
  /// shutdown (err.code errc::shutdown, the message names the child), so a
  /// permanent parent restarts it and a transient or temporary one does not.
  tether::auto_shutdown auto_shutdown = tether::auto_shutdown::never;
};

/// Something a supervisor reports (OTP's supervisor reports / crash reports).
enum class report_kind : std::uint8_t {
  child_exited,        ///< a child exited (reason attached); precedes any restart
  child_restarted,     ///< a child was restarted
  start_failed,        ///< a child's start failed (counted as a restart when restarting)
  shutdown_timeout,    ///< a child did not stop within its shutdown timeout; now a straggler
  straggler_exited,    ///< a straggler finally exited and was joined
  intensity_exceeded,  ///< restart intensity exceeded; the supervisor stops all children and exits (shutdown)
  escalated,           ///< a top-level supervisor gave up (nothing above it to restart it)
  auto_shutdown,       ///< a significant child exited; the supervisor shuts down (supervisor_flags::auto_shutdown)
};
std::string_view to_string(report_kind) noexcept;

struct supervisor_report {
  report_kind kind;
  std::string supervisor;  ///< the reporting supervisor's name
  std::string child;       ///< the child id ("" for supervisor-wide reports)
  exit_reason reason;      ///< the exit reason involved, when there is one
  std::string message;
};

struct supervisor_options {
  std::string name = "supervisor";  ///< used in reports and as the root state scope
  /// Called on the supervisor thread for every report; must not block for
  /// long and must not call back into this supervisor. Default (empty):
  /// reports other than child_exited/child_restarted go to stderr.
  /// Nested supervisors inherit their parent's handler.
  std::function<void(const supervisor_report&)> on_report;
  std::shared_ptr<state_store> store;               ///< default: a new in-memory store
  std::shared_ptr<dead_letter_office> dead_letters; ///< default: a new office
  std::shared_ptr<telemetry_bus> telemetry;         ///< optional; events "tether.supervisor.*"
};

/// What which_children() returns per child.
struct child_info {
  std::string id;
  child_type type;
  restart_type restart;
  bool running;
  process_ref process;        ///< current incarnation (empty if not running)
  std::uint64_t restarts;     ///< times this child id was restarted
  bool significant = false;   ///< child_spec::significant
};

/// What count_children() returns: OTP's supervisor:count_children/1.
struct child_counts {
  std::size_t specs = 0;        ///< children the supervisor knows: every spec of a static
                                ///< supervisor (running or not), every child of a dynamic one
  std::size_t active = 0;       ///< children running now
  std::size_t supervisors = 0;  ///< of the specs, those of type child_type::supervisor (running or not)
  std::size_t workers = 0;      ///< of the specs, those of type child_type::worker (running or not)
  friend bool operator==(const child_counts&, const child_counts&) = default;
};

/// Shared request API of static and dynamic supervisors (and of refs to
/// nested ones). All functions block until the supervisor thread handled the
/// request; all return no_process at once (without blocking) if the
/// supervisor is not running: never started, failed to start, or exited.
/// Requests made while start() is still starting the initial children are
/// served once they all started.
class supervisor_ref {
 public:
  supervisor_ref() = default;
  /// A ref to a nested supervisor child (from whereis()/which_children()).
  /// Errors: bad_type if `p` is not a supervisor, no_process if empty.
  static result<supervisor_ref> from(const process_ref& p);

  /// Children in start order. Empty if the supervisor is not running.
  std::vector<child_info> which_children() const;
  /// OTP's counts (see child_counts). All zero if the supervisor is not
  /// running.
  child_counts count_children() const;
  /// The current process of child `id`. Errors: not_found (no such id),
  /// no_process (child not running, or supervisor not running).
  result<process_ref> whereis(const std::string& id) const;
  /// Adds a child at run time (OTP's supervisor:start_child/2). On a static
  /// supervisor the spec is appended after the existing children (it takes
  /// part in one_for_all / rest_for_one as the last child and is stopped
  /// first); if its start fails the spec is discarded, as OTP does. Errors:
  ///   already_started  - a running child has this id
  ///   already_present  - a terminated child with this id is kept (static)
  ///   invalid_argument - empty id or start function; significant on a
  ///                      permanent child or with auto_shutdown never
  ///   start_failed     - the child's start failed (the cause attached)
  ///   max_children     - dynamic supervisor only (see dynamic_supervisor.hpp)
  ///   no_process       - the supervisor is not running
  result<process_ref> start_child(child_spec spec) const;
  /// Stops child `id` (shutdown protocol) without restarting it and without
  /// triggering auto_shutdown. A static supervisor keeps the spec
  /// (restart_child starts it again, delete_child removes it) except for a
  /// temporary child, whose spec is removed (OTP); a dynamic one removes it.
  /// A removed child's state scope is erased. Terminating a terminated
  /// child is ok. Errors: not_found, no_process.
  result<void> terminate_child(const std::string& id) const;
  /// Starts a terminated child of a static supervisor again (OTP's
  /// supervisor:restart_child/2; not counted against the intensity).
  /// Errors: not_found, running (the child is running), start_failed (the
  /// spec is kept), invalid_argument (dynamic supervisor), no_process.
  result<process_ref> restart_child(const std::string& id) const;
  /// Removes the spec of a terminated child of a static supervisor (OTP's
  /// supervisor:delete_child/2) and erases its state scope.
  /// Errors: not_found, running (terminate it first), invalid_argument
  /// (dynamic supervisor: terminate_child already removes), no_process.
  result<void> delete_child(const std::string& id) const;
  /// The supervisor's own process.
  process_ref process() const;
  /// The supervisor's state store.
  std::shared_ptr<state_store> store() const;
  bool valid() const noexcept { return core_ != nullptr; }

 protected:
  explicit supervisor_ref(std::shared_ptr<detail::supervisor_core> c) : core_(std::move(c)) {}
  std::shared_ptr<detail::supervisor_core> core_;
};

/// A child spec for a nested (static) supervisor. Its shutdown defaults to
/// infinity and its type is child_type::supervisor. It inherits the parent's
/// store (scoped under its id), dead-letter office, telemetry and
/// report handler unless `opts` sets them.
child_spec supervisor_child(std::string id, supervisor_flags flags, std::vector<child_spec> children,
                            restart_type restart = restart_type::permanent,
                            supervisor_options opts = {});

/// A top-level static supervisor.
class supervisor : public supervisor_ref {
 public:
  supervisor(supervisor_flags flags, std::vector<child_spec> children,
             supervisor_options opts = {});
  ~supervisor();
  supervisor(const supervisor&) = delete;
  supervisor& operator=(const supervisor&) = delete;

  /// Starts the supervisor thread and its children in order; returns when
  /// all started. Errors: already_started (called twice), invalid_argument
  /// (duplicate child ids, empty start function), start_failed (a child's
  /// start failed: the children already started were stopped in reverse
  /// order and the supervisor is not running).
  result<void> start();
  /// Requests shutdown and blocks until all children were stopped (in
  /// reverse order) or reported as stragglers. Idempotent.
  void stop();
  /// Blocks until the supervisor terminated; returns how: shutdown (err.code
  /// errc::shutdown) after stop(), shutdown with err.code
  /// errc::intensity_exceeded after it gave up (escalation).
  /// Precondition: start() succeeded (otherwise returns failure(no_process)).
  exit_reason wait();
  /// Like wait() with a timeout (tether::infinity: none); nullopt on timeout.
  std::optional<exit_reason> wait_for(std::chrono::milliseconds timeout);
  /// True from the successful return of start() until the supervisor exited.
  /// Safe to call concurrently with start() and stop() (false while start()
  /// is still starting children).
  bool running() const;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace v1
}  // namespace tether
