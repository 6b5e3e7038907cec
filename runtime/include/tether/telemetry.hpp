// tether/telemetry.hpp - observation-only events (modelled on Erlang's :telemetry).
//
// Purpose
//   emit(event, measurements, metadata) publishes an event; attach(handler)
//   subscribes. Telemetry *only observes*: handlers return void so they can
//   never feed a value back into the emitter, handler exceptions are caught,
//   counted and reported (and the failing handler is detached, as
//   :telemetry does), and the emitter never waits on a handler: events are
//   queued and dispatched on the bus's own thread. Using a telemetry handler
//   to drive control flow (e.g. to notify a condition variable that
//   program logic waits on) is the anti-pattern this API is designed against;
//   use a task handle, a monitor or a server call instead.
//
// Lifetime
//   A telemetry_bus owns one dispatcher std::jthread, started in the
//   constructor. The destructor stops accepting events, dispatches the events
//   already queued, then joins the dispatcher. Handlers are std::function
//   objects owned by the bus until detached.
//
// Thread-safety
//   emit, attach, detach and the counters may be called concurrently from any
//   thread, including from inside a handler (a handler that emits enqueues a
//   new event; it is dispatched later, never re-entrantly).
//
// Blocking behaviour
//   emit() never blocks on handlers: it takes the queue mutex briefly and
//   returns. When the queue holds `capacity` undispatched events, emit drops
//   the new event, counts it (dropped()) and records a dead letter with
//   reason telemetry_overflow. Handlers run one at a time, in attach order,
//   on the dispatcher thread. attach/detach take the handler-list mutex,
//   which a dispatch holds only while copying the list.
//   flush() blocks until every event emitted before the call was dispatched.
//
// Memory ordering
//   Everything written by the emitting thread before emit() happens-before
//   the handler invocations for that event.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

#include "tether/dead_letters.hpp"
#include "tether/error.hpp"

namespace tether {
inline namespace v1 {

/// One telemetry event. `name` is dotted, e.g. "tether.supervisor.restart".
struct telemetry_event {
  std::string name;
  std::map<std::string, double> measurements;
  std::map<std::string, std::string> metadata;
};

/// A handler observes an event; it cannot return anything to the emitter.
using telemetry_handler = std::function<void(const telemetry_event&)>;

/// Reported when a handler throws (it is then detached).
struct telemetry_handler_failure {
  std::string handler_id;
  std::string event;
  std::string what;
};

struct telemetry_options {
  std::size_t capacity = 4096;  ///< max queued, undispatched events (default 4096)
  std::shared_ptr<dead_letter_office> dead_letters;  ///< default: a private office
  /// Called on the dispatcher thread after a handler threw. May be empty.
  std::function<void(const telemetry_handler_failure&)> on_handler_failure;
};

class telemetry_bus {
 public:
  explicit telemetry_bus(telemetry_options opts = {});
  ~telemetry_bus();
  telemetry_bus(const telemetry_bus&) = delete;
  telemetry_bus& operator=(const telemetry_bus&) = delete;

  /// Subscribes `handler` to every event whose name starts with `prefix`
  /// ("" = all events). Errors: already_started if `handler_id` is attached;
  /// invalid_argument if handler is empty.
  result<void> attach(std::string handler_id, std::string prefix, telemetry_handler handler);
  /// Unsubscribes. Errors: not_found. After detach returns, the handler is
  /// not invoked again except for a dispatch already in progress.
  result<void> detach(const std::string& handler_id);

  /// Queues an event. Returns true if queued, false if dropped (queue full or
  /// bus shutting down; the drop is counted and a dead letter recorded).
  /// Never waits for handlers.
  bool emit(std::string name, std::map<std::string, double> measurements = {},
            std::map<std::string, std::string> metadata = {});

  /// Blocks until all events emitted before this call have been dispatched.
  /// Must not be called from a handler (it would wait on itself; returns
  /// immediately in that case).
  void flush();

  std::uint64_t emitted() const noexcept;         ///< events accepted
  std::uint64_t dropped() const noexcept;         ///< events dropped on overflow/shutdown
  std::uint64_t handler_failures() const noexcept;///< handler exceptions caught

 private:
  struct entry {
    std::string id;
    std::string prefix;
    std::shared_ptr<telemetry_handler> fn;
  };
  void run(std::stop_token st);

  telemetry_options opts_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::condition_variable flushed_cv_;
  std::deque<telemetry_event> queue_;   // guarded by mu_
  std::vector<entry> handlers_;         // guarded by mu_
  std::uint64_t enqueued_seq_ = 0;      // guarded by mu_
  std::uint64_t dispatched_seq_ = 0;    // guarded by mu_
  bool closing_ = false;                // guarded by mu_
  std::uint64_t emitted_ = 0;           // guarded by mu_
  std::uint64_t dropped_ = 0;           // guarded by mu_
  std::uint64_t failures_ = 0;          // guarded by mu_
  std::thread::id dispatcher_id_;       // written before first dispatch, then read-only
  std::jthread thread_;                 // last member: started after everything above
};

}  // namespace v1
}  // namespace tether
