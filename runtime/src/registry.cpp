#include "tether/registry.hpp"

namespace tether {
inline namespace v1 {

struct registry::state {
  struct entry {
    process_ref proc;
    std::uint64_t watcher = 0;
  };
  mutable std::mutex mu;
  std::map<std::string, entry> names;          // guarded by mu
  std::shared_ptr<dead_letter_office> dl;      // guarded by mu
};

namespace {
// A name is held by a process that is alive and was not abandoned by its
// supervisor (a straggler releases its names when it is abandoned).
bool held(const process_ref& p) { return p.alive() && !detail::core_access::of(p)->abandoned(); }
}  // namespace

registry::registry() : s_(std::make_shared<state>()) {}

registry::~registry() {
  std::map<std::string, state::entry> all;
  {
    std::lock_guard lk(s_->mu);
    all.swap(s_->names);
  }
  for (auto& [n, e] : all) detail::core_access::of(e.proc)->remove_watcher(e.watcher);
}

result<void> registry::register_name(const std::string& name, const process_ref& p) {
  if (name.empty()) return error(errc::invalid_argument, "empty registry name");
  if (!p.valid() || !p.alive()) return error(errc::no_process, "cannot register a dead process as '" + name + "'");
  {
    std::lock_guard lk(s_->mu);
    auto it = s_->names.find(name);
    if (it != s_->names.end() && held(it->second.proc))
      return error(errc::already_started, "name '" + name + "' is registered to a live process");
    s_->names[name] = state::entry{p, 0};
  }
  std::weak_ptr<state> ws = s_;
  const auto pid = p.pid();
  auto id = detail::core_access::of(p)->add_watcher([ws, name, pid](const detail::process_core&, const exit_reason&) {
    if (auto s = ws.lock()) {
      std::lock_guard lk(s->mu);
      auto it = s->names.find(name);
      if (it != s->names.end() && it->second.proc.pid() == pid) s->names.erase(it);
    }
  });
  std::lock_guard lk(s_->mu);
  auto it = s_->names.find(name);
  if (it != s_->names.end() && it->second.proc.pid() == pid) it->second.watcher = id;
  return ok();
}

result<void> registry::unregister(const std::string& name) {
  state::entry e;
  {
    std::lock_guard lk(s_->mu);
    auto it = s_->names.find(name);
    if (it == s_->names.end()) return error(errc::not_found, "name '" + name + "' is not registered");
    e = it->second;
    s_->names.erase(it);
  }
  detail::core_access::of(e.proc)->remove_watcher(e.watcher);
  return ok();
}

result<process_ref> registry::whereis(const std::string& name) const {
  std::lock_guard lk(s_->mu);
  auto it = s_->names.find(name);
  if (it == s_->names.end() || !held(it->second.proc))
    return error(errc::no_process, "no process registered as '" + name + "'");
  return it->second.proc;
}

std::vector<std::string> registry::names() const {
  std::lock_guard lk(s_->mu);
  std::vector<std::string> out;
  for (auto& [n, e] : s_->names)
    if (held(e.proc)) out.push_back(n);
  return out;
}

std::size_t registry::size() const {
  std::lock_guard lk(s_->mu);
  std::size_t n = 0;
  for (auto& [name, e] : s_->names) n += held(e.proc) ? 1 : 0;
  return n;
}

void registry::set_dead_letters(std::shared_ptr<dead_letter_office> dl) {
  std::lock_guard lk(s_->mu);
  s_->dl = std::move(dl);
}

void registry::note_unknown(const std::string& name, const char* what) const {
  std::shared_ptr<dead_letter_office> dl;
  {
    std::lock_guard lk(s_->mu);
    dl = s_->dl;
  }
  if (dl) dl->record(dead_letter_reason::no_process, name, what);
}

namespace detail {
result<void> registry_register(registry& reg, const std::string& name, const process_ref& p) {
  return reg.register_name(name, p);
}
}  // namespace detail

}  // namespace v1
}  // namespace tether
