// tether/server.hpp - GenServer: a process that owns its state and a mailbox.
//
// Purpose
//   A server is a supervised process whose state (an object of the user's
//   Impl type) is touched only by the server's own thread. Clients talk to
//   it through a server_ref:
//
//   client API                      Impl callback (server thread)   OTP
//   ------------------------------  ------------------------------  -------------------------
//   server_child<Impl>(id, make)    make(child_context&) -> Impl    init/1
//   ref.call(req, timeout|deadline) handle_call(req) -> reply_type  handle_call/3, call/3
//   (deferred reply)                handle_call(req, reply_handle)  {noreply, S} + gen_server:reply/2
//                                   -> std::optional<reply_type>;
//                                   nullopt = reply later via the handle
//   ref.cast(msg)                   handle_cast(msg)                handle_cast/2, cast/2
//   ref.inspect(f, timeout)         f(Impl&) on the system lane     sys:get_state/2
//   supervisor stops it             terminate(const exit_reason&)   terminate/2
//
//   Impl must declare `using call_type`, `using reply_type` and may declare
//   `using cast_type` (default std::monostate). handle_cast is required only
//   if cast_type is declared; terminate is optional.
//
// Outcomes of call(request, timeout) (default timeout 5000 ms, as OTP;
// tether::infinity waits forever; call(request, deadline) takes a
// steady_clock::time_point instead; see timeout.hpp for saturation):
//   value                the reply of handle_call
//   errc::timeout        no reply before the deadline (also: mailbox full
//                        under overflow_policy::block until the deadline).
//                        A reply that arrives later is discarded, counted in
//                        late_replies() and recorded as a dead letter
//                        (late_reply); it can never be delivered to a later call
//                        because every call has its own reply slot.
//   errc::no_process     the server is not running (dead, not yet
//                        restarted, empty ref; dead letter no_process), or it
//                        crashed before handling this request (dead letter
//                        process_exited; the message names the crash and
//                        error::exception holds its exception, if any).
//   errc::shutdown       the server was stopped (by its supervisor, or by a
//                        linked process's exit signal) while this request was
//                        queued or while the caller waited for mailbox space
//                        (dead letter shutdown); the message names the exit
//                        reason (e.g. "shutdown (linked_exit: ...)").
//   errc::crashed        handle_call threw on this request; error::exception
//                        holds the exception. The server exits with
//                        failure(crashed) and its supervisor restarts it
//                        according to its restart type; refs to the old
//                        incarnation then return no_process.
//   errc::mailbox_full   overflow_policy::reject and the mailbox is full.
//   With a deferred reply (see reply_handle) additionally: the value or
//   error given to reply_handle::reply / reply_error; errc::no_process if
//   every copy of the handle was dropped without a reply; errc::shutdown /
//   errc::no_process if the server was stopped / crashed while the reply
//   was still deferred.
// Outcomes of cast(msg): ok() = enqueued in a live mailbox (not yet handled);
//   no_process (not running), mailbox_full (reject policy), timeout (block
//   policy, send_timeout elapsed), shutdown (stopped while the cast waited
//   for space), invalid_argument (Impl declares no cast_type).
//   Every failed cast is also a dead letter. A cast that was enqueued but is
//   still queued when the server exits becomes a dead letter: shutdown if
//   the server was stopped, process_exited if it crashed.
//   If handle_cast throws, the server exits with failure(crashed).
// Outcomes of inspect(f, timeout): f's value; no_process; timeout (f may
//   still run later); crashed (f threw; the server exits); shutdown (the
//   server was stopped before serving it).
//
// Mailbox
//   Bounded (server_options::mailbox_capacity, default 65536 waiting
//   messages; the server additionally holds the batch it took out last, so at
//   most 2 x capacity messages are in memory). When full:
//   overflow_policy::block (default) waits up to the call's timeout / the
//   send_timeout (default 5000 ms) for space; overflow_policy::reject fails
//   at once with mailbox_full. System messages (inspect) travel on a
//   separate unbounded lane that is served before the mailbox and is never
//   subject to the capacity.
//
// Lifetime
//   A server_ref shares the incarnation's state object, never its thread.
//   The thread belongs to the supervisor. server<Impl> is a convenience
//   owner that runs one server under a private dynamic supervisor.
//
// Thread-safety
//   server_ref functions may be called concurrently from any thread. Impl is
//   only ever accessed from the server thread (and from make/terminate on that
//   thread). A server calling itself deadlocks until the timeout - as in OTP.
//
// Blocking behaviour
//   call blocks up to its timeout; cast blocks only under the block policy
//   with a full mailbox (up to send_timeout); inspect blocks up to its
//   timeout. The server thread blocks on its mailbox when idle and wakes on
//   a message or on its stop request.
//
// Memory ordering
//   Everything a client did before call/cast happens-before the handler sees
//   the message; everything the handler did before returning a reply
//   happens-before call() returns it.
#pragma once

#include <algorithm>
#include <chrono>
#include <concepts>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "tether/dynamic_supervisor.hpp"
#include "tether/error.hpp"
#include "tether/process.hpp"
#include "tether/supervisor.hpp"

namespace tether {
inline namespace v1 {

class registry;

inline constexpr std::chrono::milliseconds default_call_timeout{5000};

enum class overflow_policy : std::uint8_t { block, reject };

struct server_options {
  std::size_t mailbox_capacity = 65536;           ///< default 65536 messages
  overflow_policy overflow = overflow_policy::block;
  std::chrono::milliseconds send_timeout{5000};   ///< cast wait under block policy
  /// If set, every incarnation registers itself under `name` after init
  /// (init fails with already_started if the name is taken) and is removed
  /// automatically when it exits.
  std::shared_ptr<tether::registry> registry;
  std::string name;
  /// Default: the supervisor tree's office.
  std::shared_ptr<dead_letter_office> dead_letters;
};

namespace detail {
/// Registers p under name (see registry.hpp). Defined in registry.cpp.
result<void> registry_register(registry& reg, const std::string& name, const process_ref& p);

template <class I, class = void>
struct cast_type_of {
  using type = std::monostate;
};
template <class I>
struct cast_type_of<I, std::void_t<typename I::cast_type>> {
  using type = typename I::cast_type;
};

/// One call's reply: written once (value or error) by the server or by a
/// reply_handle, read by the caller; abandoned when the caller timed out.
template <class R>
struct reply_slot {
  enum class put_outcome { delivered, late, already };
  std::mutex mu;
  std::condition_variable cv;
  enum class st { pending, done, abandoned } state = st::pending;  // guarded by mu
  std::optional<R> value;                                          // guarded by mu
  std::optional<error> err;                                        // guarded by mu

  put_outcome put(std::optional<R>&& v, std::optional<error>&& e) {
    {
      std::lock_guard sl(mu);
      if (state == st::abandoned) return put_outcome::late;
      if (state == st::done) return put_outcome::already;
      value = std::move(v);
      err = std::move(e);
      state = st::done;
    }
    cv.notify_one();
    return put_outcome::delivered;
  }
  bool pending() {
    std::lock_guard sl(mu);
    return state == st::pending;
  }
};

template <class Impl>
class server_state;

}  // namespace detail

/// The "From" of a call whose reply is deferred (OTP's {noreply, State}
/// followed by gen_server:reply(From, Reply)). An Impl opts in by declaring
///   std::optional<reply_type> handle_call(call_type req, reply_handle<reply_type> from);
/// returning a value replies at once; returning std::nullopt means "no reply
/// yet": keep `from` (it is copyable) and call from.reply(v) later, from the
/// server thread or any other thread.
///
/// Outcomes for the caller: the first reply() / reply_error() wins; if every
/// copy of the handle is destroyed without a reply, the caller gets
/// errc::no_process at once ("reply handle dropped"); if the server exits
/// while the reply is still deferred, the caller gets what queued callers
/// get (errc::shutdown if the server was stopped, errc::no_process if it
/// crashed) - before Impl::terminate returns handles are still usable. A
/// reply after the caller's timeout is a late reply (counted in the
/// server's late_replies() and recorded as dead letter late_reply).
///
/// Thread-safety: all members may be called concurrently from any thread.
/// Lifetime: a handle may outlive the server and the caller.
template <class R>
class reply_handle {
 public:
  reply_handle() = default;
  /// Delivers `value` to the caller. True if delivered; false if the call
  /// was already answered (no effect), the caller gave up (a late reply:
  /// counted and recorded as a dead letter), or the handle is empty.
  bool reply(R value) const { return put(std::move(value), std::nullopt); }
  /// Completes the call with an error instead of a value (same returns).
  bool reply_error(error e) const { return put(std::nullopt, std::move(e)); }
  /// True while the caller still waits for this reply.
  bool pending() const { return s_ && s_->slot->pending(); }
  bool valid() const noexcept { return s_ != nullptr; }

 private:
  template <class>
  friend class detail::server_state;
  struct shared {
    std::shared_ptr<detail::reply_slot<R>> slot;
    std::function<void()> on_late;  // counts a late reply on the server (if it still exists)
    shared(std::shared_ptr<detail::reply_slot<R>> s, std::function<void()> late)
        : slot(std::move(s)), on_late(std::move(late)) {}
    shared(const shared&) = delete;
    shared& operator=(const shared&) = delete;
    ~shared() {
      (void)slot->put(std::nullopt, error(errc::no_process,
                                          "the server dropped the reply handle without replying"));
    }
  };
  explicit reply_handle(std::shared_ptr<shared> s) : s_(std::move(s)) {}
  bool put(std::optional<R>&& v, std::optional<error>&& e) const {
    if (!s_) return false;
    auto r = s_->slot->put(std::move(v), std::move(e));
    if (r == detail::reply_slot<R>::put_outcome::late && s_->on_late) s_->on_late();
    return r == detail::reply_slot<R>::put_outcome::delivered;
  }
  std::shared_ptr<shared> s_;
};

namespace detail {

template <class Impl, class C, class R>
concept deferred_call_handler = requires(Impl& i, C c, reply_handle<R> h) {
  { i.handle_call(std::move(c), h) } -> std::same_as<std::optional<R>>;
};

template <class Impl>
class server_state final : public process_core {
 public:
  using call_t = typename Impl::call_type;
  using reply_t = typename Impl::reply_type;
  using cast_t = typename cast_type_of<Impl>::type;
  using reply_slot = detail::reply_slot<reply_t>;

  struct call_msg {
    call_t req;
    std::shared_ptr<reply_slot> slot;
  };
  struct cast_msg {
    cast_t msg;
  };
  using envelope = std::variant<call_msg, cast_msg>;
  /// System-lane message: called with the state, or with nullptr and the
  /// error its sender gets (shutdown / no_process) if the server exits
  /// before serving it.
  using sys_msg = std::function<void(Impl*, const error*)>;

  server_state(std::string name, server_options opts) : process_core(std::move(name)), opts_(std::move(opts)) {
    if (!opts_.dead_letters) opts_.dead_letters = std::make_shared<dead_letter_office>();
  }

  // ---- client side ----
  result<reply_t> call(call_t req, clock::time_point deadline) {
    auto slot = std::make_shared<reply_slot>();
    bool wake = false;
    {
      std::unique_lock lk(mu_);
      if (auto e = admit(lk, [&] { return deadline; }, "call")) return std::move(*e);
      mailbox_.push_back(call_msg{std::move(req), slot});
      wake = std::exchange(waiting_, false);
    }
    if (wake) not_empty_.notify_one();
    std::unique_lock sl(slot->mu);
    if (!detail::wait_until(slot->cv, sl, deadline, [&] { return slot->state != reply_slot::st::pending; })) {
      slot->state = reply_slot::st::abandoned;
      return error(errc::timeout, "call to '" + name() + "' timed out (no reply before its deadline)");
    }
    if (slot->value) return std::move(*slot->value);
    return *slot->err;
  }

  result<void> cast(cast_t msg) {
    bool wake = false;
    {
      std::unique_lock lk(mu_);
      if (auto e = admit(lk, [&] { return deadline_after(opts_.send_timeout); }, "cast")) return std::move(*e);
      mailbox_.push_back(cast_msg{std::move(msg)});
      wake = std::exchange(waiting_, false);
    }
    if (wake) not_empty_.notify_one();
    return ok();
  }

  /// Pushes onto the system lane (ignores capacity). Errors: no_process.
  result<void> system(sys_msg m) {
    std::lock_guard lk(mu_);
    if (!accepting_) {
      opts_.dead_letters->record(dead_letter_reason::no_process, name(), "system message");
      return error(errc::no_process, "server '" + name() + "' is not running");
    }
    system_.push_back(std::move(m));
    waiting_ = false;
    not_empty_.notify_one();
    return ok();
  }

  std::uint64_t late_replies() const {
    std::lock_guard lk(mu_);
    return late_replies_;
  }
  std::size_t mailbox_size() const {
    std::lock_guard lk(mu_);
    return mailbox_.size();
  }
  std::size_t system_queue_size() const {
    std::lock_guard lk(mu_);
    return system_.size();
  }
  const server_options& options() const noexcept { return opts_; }

  // ---- server side (runs on the child thread) ----
  template <class Factory>
  result<void> serve(child_context& ctx, Factory& make) {
    std::unique_ptr<Impl> impl;
    if constexpr (std::is_convertible_v<std::invoke_result_t<Factory&, child_context&>, std::unique_ptr<Impl>>) {
      impl = make(ctx);
    } else {
      impl = std::make_unique<Impl>(make(ctx));
    }
    if (!impl) return error(errc::start_failed, "server '" + name() + "': factory returned null");
    if (opts_.registry && !opts_.name.empty()) {
      auto r = registry_register(*opts_.registry, opts_.name, ctx.self());
      if (!r) return r;
    }
    {
      std::lock_guard lk(mu_);
      accepting_ = true;
    }
    ctx.ready();
    std::stop_callback wake(stop_token(), [this] {
      std::lock_guard lk(mu_);
      waiting_ = false;
      not_empty_.notify_all();
    });
    result<void> outcome = ok();
    std::deque<envelope> batch;
    std::deque<sys_msg> sys;
    while (outcome) {
      {
        std::unique_lock lk(mu_);
        while (!stop_requested() && system_.empty() && mailbox_.empty()) {
          waiting_ = true;
          not_empty_.wait(lk);
        }
        waiting_ = false;
        if (stop_requested()) break;
        sys.swap(system_);
        if (sys.empty()) {
          // Take the whole mailbox in O(1); the server holds at most one
          // such batch besides the (bounded) mailbox.
          const bool was_full = mailbox_.size() >= opts_.mailbox_capacity;
          batch.swap(mailbox_);
          if (was_full) not_full_.notify_all();
        }
      }
      while (!sys.empty() && outcome) {
        auto m = std::move(sys.front());
        sys.pop_front();
        try {
          m(impl.get(), nullptr);
        } catch (...) {
          outcome = current_exception_error(errc::crashed, "server '" + name() + "' system message");
        }
      }
      std::size_t done = 0;
      for (; done < batch.size() && outcome && !stop_requested(); ++done) {
        envelope& env = batch[done];
        if (auto* c = std::get_if<call_msg>(&env)) {
          try {
            if constexpr (deferred_call_handler<Impl, call_t, reply_t>) {
              reply_handle<reply_t> from(std::make_shared<typename reply_handle<reply_t>::shared>(c->slot, late_sink()));
              std::optional<reply_t> rep = impl->handle_call(std::move(c->req), from);
              if (rep) {
                (void)from.reply(std::move(*rep));
              } else {
                remember_deferred(c->slot);
              }
            } else {
              reply_t rep = impl->handle_call(std::move(c->req));
              deliver(*c->slot, std::move(rep));
            }
          } catch (...) {
            auto e = current_exception_error(errc::crashed, "server '" + name() + "' handle_call threw");
            fail(*c->slot, e);
            outcome = std::move(e);
          }
        } else if constexpr (!std::is_same_v<cast_t, std::monostate>) {
          try {
            impl->handle_cast(std::move(std::get<cast_msg>(env).msg));
          } catch (...) {
            outcome = current_exception_error(errc::crashed, "server '" + name() + "' handle_cast threw");
          }
        }
      }
      if (done == batch.size()) {
        batch.clear();
      } else {
        batch.erase(batch.begin(), batch.begin() + static_cast<std::ptrdiff_t>(done));
      }
    }
    // Exit: stop accepting, then fail everything still queued. Stopped by
    // its owner (or by a linked process's shutdown/exit signal): the queued
    // senders get errc::shutdown (dead letter shutdown); crashed: no_process
    // (dead letter process_exited). Either way the message names the reason.
    const exit_reason why = !outcome ? exit_reason::failure(outcome.error())
                            : exit_signal_reason() ? *exit_signal_reason()
                                                   : exit_reason::shutdown();
    const bool stopped = outcome.has_value();
    const error dropped = stopped
        ? error(errc::shutdown, "server '" + name() + "' was stopped (" + why.describe() +
                                    ") before handling the message", why.err.exception)
        : error(errc::no_process, "server '" + name() + "' exited (" + why.describe() +
                                      ") before handling the message", why.err.exception);
    const auto letter = stopped ? dead_letter_reason::shutdown : dead_letter_reason::process_exited;
    {
      std::lock_guard lk(mu_);
      accepting_ = false;
      closed_with_ = dropped;
      for (auto& e : mailbox_) batch.push_back(std::move(e));
      mailbox_.clear();
      for (auto& m : system_) sys.push_back(std::move(m));
      system_.clear();
    }
    not_full_.notify_all();
    for (auto& e : batch) {
      if (auto* c = std::get_if<call_msg>(&e)) {
        opts_.dead_letters->record(letter, name(), "call");
        fail(*c->slot, dropped);
      } else {
        opts_.dead_letters->record(letter, name(), "cast");
      }
    }
    for (auto& m : sys) {
      opts_.dead_letters->record(letter, name(), "system message");
      try {
        m(nullptr, &dropped);
      } catch (...) {  // the nullptr path only fails a reply slot; nothing to report
        (void)0;
      }
    }
    struct fail_deferred_at_exit {  // after terminate(), even if it throws
      server_state* self;
      const error& why;
      ~fail_deferred_at_exit() {
        for (auto& w : self->deferred_)
          if (auto s = w.lock()) (void)s->put(std::nullopt, error(why));
        self->deferred_.clear();
      }
    } fail_deferred{this, dropped};
    if constexpr (requires(Impl& i, const exit_reason& r) { i.terminate(r); }) {
      try {
        impl->terminate(why);
      } catch (...) {
        if (outcome) outcome = current_exception_error(errc::crashed, "server '" + name() + "' terminate threw");
      }
    }
    return outcome;
  }

 private:
  // Requires lk held. Returns an error if the message cannot be enqueued.
  template <class DeadlineFn>
  std::optional<error> admit(std::unique_lock<std::mutex>& lk, DeadlineFn deadline_fn, const char* what) {
    if (!accepting_) {
      opts_.dead_letters->record(dead_letter_reason::no_process, name(), what);
      return error(errc::no_process, "server '" + name() + "' is not running");
    }
    if (mailbox_.size() < opts_.mailbox_capacity) return std::nullopt;
    if (opts_.overflow == overflow_policy::reject) {
      opts_.dead_letters->record(dead_letter_reason::mailbox_full, name(), what);
      return error(errc::mailbox_full, "mailbox of '" + name() + "' is full (" +
                                           std::to_string(opts_.mailbox_capacity) + ")");
    }
    if (!detail::wait_until(not_full_, lk, deadline_fn(),
                            [&] { return !accepting_ || mailbox_.size() < opts_.mailbox_capacity; })) {
      opts_.dead_letters->record(dead_letter_reason::mailbox_full, name(), what);
      return error(errc::timeout, "mailbox of '" + name() + "' stayed full until the deadline");
    }
    if (!accepting_) {  // it exited while this sender waited for space
      const bool stopped = closed_with_ && closed_with_->code == errc::shutdown;
      opts_.dead_letters->record(stopped ? dead_letter_reason::shutdown : dead_letter_reason::no_process,
                                 name(), what);
      return closed_with_ ? *closed_with_ : error(errc::no_process, "server '" + name() + "' exited");
    }
    return std::nullopt;
  }

  void note_late_reply() {
    {
      std::lock_guard lk(mu_);
      ++late_replies_;
    }
    opts_.dead_letters->record(dead_letter_reason::late_reply, name(), "reply");
  }

  void deliver(reply_slot& s, reply_t&& v) {
    if (s.put(std::move(v), std::nullopt) == reply_slot::put_outcome::late) note_late_reply();
  }

  void fail(reply_slot& s, error e) { (void)s.put(std::nullopt, std::move(e)); }

  // For reply handles: counts a late reply on this server while it exists,
  // and records the dead letter in its office even after it is gone.
  std::function<void()> late_sink() {
    std::weak_ptr<server_state> w = std::static_pointer_cast<server_state>(shared_from_this());
    return [w, dl = opts_.dead_letters, n = name()] {
      if (auto s = w.lock()) {
        s->note_late_reply();
      } else {
        dl->record(dead_letter_reason::late_reply, n, "reply");
      }
    };
  }

  // Server thread only: slots whose reply was deferred, failed at exit.
  void remember_deferred(const std::shared_ptr<reply_slot>& s) {
    if (deferred_.size() >= deferred_prune_at_) {
      std::erase_if(deferred_, [](const std::weak_ptr<reply_slot>& w) { return w.expired(); });
      deferred_prune_at_ = std::max<std::size_t>(64, 2 * deferred_.size());
    }
    deferred_.push_back(s);
  }

  server_options opts_;
  mutable std::mutex mu_;
  std::condition_variable not_empty_;
  std::condition_variable not_full_;
  std::deque<envelope> mailbox_;     // guarded by mu_
  std::deque<sys_msg> system_;       // guarded by mu_
  bool accepting_ = false;           // guarded by mu_
  std::optional<error> closed_with_; // guarded by mu_: what senders waiting at the exit get
  bool waiting_ = false;             // guarded by mu_
  std::uint64_t late_replies_ = 0;   // guarded by mu_
  std::vector<std::weak_ptr<reply_slot>> deferred_;  // server thread only
  std::size_t deferred_prune_at_ = 64;               // server thread only
};

}  // namespace detail

/// A client handle to one incarnation of a server. Cheap to copy.
template <class Impl>
class server_ref {
 public:
  using state_type = detail::server_state<Impl>;
  using call_type = typename state_type::call_t;
  using reply_type = typename state_type::reply_t;
  using cast_type = typename state_type::cast_t;

  server_ref() = default;
  explicit server_ref(std::shared_ptr<state_type> s) : s_(std::move(s)) {}

  /// Errors: no_process (empty ref), bad_type (not a server of Impl).
  static result<server_ref> from(const process_ref& p) {
    if (!p.valid()) return error(errc::no_process, "empty process_ref");
    auto s = std::dynamic_pointer_cast<state_type>(detail::core_access::of(p));
    if (!s) return error(errc::bad_type, "process '" + p.name() + "' is not a server of the requested type");
    return server_ref(std::move(s));
  }

  /// See the header comment for every outcome. `timeout` may be
  /// tether::infinity (wait forever); any timeout saturates (timeout.hpp).
  result<reply_type> call(call_type req, std::chrono::milliseconds timeout = default_call_timeout) const {
    if (!s_) return error(errc::no_process, "empty server_ref");
    return s_->call(std::move(req), detail::deadline_after(timeout));
  }
  /// As call(req, timeout) with an absolute deadline
  /// (steady_clock::time_point::max(): no deadline).
  result<reply_type> call(call_type req, std::chrono::steady_clock::time_point deadline) const {
    if (!s_) return error(errc::no_process, "empty server_ref");
    return s_->call(std::move(req), deadline);
  }
  /// See the header comment for every outcome.
  result<void> cast(cast_type msg) const {
    if constexpr (std::is_same_v<cast_type, std::monostate>) {
      return error(errc::invalid_argument, "server type declares no cast_type");
    }
    if (!s_) return error(errc::no_process, "empty server_ref");
    return s_->cast(std::move(msg));
  }
  /// Runs f(Impl&) on the server thread via the system lane (bypasses the
  /// mailbox and its capacity) and returns its result. Errors: no_process,
  /// timeout (f may still run later), crashed (f threw; the server exits),
  /// shutdown (the server was stopped before serving it).
  template <class F>
  auto inspect(F f, std::chrono::milliseconds timeout = default_call_timeout) const
      -> result<std::invoke_result_t<F&, Impl&>> {
    using R = std::invoke_result_t<F&, Impl&>;
    static_assert(!std::is_void_v<R>, "inspect needs a function that returns a value");
    if (!s_) return error(errc::no_process, "empty server_ref");
    struct slot_t {
      std::mutex mu;
      std::condition_variable cv;
      std::optional<result<R>> out;  // guarded by mu
    };
    auto slot = std::make_shared<slot_t>();
    auto pushed = s_->system([slot, f = std::move(f)](Impl* impl, const error* dropped) mutable {
      std::optional<result<R>> v;
      if (!impl) {
        v.emplace(dropped ? *dropped : error(errc::no_process, "server exited before the system message"));
      } else {
        try {
          v.emplace(f(*impl));
        } catch (...) {
          {
            std::lock_guard lk(slot->mu);
            slot->out.emplace(current_exception_error(errc::crashed, "inspect function threw"));
          }
          slot->cv.notify_all();
          throw;
        }
      }
      {
        std::lock_guard lk(slot->mu);
        slot->out.emplace(std::move(*v));
      }
      slot->cv.notify_all();
    });
    if (!pushed) return std::move(pushed).error();
    std::unique_lock lk(slot->mu);
    if (!detail::wait_until(slot->cv, lk, detail::deadline_after(timeout), [&] { return slot->out.has_value(); }))
      return error(errc::timeout, "inspect timed out");
    return std::move(*slot->out);
  }

  bool valid() const noexcept { return s_ != nullptr; }
  bool alive() const { return s_ && !s_->exited(); }
  process_ref process() const { return process_ref(s_); }
  std::uint64_t late_replies() const { return s_ ? s_->late_replies() : 0; }
  /// Messages waiting in the mailbox / on the system lane (diagnostics).
  std::size_t mailbox_size() const { return s_ ? s_->mailbox_size() : 0; }
  std::size_t system_queue_size() const { return s_ ? s_->system_queue_size() : 0; }

 private:
  std::shared_ptr<state_type> s_;
};

/// A child spec for a server. `make(child_context&)` builds the initial
/// Impl (returning Impl or std::unique_ptr<Impl>); it runs on the server
/// thread and may read ctx.state() to resume. An exception from `make` is a
/// start failure. The supervisor waits for init (await_ready).
template <class Impl, class Factory>
child_spec server_child(std::string id, Factory make, server_options opts = {},
                        restart_type restart = restart_type::permanent, shutdown_policy shutdown = {}) {
  child_spec s;
  s.id = std::move(id);
  s.restart = restart;
  s.shutdown = shutdown;
  s.await_ready = true;
  s.make_process = [opts](const std::string& cid, const detail::tree_env& env) {
    auto o = opts;
    if (!o.dead_letters) o.dead_letters = detail::env_dead_letters(env);
    return std::static_pointer_cast<detail::process_core>(
        std::make_shared<detail::server_state<Impl>>(cid, std::move(o)));
  };
  s.start = [make = std::move(make)](child_context& ctx) mutable -> result<void> {
    auto st = std::static_pointer_cast<detail::server_state<Impl>>(detail::core_access::of_context(ctx));
    return st->serve(ctx, make);
  };
  return s;
}

/// The current incarnation of server child `id` of `sup`.
/// Errors: not_found, no_process, bad_type.
template <class Impl>
result<server_ref<Impl>> whereis_server(const supervisor_ref& sup, const std::string& id) {
  auto p = sup.whereis(id);
  if (!p) return std::move(p).error();
  return server_ref<Impl>::from(*p);
}

/// A standalone server: one temporary server child under a private dynamic
/// supervisor (max_restarts 0), stopped and joined by the destructor.
template <class Impl>
class server {
 public:
  /// Errors: start_failed (make threw or registration failed).
  template <class Factory>
  static result<std::unique_ptr<server>> start(Factory make, server_options opts = {},
                                               supervisor_options sup_opts = {}) {
    std::unique_ptr<server> s(new server(std::move(sup_opts)));
    auto st = s->sup_.start();
    if (!st) return std::move(st).error();
    auto p = s->sup_.start_child(server_child<Impl>("server", std::move(make), std::move(opts),
                                                    restart_type::temporary));
    if (!p) return std::move(p).error();
    auto r = server_ref<Impl>::from(*p);
    if (!r) return std::move(r).error();
    s->ref_ = *r;
    return s;
  }
  const server_ref<Impl>& ref() const noexcept { return ref_; }
  /// Stops the server (shutdown protocol) and its supervisor. Idempotent.
  void stop() { sup_.stop(); }

 private:
  explicit server(supervisor_options o)
      : sup_(dynamic_supervisor_flags{0, std::chrono::milliseconds(5000), 1}, std::move(o)) {}
  dynamic_supervisor sup_;
  server_ref<Impl> ref_;
};

}  // namespace v1
}  // namespace tether
