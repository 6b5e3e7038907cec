#include "tether/error.hpp"

namespace tether {

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
  }
  return "unknown";
}

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

}  // namespace tether
