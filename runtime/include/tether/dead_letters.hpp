// tether/dead_letters.hpp - the dead-letter office: every undelivered message,
// with a typed reason and a readable counter.
//
// Purpose
//   Whenever the runtime cannot deliver a message (a call or cast to a dead
//   server, a full mailbox, a reply that arrived after its caller gave up,
//   messages still queued when a server exited or was stopped, telemetry
//   events dropped on overflow, tasks refused or cancelled by a task
//   supervisor's shutdown) it records a dead letter here.
//   Nothing is dropped silently: the per-reason counters only ever grow and
//   the most recent `history` letters are kept for inspection.
//
// Lifetime
//   Shared through std::shared_ptr. Each supervisor tree has one office
//   (supervisor_options::dead_letters, inherited by nested supervisors and by
//   every server they start); a standalone server or task_supervisor creates
//   its own unless one is given. There is no global office.
//
// Thread-safety
//   All member functions are safe to call concurrently. Counters are
//   std::atomic (relaxed increments; a count read after joining the sender
//   thread is exact). The history ring is guarded by an internal mutex.
//
// Blocking behaviour
//   record() takes a mutex for a few instructions (history ring) and calls
//   the optional handler synchronously on the recording thread; a handler
//   must therefore be short and must not call back into the office.
//   Handler exceptions are caught and counted (handler_failures()).
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace tether {
inline namespace v1 {

/// Why a message could not be delivered.
enum class dead_letter_reason : std::uint8_t {
  no_process = 0,      ///< the target was not alive (dead, not yet restarted, unknown name)
  mailbox_full,        ///< bounded mailbox full (reject, or block timed out)
  process_exited,      ///< still queued when the target crashed (exited with a failure); never handled
  late_reply,          ///< a reply produced after the caller's timeout; discarded
  shutdown,            ///< refused or dropped because the receiver was stopped / shutting down:
                       ///< server messages queued when it was stopped, tasks submitted after or
                       ///< still queued at task-supervisor shutdown
  telemetry_overflow,  ///< telemetry event dropped because the dispatch queue was full
  unhandled,           ///< a server got an info message (a down, an exit, an info_type payload) it
                       ///< has no handle_info for; dropped, as OTP's default handle_info does
  count_               ///< number of reasons (not a reason)
};

std::string_view to_string(dead_letter_reason r) noexcept;

/// One undelivered message.
struct dead_letter {
  dead_letter_reason reason;
  std::string target;       ///< name/id of the intended receiver (may be empty)
  std::string description;  ///< what the message was ("call", "cast", event name...)
};

class dead_letter_office {
 public:
  /// `history`: how many recent letters to keep (0 = counters only).
  explicit dead_letter_office(std::size_t history = 256);
  dead_letter_office(const dead_letter_office&) = delete;
  dead_letter_office& operator=(const dead_letter_office&) = delete;

  /// Records one undelivered message. Never fails, never throws.
  void record(dead_letter_reason reason, std::string_view target,
              std::string_view description) noexcept;

  /// Number of letters recorded with `reason` so far.
  std::uint64_t count(dead_letter_reason reason) const noexcept;
  /// Sum over all reasons.
  std::uint64_t total() const noexcept;
  /// Copy of the most recent letters, oldest first (at most `history`).
  std::vector<dead_letter> recent() const;

  /// Installs a handler called synchronously for every letter (replaces any
  /// previous one; pass nullptr to remove). It must not block and must not
  /// call record(); exceptions it throws are caught and counted.
  void set_handler(std::function<void(const dead_letter&)> handler);
  std::uint64_t handler_failures() const noexcept;

 private:
  std::array<std::atomic<std::uint64_t>, static_cast<std::size_t>(dead_letter_reason::count_)>
      counts_{};
  std::atomic<std::uint64_t> handler_failures_{0};
  std::size_t history_;
  mutable std::mutex mu_;
  std::deque<dead_letter> recent_;                         // guarded by mu_
  std::shared_ptr<std::function<void(const dead_letter&)>> handler_;  // guarded by mu_
};

}  // namespace v1
}  // namespace tether
