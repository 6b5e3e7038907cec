#include "tether/monitor.hpp"

namespace tether {
inline namespace v1 {

monitor::monitor(const process_ref& target) : monitor(target, nullptr) {}

monitor::monitor(const process_ref& target, std::function<void(const down&)> on_down)
    : slot_(std::make_shared<slot>()), target_(detail::core_access::of(target)) {
  slot_->cb = std::move(on_down);
  auto deliver = [s = slot_](down d) {
    if (s->cb) s->cb(d);
    {
      std::lock_guard lk(s->mu);
      s->d = std::move(d);
    }
    s->cv.notify_all();
  };
  if (!target_) {
    deliver(down{0, "", exit_reason::failure(error(errc::no_process, "monitor of an empty process_ref"))});
    return;
  }
  watcher_ = target_->add_watcher([deliver](const detail::process_core& c, const exit_reason& r) {
    deliver(down{c.pid(), c.name(), r});
  });
}

monitor::monitor(monitor&& o) noexcept
    : slot_(std::move(o.slot_)), target_(std::move(o.target_)), watcher_(std::exchange(o.watcher_, 0)) {}

monitor& monitor::operator=(monitor&& o) noexcept {
  if (this != &o) {
    demonitor();
    slot_ = std::move(o.slot_);
    target_ = std::move(o.target_);
    watcher_ = std::exchange(o.watcher_, 0);
  }
  return *this;
}

monitor::~monitor() { demonitor(); }

namespace {
down no_down(const char* why) { return down{0, "", exit_reason::failure(error(errc::no_process, why))}; }
}  // namespace

void monitor::demonitor() {
  if (target_ && watcher_ != 0) target_->remove_watcher(watcher_);
  watcher_ = 0;
  if (slot_) {
    // After remove_watcher the callback is not running and will not run.
    {
      std::lock_guard lk(slot_->mu);
      if (!slot_->d) slot_->cancelled = true;
    }
    slot_->cv.notify_all();
  }
}

std::optional<down> monitor::wait_for(std::chrono::milliseconds timeout) const {
  if (!slot_) return no_down("empty monitor");
  std::unique_lock lk(slot_->mu);
  detail::wait_until(slot_->cv, lk, detail::deadline_after(timeout),
                     [&] { return slot_->d.has_value() || slot_->cancelled; });
  if (!slot_->d && slot_->cancelled) return no_down("monitor cancelled before a down arrived");
  return slot_->d;
}

down monitor::wait() const {
  if (!slot_) return no_down("empty monitor");
  std::unique_lock lk(slot_->mu);
  slot_->cv.wait(lk, [&] { return slot_->d.has_value() || slot_->cancelled; });
  if (!slot_->d) return no_down("monitor cancelled before a down arrived");
  return *slot_->d;
}

std::optional<down> monitor::poll() const {
  if (!slot_) return no_down("empty monitor");
  std::lock_guard lk(slot_->mu);
  if (!slot_->d && slot_->cancelled) return no_down("monitor cancelled before a down arrived");
  return slot_->d;
}

result<void> link(const process_ref& a, const process_ref& b) {
  if (!a.valid() || !b.valid()) return error(errc::no_process, "link with an empty process_ref");
  if (a == b) return error(errc::invalid_argument, "a process cannot link to itself");
  if (!a.alive() || !b.alive()) return error(errc::no_process, "link with an exited process");
  auto make = [](const process_ref& from, const process_ref& to) {
    std::weak_ptr<detail::process_core> wto = detail::core_access::of(to);
    return detail::core_access::of(from)->add_watcher([wto](const detail::process_core& c, const exit_reason& r) {
      auto t = wto.lock();
      if (t && t->trap_exit(r, c.pid(), c.name())) {  // a trapping peer takes it as a message
        t->take_link(c.pid());
        return;
      }
      if (r.kind == exit_kind::normal) return;
      if (t) {
        t->take_link(c.pid());
        t->exit_signal(r, c.pid(), c.name());
      }
    });
  };
  auto wa = make(a, b);
  if (wa) detail::core_access::of(a)->set_link(b.pid(), wa);
  auto wb = make(b, a);
  if (wb) detail::core_access::of(b)->set_link(a.pid(), wb);
  return ok();
}

void unlink(const process_ref& a, const process_ref& b) {
  if (!a.valid() || !b.valid()) return;
  detail::core_access::of(a)->remove_watcher(detail::core_access::of(a)->take_link(b.pid()));
  detail::core_access::of(b)->remove_watcher(detail::core_access::of(b)->take_link(a.pid()));
}

}  // namespace v1
}  // namespace tether
