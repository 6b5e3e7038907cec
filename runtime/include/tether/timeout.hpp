// tether/timeout.hpp - timeouts, "wait forever" and saturating deadlines.
//
// Purpose
//   Every blocking function of the runtime takes either a relative timeout
//   (std::chrono::milliseconds) or, where an overload exists, an absolute
//   deadline (std::chrono::steady_clock::time_point). `tether::infinity`
//   (= std::chrono::milliseconds::max()) is a timeout meaning "wait
//   forever"; any timeout too large to be added to steady_clock::now() is
//   treated the same way. The runtime never computes `now() + timeout`
//   unchecked: all deadline arithmetic saturates (see detail::deadline_after),
//   so no timeout value is undefined behaviour.
//
//   timeout value                         meaning
//     <= 0                                already expired: a single check, no wait
//     > 0, now() + t representable        wait until now() + t
//     too large (e.g. tether::infinity)   wait without a deadline
//   deadline value
//     steady_clock::time_point::max()     wait without a deadline
//     in the past                         a single check, no wait
//
// Thread-safety
//   Constants and pure functions only.
//
// Blocking behaviour
//   detail::wait_until blocks like std::condition_variable::wait_until.
#pragma once

#include <chrono>

namespace tether {
inline namespace v1 {

/// A timeout meaning "wait forever" (OTP's `infinity`). Usable wherever the
/// runtime takes a std::chrono::milliseconds timeout.
inline constexpr std::chrono::milliseconds infinity = std::chrono::milliseconds::max();

namespace detail {

using steady = std::chrono::steady_clock;

/// `now + t`, saturated: t <= 0 yields now, a sum that would overflow yields
/// steady::time_point::max() ("no deadline").
constexpr steady::time_point deadline_after(std::chrono::milliseconds t, steady::time_point now) noexcept {
  if (t <= std::chrono::milliseconds::zero()) return now;
  // Compare in milliseconds: converting t to steady::duration could overflow.
  const auto room = std::chrono::duration_cast<std::chrono::milliseconds>(steady::time_point::max() - now);
  if (t >= room) return steady::time_point::max();
  return now + std::chrono::duration_cast<steady::duration>(t);
}

inline steady::time_point deadline_after(std::chrono::milliseconds t) noexcept {
  return deadline_after(t, steady::now());
}

constexpr bool unbounded(steady::time_point deadline) noexcept {
  return deadline == steady::time_point::max();
}

/// cv.wait_until(lk, deadline, pred), except that an unbounded deadline
/// waits without one (time_point::max() is not passed to the OS).
template <class CV, class Lock, class Pred>
bool wait_until(CV& cv, Lock& lk, steady::time_point deadline, Pred pred) {
  if (unbounded(deadline)) {
    cv.wait(lk, pred);
    return true;
  }
  return cv.wait_until(lk, deadline, pred);
}

/// True if `age` (a non-negative elapsed time) exceeds `limit`, without
/// converting `limit` to a finer unit (which could overflow).
constexpr bool longer_than(steady::duration age, std::chrono::milliseconds limit) noexcept {
  return std::chrono::duration_cast<std::chrono::milliseconds>(age) > limit;
}

}  // namespace detail
}  // namespace v1
}  // namespace tether
