#include "tether/error.hpp"

namespace tether {
inline namespace v1 {

std::string_view to_string(errc code) noexcept {
  switch (code) {
    case errc::timeout: return "timeout";
    case errc::no_process: return "no_process";
    case errc::crashed: return "crashed";
    case errc::shutdown: return "shutdown";
    case errc::exception: return "exception";
    case errc::child_failed: return "child_failed";
    case errc::mailbox_full: return "mailbox_full";
    case errc::max_children: return "max_children";
    case errc::already_started: return "already_started";
    case errc::not_found: return "not_found";
    case errc::start_failed: return "start_failed";
    case errc::intensity_exceeded: return "intensity_exceeded";
    case errc::linked_exit: return "linked_exit";
    case errc::invalid_argument: return "invalid_argument";
    case errc::already_consumed: return "already_consumed";
    case errc::io_error: return "io_error";
    case errc::corrupt: return "corrupt";
    case errc::bad_type: return "bad_type";
    case errc::running: return "running";
    case errc::already_present: return "already_present";
  }
  return "unknown";
}

namespace {

const char* meaning(errc code) noexcept {
  switch (code) {
    case errc::timeout: return "a deadline passed before the operation completed";
    case errc::no_process: return "the target process is dead, not started, or the name is unknown";
    case errc::crashed: return "the handler threw while serving this request; the server exited";
    case errc::shutdown: return "the target was stopped before it could complete";
    case errc::exception: return "a task or child body threw";
    case errc::child_failed: return "a child reported a failure";
    case errc::mailbox_full: return "bounded mailbox full";
    case errc::max_children: return "dynamic supervisor already has max_children children";
    case errc::already_started: return "already started, or the id or name is in use";
    case errc::not_found: return "no such child id or key";
    case errc::start_failed: return "a child's start failed";
    case errc::intensity_exceeded: return "restart intensity exceeded; the supervisor gave up";
    case errc::linked_exit: return "a linked process exited";
    case errc::invalid_argument: return "a precondition on the arguments was violated";
    case errc::already_consumed: return "the task's value was already taken";
    case errc::io_error: return "an operating-system I/O call failed";
    case errc::corrupt: return "stored data failed its checksum or framing check";
    case errc::bad_type: return "not of the requested server or supervisor type";
    case errc::running: return "the child is running";
    case errc::already_present: return "a terminated child with this id is still present";
  }
  return "unknown tether error";
}

class category_impl final : public std::error_category {
 public:
  const char* name() const noexcept override { return "tether"; }
  std::string message(int v) const override {
    const auto code = static_cast<errc>(v);
    return std::string(to_string(code)) + ": " + meaning(code);
  }
  std::error_condition default_error_condition(int v) const noexcept override {
    switch (static_cast<errc>(v)) {
      case errc::timeout: return std::make_error_condition(std::errc::timed_out);
      case errc::no_process: return std::make_error_condition(std::errc::no_such_process);
      case errc::invalid_argument: return std::make_error_condition(std::errc::invalid_argument);
      case errc::io_error: return std::make_error_condition(std::errc::io_error);
      case errc::mailbox_full: return std::make_error_condition(std::errc::no_buffer_space);
      default: return std::error_condition(v, *this);
    }
  }
};

}  // namespace

const std::error_category& tether_category() noexcept {
  static const category_impl cat;  // constant after construction; never destroyed early (trivial dtor)
  return cat;
}

std::error_code make_error_code(errc e) noexcept { return {static_cast<int>(e), tether_category()}; }

std::string_view to_string(exit_kind k) noexcept {
  switch (k) {
    case exit_kind::normal: return "normal";
    case exit_kind::shutdown: return "shutdown";
    case exit_kind::failure: return "failure";
  }
  return "unknown";
}

std::string error::describe() const {
  std::string out(to_string(code));
  if (!message.empty()) {
    out += ": ";
    out += message;
  }
  if (exception) {
    try {
      std::rethrow_exception(exception);
    } catch (const std::exception& e) {
      out += " [exception: ";
      out += e.what();
      out += "]";
    } catch (...) {
      out += " [non-standard exception]";
    }
  }
  return out;
}

error current_exception_error(errc code, std::string context) {
  std::exception_ptr ep = std::current_exception();
  std::string msg = std::move(context);
  try {
    if (ep) std::rethrow_exception(ep);
  } catch (const std::exception& e) {
    if (!msg.empty()) msg += ": ";
    msg += e.what();
  } catch (...) {
    if (!msg.empty()) msg += ": ";
    msg += "non-standard exception";
  }
  return error(code, std::move(msg), ep);
}

std::string exit_reason::describe() const {
  std::string out(to_string(kind));
  if (kind == exit_kind::failure || (kind == exit_kind::shutdown && err.code != errc::shutdown)) {
    out += " (";
    out += err.describe();
    out += ")";
  }
  return out;
}

}  // namespace v1
}  // namespace tether
