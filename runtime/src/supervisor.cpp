#include <algorithm>
#include <cstdio>
#include <set>

#include "supervisor_core.hpp"

namespace tether {
inline namespace v1 {

std::string_view to_string(restart_type r) noexcept {
  switch (r) {
    case restart_type::permanent: return "permanent";
    case restart_type::transient: return "transient";
    case restart_type::temporary: return "temporary";
  }
  return "unknown";
}

std::string_view to_string(strategy s) noexcept {
  switch (s) {
    case strategy::one_for_one: return "one_for_one";
    case strategy::one_for_all: return "one_for_all";
    case strategy::rest_for_one: return "rest_for_one";
  }
  return "unknown";
}

std::string_view to_string(auto_shutdown a) noexcept {
  switch (a) {
    case auto_shutdown::never: return "never";
    case auto_shutdown::any_significant: return "any_significant";
    case auto_shutdown::all_significant: return "all_significant";
  }
  return "unknown";
}

std::string_view to_string(report_kind k) noexcept {
  switch (k) {
    case report_kind::child_exited: return "child_exited";
    case report_kind::child_restarted: return "child_restarted";
    case report_kind::start_failed: return "start_failed";
    case report_kind::shutdown_timeout: return "shutdown_timeout";
    case report_kind::straggler_exited: return "straggler_exited";
    case report_kind::intensity_exceeded: return "intensity_exceeded";
    case report_kind::escalated: return "escalated";
    case report_kind::auto_shutdown: return "auto_shutdown";
  }
  return "unknown";
}

child_context::child_context(detail::context_key, std::string id, std::shared_ptr<detail::process_core> core,
                             state_handle state, std::uint64_t restarts,
                             std::shared_ptr<dead_letter_office> dl,
                             std::shared_ptr<telemetry_bus> tel,
                             std::shared_ptr<detail::child_start_state> start)
    : id_(std::move(id)),
      core_(std::move(core)),
      state_(std::move(state)),
      restarts_(restarts),
      dead_letters_(std::move(dl)),
      telemetry_(std::move(tel)),
      start_(std::move(start)) {}

void child_context::ready() noexcept {
  if (start_) start_->signal_ready();
}

namespace detail {

std::shared_ptr<dead_letter_office> env_dead_letters(const tree_env& env) { return env.dead_letters; }

namespace {
void default_report(const supervisor_report& r) {
  if (r.kind == report_kind::child_restarted) return;
  if (r.kind == report_kind::child_exited && !r.reason.is_failure()) return;
  std::fprintf(stderr, "[tether] supervisor '%s' %s%s%s: %s%s%s\n", r.supervisor.c_str(),
               std::string(to_string(r.kind)).c_str(), r.child.empty() ? "" : " child '",
               r.child.empty() ? "" : (r.child + "'").c_str(), r.reason.describe().c_str(),
               r.message.empty() ? "" : " - ", r.message.c_str());
}
}  // namespace

tree_env make_env(const supervisor_options& opts, const tree_env* parent, const std::string& id) {
  tree_env env;
  env.scope = parent ? parent->scope + "/" + id : opts.name;
  env.on_report = opts.on_report ? opts.on_report
                  : parent        ? parent->on_report
                                  : std::function<void(const supervisor_report&)>(default_report);
  env.store = opts.store ? opts.store
              : parent   ? parent->store
                         : std::make_shared<state_store>();
  env.dead_letters = opts.dead_letters ? opts.dead_letters
                     : parent          ? parent->dead_letters
                                       : std::make_shared<dead_letter_office>();
  env.telemetry = opts.telemetry ? opts.telemetry : parent ? parent->telemetry : nullptr;
  env.stragglers = parent ? parent->stragglers : std::make_shared<straggler_list>();
  return env;
}

supervisor_core::supervisor_core(std::string name, supervisor_flags flags, bool dynamic,
                                 std::size_t max_children, std::vector<child_spec> specs,
                                 tree_env env)
    : process_core(std::move(name)),
      flags_(flags),
      dynamic_(dynamic),
      max_children_(max_children),
      env_(std::move(env)) {
  for (auto& s : specs) {
    auto rec = std::make_unique<child_record>();
    rec->spec = std::move(s);
    children_.push_back(std::move(rec));
  }
}

supervisor_core::~supervisor_core() = default;

void supervisor_core::report(report_kind kind, const std::string& child, const exit_reason& reason,
                             std::string message) {
  supervisor_report r{kind, name(), child, reason, std::move(message)};
  if (env_.on_report) {
    try {
      env_.on_report(r);
    } catch (...) {  // a broken report handler must not take the supervisor down
      std::fprintf(stderr, "[tether] supervisor '%s': report handler threw\n", name().c_str());
    }
  }
  if (env_.telemetry) {
    env_.telemetry->emit("tether.supervisor." + std::string(to_string(kind)), {{"count", 1.0}},
                         {{"supervisor", name()}, {"child", child}, {"reason", reason.describe()}});
  }
}

void supervisor_core::push_exit(std::uint64_t pid, const exit_reason& r) {
  {
    std::lock_guard lk(ev_mu_);
    if (closed_) return;
    events_.push_back(event{pid, r, {}, {}});
  }
  ev_cv_.notify_all();
}

bool supervisor_core::push_request(std::function<void(bool)> fn) {
  {
    std::lock_guard lk(ev_mu_);
    if (closed_) return false;
    events_.push_back(event{0, {}, std::move(fn), {}});
  }
  ev_cv_.notify_all();
  return true;
}

std::optional<error> supervisor_core::invalid_spec(const child_spec& spec) const {
  if (spec.id.empty() || !spec.start)
    return error(errc::invalid_argument, "supervisor '" + name() + "': a child spec needs an id and a start function ('" +
                                             spec.id + "')");
  if (spec.significant && spec.restart == restart_type::permanent)
    return error(errc::invalid_argument,
                 "supervisor '" + name() + "': child '" + spec.id + "' is significant and permanent (OTP forbids it)");
  if (spec.significant && flags_.auto_shutdown == auto_shutdown::never)
    return error(errc::invalid_argument, "supervisor '" + name() + "': child '" + spec.id +
                                             "' is significant but the supervisor's auto_shutdown is never");
  return std::nullopt;
}

void supervisor_core::check_auto_shutdown(const child_spec& spec, const exit_reason& r) {
  if (!spec.significant || flags_.auto_shutdown == auto_shutdown::never) return;
  if (flags_.auto_shutdown == auto_shutdown::all_significant) {
    for (auto& c : children_)
      if (c->spec.significant && c->core) return;  // another significant child still runs
  }
  report(report_kind::auto_shutdown, spec.id, r,
         "significant child exited (auto_shutdown " + std::string(to_string(flags_.auto_shutdown)) + ")");
  auto_exit_ = exit_reason::shutdown(error(
      errc::shutdown, "supervisor '" + name() + "' shut down: significant child '" + spec.id + "' exited (" +
                          r.describe() + "; auto_shutdown " + std::string(to_string(flags_.auto_shutdown)) + ")"));
}

std::size_t supervisor_core::find(const std::string& id) const {
  for (std::size_t i = 0; i < children_.size(); ++i)
    if (children_[i]->spec.id == id) return i;
  return children_.size();
}

result<void> supervisor_core::start_record(child_record& rec) {
  const child_spec& spec = rec.spec;
  std::shared_ptr<process_core> core =
      core_access::make_process(spec) ? core_access::make_process(spec)(spec.id, env_)
                                      : std::make_shared<process_core>(spec.id);
  auto st = std::make_shared<child_start_state>();
  auto fence = std::make_shared<write_fence>();
  auto ctx = std::make_shared<child_context>(context_key{}, spec.id, core, state_handle(env_.store, scope_of(spec.id), fence),
                                             rec.restarts, env_.dead_letters, env_.telemetry, st);
  std::weak_ptr<supervisor_core> self =
      std::static_pointer_cast<supervisor_core>(shared_from_this());
  core->add_watcher([self](const process_core& c, const exit_reason& r) {
    if (auto s = self.lock()) s->push_exit(c.pid(), r);
  });
  const bool await = spec.await_ready;
  rec.thread = std::jthread([core, ctx, fn = spec.start, await, st] {
    run_process(*core, [&]() -> result<void> {
      if (!await) ctx->ready();
      return fn(*ctx);
    });
    st->signal_exit();
  });
  {
    // If this supervisor is asked to stop meanwhile, pass the request on to
    // the starting child so that its init can give up.
    std::stop_callback forward(stop_token(), [core] { core->request_stop(); });
    std::unique_lock lk(st->mu);
    st->cv.wait(lk, [&] { return st->ready || st->exited; });
    if (st->ready) {
      rec.core = core;
      rec.fence = fence;
      return ok();
    }
  }
  rec.thread.join();
  auto why = core->reason().value_or(exit_reason::failure(error(errc::start_failed)));
  return error(errc::start_failed, "child '" + spec.id + "' failed to start: " + why.describe(),
               why.err.exception);
}

void supervisor_core::terminate_record(child_record& rec) {
  if (!rec.core) return;
  auto core = std::move(rec.core);
  rec.core.reset();
  core->request_stop();
  bool done = true;
  if (rec.spec.shutdown.infinite) {
    core->wait_exited();
  } else {
    done = core->wait_exited_until(deadline_after(rec.spec.shutdown.timeout));
  }
  auto fence = std::move(rec.fence);
  if (done) {
    rec.thread.join();
    return;
  }
  // Abandoned: the straggler gives up what the next incarnation of this id
  // needs - its registered names and its write right on the state scope.
  core->mark_abandoned();
  if (fence) env_.store->release(*fence);
  report(report_kind::shutdown_timeout, rec.spec.id, exit_reason::shutdown(),
         "did not stop within " + std::to_string(rec.spec.shutdown.timeout.count()) +
             " ms of its stop request; its thread is kept (never detached) and will be joined "
             "when it exits, at the latest by the top-level supervisor's destructor; its "
             "registered names and state scope were released");
  env_.stragglers->add(straggler{name(), rec.spec.id, core, std::move(rec.thread)});
}

void supervisor_core::terminate_all() {
  for (auto it = children_.rbegin(); it != children_.rend(); ++it) terminate_record(**it);
}

bool supervisor_core::record_restart() {
  auto now = std::chrono::steady_clock::now();
  restart_times_.push_back(now);
  while (!restart_times_.empty() && longer_than(now - restart_times_.front(), flags_.period))
    restart_times_.pop_front();
  return static_cast<int>(restart_times_.size()) <= flags_.max_restarts;
}

void supervisor_core::reap_stragglers() {
  for (auto& s : env_.stragglers->take_exited()) {
    s.thread.join();
    report(report_kind::straggler_exited, s.child,
           s.core->reason().value_or(exit_reason::shutdown()), "straggler joined");
  }
}

// Starts the children `ids` (in order) that are not running. As OTP's
// try_again_restart: a child whose start fails counts as one more restart
// against the intensity; if the intensity allows, the rest of the group
// (the failed child and the children after it) is retried from the event
// queue - after the requests, exits and the stop request already queued,
// so a child that keeps failing to start cannot lock the supervisor in a
// loop - and otherwise the supervisor gives up (intensity_exceeded).
result<void> supervisor_core::restart_group(const std::vector<std::string>& ids) {
  for (std::size_t k = 0; k < ids.size(); ++k) {
    auto i = find(ids[k]);
    if (i == children_.size() || children_[i]->core) continue;  // removed or running meanwhile
    auto& rec = *children_[i];
    auto r = start_record(rec);
    if (r) {
      report(report_kind::child_restarted, rec.spec.id, exit_reason::normal(),
             "restart #" + std::to_string(rec.restarts));
      continue;
    }
    report(report_kind::start_failed, rec.spec.id, exit_reason::failure(r.error()), "");
    ++rec.restarts;
    if (!record_restart()) {
      report(report_kind::intensity_exceeded, rec.spec.id, exit_reason::failure(r.error()),
             "restart failed repeatedly");
      return error(errc::intensity_exceeded,
                   "supervisor '" + name() + "': restart intensity exceeded restarting '" +
                       rec.spec.id + "'");
    }
    {
      std::lock_guard lk(ev_mu_);
      if (!closed_) events_.push_back(event{0, {}, {}, std::vector<std::string>(ids.begin() + static_cast<std::ptrdiff_t>(k), ids.end())});
    }
    ev_cv_.notify_all();
    return ok();
  }
  return ok();
}

result<void> supervisor_core::restart_from(std::size_t index) {
  auto& failed = *children_[index];
  ++failed.restarts;
  if (!record_restart()) {
    report(report_kind::intensity_exceeded, failed.spec.id, exit_reason::normal(),
           "more than " + std::to_string(flags_.max_restarts) + " restarts in " +
               std::to_string(flags_.period.count()) + " ms");
    return error(errc::intensity_exceeded,
                 "supervisor '" + name() + "': more than " + std::to_string(flags_.max_restarts) +
                     " restarts within " + std::to_string(flags_.period.count()) +
                     " ms (last: child '" + failed.spec.id + "')");
  }
  std::vector<std::size_t> targets;
  auto s = dynamic_ ? strategy::one_for_one : flags_.strategy;
  std::size_t first = s == strategy::one_for_all ? 0 : index;
  std::size_t last = s == strategy::one_for_one ? index + 1 : children_.size();
  // Stop the affected siblings in reverse order.
  for (std::size_t j = last; j-- > first;) {
    if (j != index) terminate_record(*children_[j]);
  }
  std::vector<std::string> group;
  for (std::size_t j = first; j < last; ++j) {
    auto& rec = *children_[j];
    if (j != index && rec.spec.restart == restart_type::temporary) continue;
    if (j != index) ++rec.restarts;
    group.push_back(rec.spec.id);
  }
  return restart_group(group);
}

result<void> supervisor_core::handle_exit(std::uint64_t pid, const exit_reason& r) {
  std::size_t i = 0;
  for (; i < children_.size(); ++i)
    if (children_[i]->core && children_[i]->core->pid() == pid) break;
  if (i == children_.size()) {
    reap_stragglers();
    return ok();
  }
  auto& rec = *children_[i];
  rec.thread.join();
  rec.core.reset();
  report(report_kind::child_exited, rec.spec.id, r, "");
  bool restart = rec.spec.restart == restart_type::permanent ||
                 (rec.spec.restart == restart_type::transient && r.is_failure());
  if (restart) return restart_from(i);
  // Finished for good: its state scope goes with it.
  (void)env_.store->erase_scope(scope_of(rec.spec.id));
  const child_spec spec = rec.spec;
  if (dynamic_ || rec.spec.restart == restart_type::temporary) children_.erase(children_.begin() + static_cast<std::ptrdiff_t>(i));
  check_auto_shutdown(spec, r);
  return ok();
}

result<void> supervisor_core::run(const std::function<void()>& on_ready) {
  {
    std::lock_guard lk(ev_mu_);
    closed_ = false;  // requests are accepted from now on (served after init)
  }
  std::set<std::string> ids;
  for (auto& c : children_) {
    std::optional<error> bad = invalid_spec(c->spec);
    if (!bad && !ids.insert(c->spec.id).second)
      bad = error(errc::invalid_argument, "supervisor '" + name() + "': duplicate child id '" + c->spec.id + "'");
    if (bad) {
      {
        std::lock_guard lk(ev_mu_);
        closed_ = true;
      }
      return std::move(*bad);
    }
  }
  for (std::size_t i = 0; i < children_.size(); ++i) {
    auto r = start_record(*children_[i]);
    if (!r) {
      report(report_kind::start_failed, children_[i]->spec.id, exit_reason::failure(r.error()), "");
      terminate_all();
      {
        std::lock_guard lk(ev_mu_);
        closed_ = true;
      }
      return r;
    }
  }
  on_ready();
  result<void> outcome = ok();
  auto token = stop_token();
  for (;;) {
    event ev;
    {
      std::unique_lock lk(ev_mu_);
      ev_cv_.wait(lk, token, [&] { return !events_.empty(); });
      if (token.stop_requested()) break;
      ev = std::move(events_.front());
      events_.pop_front();
    }
    if (ev.request) {
      ev.request(true);
      continue;
    }
    outcome = ev.retry.empty() ? handle_exit(ev.pid, ev.reason) : restart_group(ev.retry);
    if (!outcome || auto_exit_) break;
  }
  terminate_all();
  std::deque<event> rest;
  {
    std::lock_guard lk(ev_mu_);
    closed_ = true;
    rest.swap(events_);
  }
  for (auto& ev : rest)
    if (ev.request) ev.request(false);
  reap_stragglers();
  // As OTP: a supervisor that reached its restart intensity exits with
  // reason shutdown (the cause attached), so a transient or temporary
  // parent does not restart it; a permanent one does.
  if (!outcome) exit_as(exit_reason::shutdown(outcome.error()));
  if (outcome && auto_exit_) exit_as(*auto_exit_);  // OTP: auto_shutdown exits with reason shutdown
  return outcome;
}

std::vector<child_info> supervisor_core::which_children() {
  auto r = request<std::vector<child_info>>([this]() -> result<std::vector<child_info>> {
    std::vector<child_info> out;
    for (auto& c : children_)
      out.push_back({c->spec.id, c->spec.type, c->spec.restart, c->core != nullptr,
                     process_ref(c->core), c->restarts, c->spec.significant});
    return out;
  });
  return r ? std::move(*r) : std::vector<child_info>{};
}

result<process_ref> supervisor_core::whereis(const std::string& id) {
  return request<process_ref>([this, &id]() -> result<process_ref> {
    auto i = find(id);
    if (i == children_.size()) return error(errc::not_found, "no child '" + id + "'");
    if (!children_[i]->core) return error(errc::no_process, "child '" + id + "' is not running");
    return process_ref(children_[i]->core);
  });
}

result<void> supervisor_core::terminate_child(const std::string& id) {
  return request<void>([this, &id]() -> result<void> {
    auto i = find(id);
    if (i == children_.size()) return error(errc::not_found, "no child '" + id + "'");
    terminate_record(*children_[i]);
    if (dynamic_ || children_[i]->spec.restart == restart_type::temporary) {  // OTP: a temporary spec goes
      (void)env_.store->erase_scope(scope_of(id));
      children_.erase(children_.begin() + static_cast<std::ptrdiff_t>(i));
    }
    return ok();
  });
}

result<process_ref> supervisor_core::restart_child(const std::string& id) {
  return request<process_ref>([this, &id]() -> result<process_ref> {
    auto i = find(id);
    if (i == children_.size()) return error(errc::not_found, "no child '" + id + "'");
    auto& rec = *children_[i];
    if (rec.core) return error(errc::running, "child '" + id + "' is running");
    auto r = start_record(rec);
    if (!r) return std::move(r).error();
    return process_ref(rec.core);
  });
}

result<void> supervisor_core::delete_child(const std::string& id) {
  return request<void>([this, &id]() -> result<void> {
    auto i = find(id);
    if (i == children_.size()) return error(errc::not_found, "no child '" + id + "'");
    if (children_[i]->core) return error(errc::running, "child '" + id + "' is running; terminate it first");
    (void)env_.store->erase_scope(scope_of(id));
    children_.erase(children_.begin() + static_cast<std::ptrdiff_t>(i));
    return ok();
  });
}

result<process_ref> supervisor_core::start_child(child_spec spec) {
  if (auto bad = invalid_spec(spec)) return std::move(*bad);
  auto holder = std::make_shared<child_spec>(std::move(spec));
  if (!dynamic_) {
    return request<process_ref>([this, holder]() -> result<process_ref> {
      auto i = find(holder->id);
      if (i != children_.size())
        return children_[i]->core
                   ? error(errc::already_started, "child '" + holder->id + "' is running")
                   : error(errc::already_present, "child '" + holder->id + "' is terminated but its spec is kept");
      children_.push_back(std::make_unique<child_record>());
      children_.back()->spec = std::move(*holder);
      auto r = start_record(*children_.back());
      if (!r) {  // OTP: a child whose start fails is not added
        children_.pop_back();
        return std::move(r).error();
      }
      return process_ref(children_.back()->core);
    });
  }
  return request<process_ref>([this, holder]() -> result<process_ref> {
    std::size_t running = 0;
    for (auto& c : children_) running += c->core ? 1 : 0;
    if (running >= max_children_)
      return error(errc::max_children, "dynamic supervisor '" + name() + "' is full: max_children = " +
                                           std::to_string(max_children_));
    if (find(holder->id) != children_.size())
      return error(errc::already_started, "child '" + holder->id + "' already exists");
    auto rec = std::make_unique<child_record>();
    rec->spec = std::move(*holder);
    auto r = start_record(*rec);
    if (!r) return std::move(r).error();
    process_ref ref(rec->core);
    children_.push_back(std::move(rec));
    return ref;
  });
}

child_counts supervisor_core::count_children() {
  auto r = request<child_counts>([this]() -> result<child_counts> {
    child_counts n;
    for (auto& c : children_) {
      ++n.specs;
      n.active += c->core ? 1 : 0;
      (c->spec.type == child_type::supervisor ? n.supervisors : n.workers) += 1;
    }
    return n;
  });
  return r ? *r : child_counts{};
}

// ---- owner ----------------------------------------------------------------

result<void> supervisor_owner::start() {
  std::lock_guard lk(mu_);
  if (started_) return error(errc::already_started, "supervisor already started");
  started_ = true;
  auto st = std::make_shared<child_start_state>();
  auto init_error = std::make_shared<std::optional<error>>();  // written before st->exited
  thread_ = std::jthread([core = core_, st, init_error] {
    bool ready = false;
    run_process(*core, [&]() -> result<void> {
      auto r = core->run([&] {
        ready = true;
        st->signal_ready();
      });
      if (!r && !ready) *init_error = r.error();
      if (!r && ready)  // reported before the exit becomes visible to wait()
        core->report(report_kind::escalated, "", exit_reason::shutdown(r.error()),
                     "top-level supervisor gave up; nothing above it to restart it");
      return r;
    });
    st->signal_exit();
  });
  std::unique_lock slk(st->mu);
  st->cv.wait(slk, [&] { return st->ready || st->exited; });
  if (st->ready) {
    ready_.store(true, std::memory_order_release);
    return ok();
  }
  slk.unlock();
  thread_.join();
  return init_error->value_or(error(errc::start_failed, "supervisor failed to start"));
}

void supervisor_owner::stop() {
  {
    std::lock_guard lk(mu_);
    if (!started_) return;
  }
  core_->request_stop();
  core_->wait_exited();
}

exit_reason supervisor_owner::wait() {
  {
    std::lock_guard lk(mu_);
    if (!started_) return exit_reason::failure(error(errc::no_process, "supervisor not started"));
  }
  core_->wait_exited();
  return *core_->reason();
}

std::optional<exit_reason> supervisor_owner::wait_for(std::chrono::milliseconds t) {
  {
    std::lock_guard lk(mu_);
    if (!started_) return exit_reason::failure(error(errc::no_process, "supervisor not started"));
  }
  if (!core_->wait_exited_until(deadline_after(t))) return std::nullopt;
  return core_->reason();
}

bool supervisor_owner::running() const {
  return ready_.load(std::memory_order_acquire) && !core_->exited();
}

supervisor_owner::~supervisor_owner() {
  stop();
  if (thread_.joinable()) thread_.join();
  for (auto& s : stragglers_->take_all()) {
    s.thread.join();
    core_->report(report_kind::straggler_exited, s.child,
                  s.core->reason().value_or(exit_reason::shutdown()),
                  "straggler joined by the top-level supervisor's destructor");
  }
}

}  // namespace detail

// ---- public wrappers ---------------------------------------------------------

result<supervisor_ref> supervisor_ref::from(const process_ref& p) {
  if (!p.valid()) return error(errc::no_process, "empty process_ref");
  auto c = std::dynamic_pointer_cast<detail::supervisor_core>(detail::core_access::of(p));
  if (!c) return error(errc::bad_type, "process '" + p.name() + "' is not a supervisor");
  return supervisor_ref(std::move(c));
}

std::vector<child_info> supervisor_ref::which_children() const {
  return core_ ? core_->which_children() : std::vector<child_info>{};
}
result<process_ref> supervisor_ref::whereis(const std::string& id) const {
  if (!core_) return error(errc::no_process, "empty supervisor_ref");
  return core_->whereis(id);
}
result<void> supervisor_ref::terminate_child(const std::string& id) const {
  if (!core_) return error(errc::no_process, "empty supervisor_ref");
  return core_->terminate_child(id);
}
result<process_ref> supervisor_ref::start_child(child_spec spec) const {
  if (!core_) return error(errc::no_process, "empty supervisor_ref");
  return core_->start_child(std::move(spec));
}
result<void> supervisor_ref::delete_child(const std::string& id) const {
  if (!core_) return error(errc::no_process, "empty supervisor_ref");
  if (core_->dynamic()) return error(errc::invalid_argument, "delete_child on a dynamic supervisor");
  return core_->delete_child(id);
}
result<process_ref> supervisor_ref::restart_child(const std::string& id) const {
  if (!core_) return error(errc::no_process, "empty supervisor_ref");
  if (core_->dynamic()) return error(errc::invalid_argument, "restart_child on a dynamic supervisor");
  return core_->restart_child(id);
}
process_ref supervisor_ref::process() const { return process_ref(core_); }
std::shared_ptr<state_store> supervisor_ref::store() const {
  return core_ ? core_->env().store : nullptr;
}

child_spec supervisor_child(std::string id, supervisor_flags flags, std::vector<child_spec> children,
                            restart_type restart, supervisor_options opts) {
  child_spec s;
  s.id = std::move(id);
  s.restart = restart;
  s.type = child_type::supervisor;
  s.shutdown = shutdown_policy::infinity();
  s.await_ready = true;
  auto kids = std::make_shared<std::vector<child_spec>>(std::move(children));
  detail::core_access::make_process(s) = [flags, kids, opts](const std::string& cid, const detail::tree_env& env) {
    auto e = detail::make_env(opts, &env, cid);
    return std::static_pointer_cast<detail::process_core>(std::make_shared<detail::supervisor_core>(
        cid, flags, false, 0, *kids, std::move(e)));
  };
  s.start = [](child_context& ctx) -> result<void> {
    auto core = std::static_pointer_cast<detail::supervisor_core>(detail::core_access::of_context(ctx));
    return core->run([&] { ctx.ready(); });
  };
  return s;
}

struct supervisor::impl {
  detail::supervisor_owner owner;
};

supervisor::supervisor(supervisor_flags flags, std::vector<child_spec> children,
                       supervisor_options opts) {
  auto env = detail::make_env(opts, nullptr, opts.name);
  auto stragglers = env.stragglers;
  core_ = std::make_shared<detail::supervisor_core>(opts.name, flags, false, 0, std::move(children),
                                                    std::move(env));
  impl_ = std::unique_ptr<impl>(new impl{detail::supervisor_owner(core_, std::move(stragglers))});
}
supervisor::~supervisor() = default;
result<void> supervisor::start() { return impl_->owner.start(); }
void supervisor::stop() { impl_->owner.stop(); }
exit_reason supervisor::wait() { return impl_->owner.wait(); }
std::optional<exit_reason> supervisor::wait_for(std::chrono::milliseconds t) {
  return impl_->owner.wait_for(t);
}
bool supervisor::running() const { return impl_->owner.running(); }

// ---- dynamic -------------------------------------------------------------------

result<dynamic_supervisor_ref> dynamic_supervisor_ref::from(const process_ref& p) {
  if (!p.valid()) return error(errc::no_process, "empty process_ref");
  auto c = std::dynamic_pointer_cast<detail::supervisor_core>(detail::core_access::of(p));
  if (!c || !c->dynamic())
    return error(errc::bad_type, "process '" + p.name() + "' is not a dynamic supervisor");
  return dynamic_supervisor_ref(std::move(c));
}

result<process_ref> dynamic_supervisor_ref::start_child(child_spec spec) const {
  if (!core_) return error(errc::no_process, "empty dynamic_supervisor_ref");
  return core_->start_child(std::move(spec));
}

child_counts supervisor_ref::count_children() const {
  return core_ ? core_->count_children() : child_counts{};
}

child_spec dynamic_supervisor_child(std::string id, dynamic_supervisor_flags flags,
                                    restart_type restart, supervisor_options opts) {
  child_spec s;
  s.id = std::move(id);
  s.restart = restart;
  s.type = child_type::supervisor;
  s.shutdown = shutdown_policy::infinity();
  s.await_ready = true;
  detail::core_access::make_process(s) = [flags, opts](const std::string& cid, const detail::tree_env& env) {
    auto e = detail::make_env(opts, &env, cid);
    supervisor_flags f{strategy::one_for_one, flags.max_restarts, flags.period, flags.auto_shutdown};
    return std::static_pointer_cast<detail::process_core>(std::make_shared<detail::supervisor_core>(
        cid, f, true, flags.max_children, std::vector<child_spec>{}, std::move(e)));
  };
  s.start = [](child_context& ctx) -> result<void> {
    auto core = std::static_pointer_cast<detail::supervisor_core>(detail::core_access::of_context(ctx));
    return core->run([&] { ctx.ready(); });
  };
  return s;
}

struct dynamic_supervisor::impl {
  detail::supervisor_owner owner;
};

dynamic_supervisor::dynamic_supervisor(dynamic_supervisor_flags flags, supervisor_options opts) {
  auto env = detail::make_env(opts, nullptr, opts.name);
  auto stragglers = env.stragglers;
  supervisor_flags f{strategy::one_for_one, flags.max_restarts, flags.period, flags.auto_shutdown};
  core_ = std::make_shared<detail::supervisor_core>(opts.name, f, true, flags.max_children,
                                                    std::vector<child_spec>{}, std::move(env));
  impl_ = std::unique_ptr<impl>(new impl{detail::supervisor_owner(core_, std::move(stragglers))});
}
dynamic_supervisor::~dynamic_supervisor() = default;
result<void> dynamic_supervisor::start() { return impl_->owner.start(); }
void dynamic_supervisor::stop() { impl_->owner.stop(); }
exit_reason dynamic_supervisor::wait() { return impl_->owner.wait(); }
std::optional<exit_reason> dynamic_supervisor::wait_for(std::chrono::milliseconds t) {
  return impl_->owner.wait_for(t);
}
bool dynamic_supervisor::running() const { return impl_->owner.running(); }

}  // namespace v1
}  // namespace tether
