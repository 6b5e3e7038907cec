#include "tether/dead_letters.hpp"

namespace tether {
inline namespace v1 {

std::string_view to_string(dead_letter_reason r) noexcept {
  switch (r) {
    case dead_letter_reason::no_process: return "no_process";
    case dead_letter_reason::mailbox_full: return "mailbox_full";
    case dead_letter_reason::process_exited: return "process_exited";
    case dead_letter_reason::late_reply: return "late_reply";
    case dead_letter_reason::shutdown: return "shutdown";
    case dead_letter_reason::telemetry_overflow: return "telemetry_overflow";
    case dead_letter_reason::unhandled: return "unhandled";
    case dead_letter_reason::count_: break;
  }
  return "unknown";
}

dead_letter_office::dead_letter_office(std::size_t history) : history_(history) {}

void dead_letter_office::record(dead_letter_reason reason, std::string_view target,
                                std::string_view description) noexcept {
  auto idx = static_cast<std::size_t>(reason);
  if (idx >= counts_.size()) return;
  counts_[idx].fetch_add(1, std::memory_order_relaxed);
  try {
    std::shared_ptr<std::function<void(const dead_letter&)>> h;
    dead_letter letter{reason, std::string(target), std::string(description)};
    {
      std::lock_guard lk(mu_);
      h = handler_;
      if (history_ > 0) {
        recent_.push_back(letter);
        while (recent_.size() > history_) recent_.pop_front();
      }
    }
    if (h && *h) (*h)(letter);
  } catch (...) {  // contained and counted: record() promises never to throw
    handler_failures_.fetch_add(1, std::memory_order_relaxed);
  }
}

std::uint64_t dead_letter_office::count(dead_letter_reason reason) const noexcept {
  auto idx = static_cast<std::size_t>(reason);
  return idx < counts_.size() ? counts_[idx].load(std::memory_order_relaxed) : 0;
}

std::uint64_t dead_letter_office::total() const noexcept {
  std::uint64_t t = 0;
  for (const auto& c : counts_) t += c.load(std::memory_order_relaxed);
  return t;
}

std::vector<dead_letter> dead_letter_office::recent() const {
  std::lock_guard lk(mu_);
  return {recent_.begin(), recent_.end()};
}

void dead_letter_office::set_handler(std::function<void(const dead_letter&)> handler) {
  std::lock_guard lk(mu_);
  handler_ = handler ? std::make_shared<std::function<void(const dead_letter&)>>(std::move(handler))
                     : nullptr;
}

std::uint64_t dead_letter_office::handler_failures() const noexcept {
  return handler_failures_.load(std::memory_order_relaxed);
}

}  // namespace v1
}  // namespace tether
