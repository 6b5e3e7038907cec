#include "tether/telemetry.hpp"

#include <utility>

namespace tether {
inline namespace v1 {

telemetry_bus::telemetry_bus(telemetry_options opts) : opts_(std::move(opts)) {
  if (!opts_.dead_letters) opts_.dead_letters = std::make_shared<dead_letter_office>();
  thread_ = std::jthread([this](std::stop_token st) { run(st); });
}

telemetry_bus::~telemetry_bus() {
  {
    std::lock_guard lk(mu_);
    closing_ = true;
  }
  cv_.notify_all();
  thread_.request_stop();
  if (thread_.joinable()) thread_.join();
}

result<void> telemetry_bus::attach(std::string handler_id, std::string prefix,
                                   telemetry_handler handler) {
  if (!handler) return error(errc::invalid_argument, "telemetry handler is empty");
  std::lock_guard lk(mu_);
  for (const auto& e : handlers_) {
    if (e.id == handler_id)
      return error(errc::already_started, "telemetry handler '" + handler_id + "' is attached");
  }
  handlers_.push_back(
      {std::move(handler_id), std::move(prefix), std::make_shared<telemetry_handler>(std::move(handler))});
  return ok();
}

result<void> telemetry_bus::detach(const std::string& handler_id) {
  std::lock_guard lk(mu_);
  for (auto it = handlers_.begin(); it != handlers_.end(); ++it) {
    if (it->id == handler_id) {
      handlers_.erase(it);
      return ok();
    }
  }
  return error(errc::not_found, "telemetry handler '" + handler_id + "' is not attached");
}

bool telemetry_bus::emit(std::string name, std::map<std::string, double> measurements,
                         std::map<std::string, std::string> metadata) {
  {
    std::lock_guard lk(mu_);
    if (!closing_ && queue_.size() < opts_.capacity) {
      queue_.push_back({std::move(name), std::move(measurements), std::move(metadata)});
      ++enqueued_seq_;
      ++emitted_;
      cv_.notify_one();
      return true;
    }
    ++dropped_;
  }
  opts_.dead_letters->record(dead_letter_reason::telemetry_overflow, "telemetry", name);
  return false;
}

void telemetry_bus::flush() {
  std::unique_lock lk(mu_);
  if (std::this_thread::get_id() == dispatcher_id_) return;
  const auto target = enqueued_seq_;
  flushed_cv_.wait(lk, [&] { return dispatched_seq_ >= target; });
}

std::uint64_t telemetry_bus::emitted() const noexcept {
  std::lock_guard lk(mu_);
  return emitted_;
}
std::uint64_t telemetry_bus::dropped() const noexcept {
  std::lock_guard lk(mu_);
  return dropped_;
}
std::uint64_t telemetry_bus::handler_failures() const noexcept {
  std::lock_guard lk(mu_);
  return failures_;
}

void telemetry_bus::run(std::stop_token st) {
  {
    std::lock_guard lk(mu_);
    dispatcher_id_ = std::this_thread::get_id();
  }
  std::unique_lock lk(mu_);
  for (;;) {
    cv_.wait(lk, [&] { return !queue_.empty() || closing_ || st.stop_requested(); });
    if (queue_.empty()) {
      if (closing_ || st.stop_requested()) break;
      continue;
    }
    telemetry_event ev = std::move(queue_.front());
    queue_.pop_front();
    std::vector<entry> hs;
    for (const auto& e : handlers_) {
      if (ev.name.compare(0, e.prefix.size(), e.prefix) == 0) hs.push_back(e);
    }
    lk.unlock();
    std::vector<telemetry_handler_failure> failed;
    for (const auto& e : hs) {
      try {
        (*e.fn)(ev);
      } catch (const std::exception& ex) {
        failed.push_back({e.id, ev.name, ex.what()});
      } catch (...) {
        failed.push_back({e.id, ev.name, "non-standard exception"});
      }
    }
    for (const auto& f : failed) {
      if (opts_.on_handler_failure) {
        try {
          opts_.on_handler_failure(f);
        } catch (...) {  // the failure reporter itself failed: counted below
          (void)0;
        }
      }
    }
    lk.lock();
    for (const auto& f : failed) {
      ++failures_;
      for (auto it = handlers_.begin(); it != handlers_.end(); ++it) {
        if (it->id == f.handler_id) {
          handlers_.erase(it);
          break;
        }
      }
    }
    ++dispatched_seq_;
    flushed_cv_.notify_all();
  }
  dispatched_seq_ = enqueued_seq_;
  flushed_cv_.notify_all();
}

}  // namespace v1
}  // namespace tether
