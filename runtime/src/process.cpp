#include "tether/process.hpp"

#include <atomic>
#include <vector>

namespace tether::inline v1::detail {

namespace {
std::atomic<std::uint64_t> g_next_pid{1};  // immutable identity counter, not shared state
}  // namespace

process_core::process_core(std::string name)
    : pid_(g_next_pid.fetch_add(1, std::memory_order_relaxed)), name_(std::move(name)) {}

process_core::~process_core() = default;

void process_core::exit_signal(const exit_reason& from, std::uint64_t from_pid,
                               std::string_view from_name) {
  {
    std::lock_guard lk(mu_);
    if (reason_ || exit_signal_) return;
    error e(errc::linked_exit,
            "linked process " + std::string(from_name) + " <" + std::to_string(from_pid) +
                "> exited: " + from.describe(),
            from.err.exception);
    exit_signal_ = from.kind == exit_kind::shutdown ? exit_reason::shutdown(std::move(e))
                                                    : exit_reason::failure(std::move(e));
  }
  stop_.request_stop();
}

std::optional<exit_reason> process_core::exit_signal_reason() const {
  std::lock_guard lk(mu_);
  return exit_signal_;
}

std::optional<exit_reason> process_core::requested_exit() const {
  std::lock_guard lk(mu_);
  return exit_as_;
}

void process_core::exit_as(exit_reason r) {
  std::lock_guard lk(mu_);
  exit_as_ = std::move(r);
}

void process_core::mark_exited(exit_reason r) {
  std::map<std::uint64_t, watcher> ws;
  {
    std::lock_guard lk(mu_);
    if (reason_) return;
    reason_ = r;
    ws.swap(watchers_);
    links_.clear();
    notifying_ = !ws.empty();
    notifier_ = std::this_thread::get_id();
  }
  cv_.notify_all();
  // Without watchers (a plain task) nothing can be waiting for the
  // notification to end: skip re-taking mu_, which an awaiter woken just
  // now is likely to hold (a lock hand-off and a context switch per task).
  if (ws.empty()) return;
  for (auto& [id, fn] : ws) {
    try {
      fn(*this, r);
    } catch (...) {  // a watcher must not break the exit path; nothing to report to
      (void)0;
    }
  }
  {
    std::lock_guard lk(mu_);
    notifying_ = false;
  }
  cv_.notify_all();
}

bool process_core::exited() const {
  std::lock_guard lk(mu_);
  return reason_.has_value();
}

std::optional<exit_reason> process_core::reason() const {
  std::lock_guard lk(mu_);
  return reason_;
}

void process_core::wait_exited() const {
  std::unique_lock lk(mu_);
  cv_.wait(lk, [&] { return reason_.has_value(); });
}

bool process_core::wait_exited_until(clock::time_point deadline) const {
  std::unique_lock lk(mu_);
  return detail::wait_until(cv_, lk, deadline, [&] { return reason_.has_value(); });
}

std::uint64_t process_core::add_watcher(watcher fn) {
  std::optional<exit_reason> r;
  {
    std::lock_guard lk(mu_);
    if (!reason_) {
      auto id = next_watcher_++;
      watchers_.emplace(id, std::move(fn));
      return id;
    }
    r = reason_;
  }
  fn(*this, *r);
  return 0;
}

void process_core::remove_watcher(std::uint64_t id) {
  if (id == 0) return;
  std::unique_lock lk(mu_);
  if (watchers_.erase(id) > 0) return;
  if (notifying_ && notifier_ != std::this_thread::get_id()) {
    cv_.wait(lk, [&] { return !notifying_; });
  }
}

void process_core::set_link(std::uint64_t peer_pid, std::uint64_t watcher_id) {
  std::lock_guard lk(mu_);
  links_[peer_pid] = watcher_id;
}

std::uint64_t process_core::take_link(std::uint64_t peer_pid) {
  std::lock_guard lk(mu_);
  auto it = links_.find(peer_pid);
  if (it == links_.end()) return 0;
  auto id = it->second;
  links_.erase(it);
  return id;
}

void run_process(process_core& core, const std::function<result<void>()>& body) noexcept {
  exit_reason r;
  bool threw = false;
  try {
    result<void> res = body();
    if (!res) {
      r = exit_reason::failure(std::move(res).error());
    } else if (auto sig = core.exit_signal_reason()) {
      r = *sig;
    } else if (core.stop_requested()) {
      r = exit_reason::shutdown();
    } else {
      r = exit_reason::normal();
    }
  } catch (...) {
    threw = true;
    r = exit_reason::failure(current_exception_error(errc::exception, "process " + core.name()));
  }
  std::optional<exit_reason> requested = core.requested_exit();
  if (requested && !threw) {
    r = std::move(*requested);
  } else if (r.kind != exit_kind::failure) {
    // An exit signal received while returning still decides the reason.
    if (auto sig = core.exit_signal_reason()) r = *sig;
  }
  core.mark_exited(std::move(r));
}

}  // namespace tether::inline v1::detail
