// tether/error.hpp - typed errors, exit reasons and the result<T> type.
//
// Purpose
//   Every fallible operation in the tether runtime returns a `tether::result<T>`
//   (see below). `errc` is also a std::error_code enum: `std::error_code ec =
//   tether::errc::timeout;` works, the category is tether::tether_category()
//   (name "tether"), and codes compare equal to the std::errc conditions
//   listed at make_error_code.
//   The `tether::result<T>`
//   (C++20 has no std::expected). A result holds either a T or a
//   `tether::error`: an `errc` code, a human-readable message and, when the
//   failure was an exception, the `std::exception_ptr` that carried it.
//   No tether function reports failure by throwing, except where a header
//   says so explicitly (result<T>::value() on an error).
//
// Lifetime
//   Plain value types; copyable and movable. An error may keep an exception
//   object alive through its exception_ptr.
//
// Thread-safety
//   Like any value type: distinct objects may be used concurrently; one
//   object may be read concurrently but not read while written.
//
// Blocking behaviour
//   Nothing here blocks.
//
// Undefined behaviour
//   Calling operator*, operator-> or value_unchecked() on a result that holds
//   an error, or error() on a result that holds a value.
#pragma once

#include <cstdint>
#include <exception>
#include <stdexcept>
#include <string>
#include <system_error>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>

namespace tether {
inline namespace v1 {

/// Every error code the runtime can return. Each public function lists the
/// subset it can produce.
enum class errc : std::uint8_t {
  timeout = 1,          ///< a deadline passed before the operation completed
  no_process,           ///< the target process is dead, not started, or the name is unknown
  crashed,              ///< the handler threw while serving this request; the server exited
  shutdown,             ///< the target was stopped (or is shutting down) before it could complete:
                        ///< server calls queued when it was stopped, tasks refused or cancelled by
                        ///< task-supervisor shutdown, state writes of an abandoned straggler
  exception,            ///< a task or child body threw; error::exception holds it
  child_failed,         ///< for child and task bodies to return as a generic "this child failed";
                        ///< the runtime never synthesizes it (a returned error is passed through
                        ///< unchanged as the exit reason failure(<that error>))
  mailbox_full,         ///< bounded mailbox full (reject policy, or block policy timed out)
  max_children,         ///< dynamic supervisor already has max_children children
  already_started,      ///< a child id or registry name is already in use
  not_found,            ///< no such child id / key
  start_failed,         ///< a child's start (init) failed
  intensity_exceeded,   ///< more than max_restarts restarts within the period; supervisor gave up
  linked_exit,          ///< a linked process exited abnormally
  invalid_argument,     ///< a precondition on the arguments was violated
  already_consumed,     ///< a task's value was already taken by an earlier await
  io_error,             ///< an operating-system I/O call failed (errno in the message)
  corrupt,              ///< stored data failed its checksum or framing check
  bad_type,             ///< a registry entry or child is not of the requested server type
  running,              ///< the child is running (delete_child / restart_child need a terminated child)
  already_present,      ///< start_child on a static supervisor: the id names a terminated child
                        ///< whose spec is kept (restart_child or delete_child it first)
};

/// Stable lower-case name of a code, e.g. "no_process".
std::string_view to_string(errc code) noexcept;

/// The std::error_category of errc: name() "tether", message(v) the code's
/// name and meaning. A function-local static: safe to use from any thread,
/// also during static initialization and destruction.
const std::error_category& tether_category() noexcept;

/// std::error_code{static_cast<int>(e), tether_category()}; found by ADL, so
/// `std::error_code ec = tether::errc::timeout;` works. Value 0 is never an
/// errc (success). Equivalent std::errc conditions:
///   timeout -> timed_out, no_process -> no_such_process,
///   invalid_argument -> invalid_argument, io_error -> io_error,
///   mailbox_full -> no_buffer_space (only these; the others have none).
std::error_code make_error_code(errc e) noexcept;

/// A typed error: code, message and optional exception.
struct error {
  errc code{errc::invalid_argument};
  std::string message;
  std::exception_ptr exception;  ///< set for errc::exception and errc::crashed

  error() = default;
  error(errc c, std::string msg = {}, std::exception_ptr ex = nullptr)
      : code(c), message(std::move(msg)), exception(std::move(ex)) {}

  /// "code: message" (and the exception's what() if it is a std::exception).
  std::string describe() const;

  /// Rethrows the stored exception. Precondition: exception != nullptr.
  [[noreturn]] void rethrow() const { std::rethrow_exception(exception); }

  /// The code as a std::error_code (make_error_code(code)).
  std::error_code error_code() const noexcept { return make_error_code(code); }
};

/// Builds an errc::exception error from the exception currently being handled.
/// Must be called inside a catch block.
error current_exception_error(errc code = errc::exception, std::string context = {});

/// Thrown only by result<T>::value() when the result holds an error.
class bad_result_access : public std::runtime_error {
 public:
  explicit bad_result_access(tether::error e)
      : std::runtime_error(e.describe()), error_(std::move(e)) {}
  const tether::error& error() const noexcept { return error_; }

 private:
  tether::error error_;
};

/// Holds either a T or an error. Modelled on std::expected<T, error>.
template <class T>
class [[nodiscard]] result {
 public:
  using value_type = T;

  result(const T& v) : v_(std::in_place_index<0>, v) {}  // NOLINT(implicit)
  result(T&& v) : v_(std::in_place_index<0>, std::move(v)) {}  // NOLINT(implicit)
  result(tether::error e) : v_(std::in_place_index<1>, std::move(e)) {}  // NOLINT(implicit)
  template <class... A>
  explicit result(std::in_place_t, A&&... a) : v_(std::in_place_index<0>, std::forward<A>(a)...) {}

  bool has_value() const noexcept { return v_.index() == 0; }
  explicit operator bool() const noexcept { return has_value(); }

  /// Undefined if !has_value().
  T& operator*() & noexcept { return *std::get_if<0>(&v_); }
  const T& operator*() const& noexcept { return *std::get_if<0>(&v_); }
  T&& operator*() && noexcept { return std::move(*std::get_if<0>(&v_)); }
  T* operator->() noexcept { return std::get_if<0>(&v_); }
  const T* operator->() const noexcept { return std::get_if<0>(&v_); }

  /// Throws bad_result_access if !has_value().
  T& value() & { check(); return *std::get_if<0>(&v_); }
  const T& value() const& { check(); return *std::get_if<0>(&v_); }
  T&& value() && { check(); return std::move(*std::get_if<0>(&v_)); }

  template <class U>
  T value_or(U&& alt) const& { return has_value() ? **this : static_cast<T>(std::forward<U>(alt)); }

  /// Undefined if has_value().
  const tether::error& error() const& noexcept { return *std::get_if<1>(&v_); }
  tether::error&& error() && noexcept { return std::move(*std::get_if<1>(&v_)); }

  /// errc of the error, or no value if has_value().
  bool is(errc c) const noexcept { return !has_value() && error().code == c; }

 private:
  void check() const {
    if (!has_value()) throw bad_result_access(*std::get_if<1>(&v_));
  }
  std::variant<T, tether::error> v_;
};

/// result<void>: success or an error.
template <>
class [[nodiscard]] result<void> {
 public:
  using value_type = void;
  result() = default;
  result(tether::error e) : err_(std::move(e)), ok_(false) {}  // NOLINT(implicit)

  bool has_value() const noexcept { return ok_; }
  explicit operator bool() const noexcept { return ok_; }
  /// Throws bad_result_access if !has_value().
  void value() const {
    if (!ok_) throw bad_result_access(err_);
  }
  /// Undefined if has_value().
  const tether::error& error() const& noexcept { return err_; }
  tether::error&& error() && noexcept { return std::move(err_); }
  bool is(errc c) const noexcept { return !ok_ && err_.code == c; }

 private:
  tether::error err_;
  bool ok_ = true;
};

/// An empty success value, for readability: `return tether::ok();`
inline result<void> ok() { return {}; }

/// How a process (child, server, task, supervisor) ended.
enum class exit_kind : std::uint8_t {
  normal,    ///< returned by itself without being asked to stop
  shutdown,  ///< stopped because its owner requested it (stop_token), a
             ///< linked process exited with shutdown, or a supervisor gave
             ///< up after reaching its restart intensity (OTP's `shutdown`)
  failure,   ///< threw, reported an error, or received a failure exit signal
};

std::string_view to_string(exit_kind k) noexcept;

/// The reason a process exited.
///   normal    err is unspecified (default-constructed)
///   shutdown  err.code is errc::shutdown for a plain stop request, or the
///             cause: errc::intensity_exceeded (a supervisor gave up) or
///             errc::linked_exit (a linked process exited with shutdown)
///   failure   err is the failure
struct exit_reason {
  exit_kind kind{exit_kind::normal};
  error err;

  static exit_reason normal() { return {exit_kind::normal, {}}; }
  static exit_reason shutdown() { return {exit_kind::shutdown, error(errc::shutdown)}; }
  /// A shutdown with a cause (see above).
  static exit_reason shutdown(error cause) { return {exit_kind::shutdown, std::move(cause)}; }
  static exit_reason failure(error e) { return {exit_kind::failure, std::move(e)}; }
  bool is_failure() const noexcept { return kind == exit_kind::failure; }
  /// "normal", "shutdown", "shutdown (<cause>)" or "failure (<error>)".
  std::string describe() const;
};

}  // namespace v1
}  // namespace tether

template <>
struct std::is_error_code_enum<tether::errc> : std::true_type {};
