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
//   ref.send(info)                  handle_info(info_type)          Pid ! Msg, handle_info/2
//   ref.send_after(delay, info)     handle_info(info_type)          erlang:send_after/3
//   ref.cancel_timer(t) -> bool                                     erlang:cancel_timer/1
//   ref.monitor(target)             handle_info(const down&)        monitor/2, {'DOWN', ...}
//   ref.demonitor(m) -> bool                                        demonitor/1
//   server_options::trap_exits      handle_info(const exit_message&) process_flag(trap_exit), {'EXIT', ...}
//   make returns with_continue(impl, arg)  handle_continue(arg)     {ok, S, {continue, A}}, handle_continue/2
//   a handler returns with_continue(...)   handle_continue(arg)     {reply, R, S, {continue, A}},
//                                                                   {noreply, S, {continue, A}}
//   supervisor stops it             terminate(const exit_reason&)   terminate/2
//
// Protocol
//   Single type: Impl declares `using call_type`, `using reply_type` and may
//   declare `using cast_type`. Typed protocol: Impl declares `using
//   call_types = std::tuple<Req...>` and one handle_call overload per
//   request type; the reply type of Req is Req::reply_type if declared, else
//   what handle_call(Req) returns (server_ref<Impl>::reply_of<Req>);
//   ref.call(Req{...}) selects the overload by the request's exact (decayed)
//   type and returns result<reply_of<Req>>. `using cast_types =
//   std::tuple<C...>` likewise selects handle_cast overloads. A request or
//   cast type the server does not list fails to compile (static_assert
//   "the server does not handle this request type"); so does a listed type
//   without a handler. Any request type may use a deferred reply. handle_cast
//   is required only if casts are declared; handle_info, handle_continue and
//   terminate are optional.
//
// Info messages (OTP handle_info)
//   Timer messages, send(), monitor downs and trapped link exits go to the
//   same mailbox as calls and casts, in arrival order, and are handled by an
//   overload of handle_info: handle_info(info_type) (Impl declares `using
//   info_type`), handle_info(const down&), handle_info(const exit_message&).
//   They are not subject to the mailbox capacity (they never block nor fail
//   with mailbox_full; their number is bounded by the timers and monitors
//   armed). An info message without a matching handle_info is dropped and
//   recorded as dead letter `unhandled` (OTP's default handle_info logs it).
//   Ordering: messages from one sender arrive in send order; a down arrives
//   after every message its process queued before exiting; an expired timer
//   is handled after the messages queued before the server noticed the
//   expiry, timers in deadline order, equal deadlines in the order they were
//   set, never before their deadline. Timers are owned by the server (no
//   timer thread): the server thread sleeps until the earliest deadline.
//   When the server exits, pending timers are cancelled (payloads destroyed
//   before the thread is joined), monitors removed, and queued info messages
//   become dead letters like casts; handle_info is never called after
//   terminate. handle_info / handle_continue throwing crashes the server as
//   handle_cast does.
//
// Continue (OTP handle_continue)
//   The factory may return with_continue(impl, arg): the server acknowledges
//   its start (start_child / server::start return), then runs
//   impl.handle_continue(arg) before any message - also before messages sent
//   or timers that expired during init. The factory may take a second
//   parameter server_ref<Impl> (its own ref) to arm timers, monitor or send
//   to itself during init. As in OTP, handlers may ask for a continue too:
//   handle_call returns with_continue(reply, arg) (a deferred handler
//   with_continue(std::optional<reply>, arg)), handle_cast / handle_info /
//   handle_continue return with_continue(arg); the continue runs right
//   after the handler (after the call's reply was delivered) and before any
//   other message, system messages included; a continue may ask for the
//   next one. An arg of type std::optional<C> continues only if engaged.
//   A stop request is checked before each continue and drops it. See
//   with_continue_t.
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
//   timeout. The server thread blocks on its mailbox when idle (after up to
//   64 std::this_thread::yield() calls watching a lock-free "something was
//   queued" hint, which spares busy senders a futex wake per message) and
//   wakes on a message, on its stop request or at its earliest timer.
//
// Memory ordering
//   Everything a client did before call/cast happens-before the handler sees
//   the message; everything the handler did before returning a reply
//   happens-before call() returns it.
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <concepts>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <new>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <tuple>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "tether/dynamic_supervisor.hpp"
#include "tether/error.hpp"
#include "tether/monitor.hpp"
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
  /// OTP's process_flag(trap_exit, true): exit signals from linked processes
  /// (normal exits included) arrive as handle_info(const exit_message&)
  /// instead of stopping the server. Requires that handler (init fails with
  /// invalid_argument otherwise). Default false. A stop request from the
  /// supervisor always stops the server.
  bool trap_exits = false;
};

namespace detail {
/// Registers p under name (see registry.hpp). Defined in registry.cpp.
result<void> registry_register(registry& reg, const std::string& name, const process_ref& p);

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

/// OTP's {'EXIT', Pid, Reason}: a linked process exited. Delivered to
/// handle_info(const exit_message&) only by a server started with
/// server_options::trap_exits (otherwise a non-normal exit of a linked
/// process stops the server, see monitor.hpp). Normal exits are delivered
/// too, as in OTP.
struct exit_message {
  std::uint64_t pid = 0;  ///< the linked process that exited
  std::string name;
  exit_reason reason;
};

/// A timer set by server_ref::send_after. Identifies one timer across all
/// servers (ids are never reused); a default-constructed ref is empty.
struct timer_ref {
  std::uint64_t id = 0;
  bool valid() const noexcept { return id != 0; }
  friend bool operator==(const timer_ref&, const timer_ref&) = default;
};

/// A monitor set by server_ref::monitor (OTP's monitor reference); its down
/// arrives as handle_info(const down&) with down::ref == id.
struct monitor_ref {
  std::uint64_t id = 0;
  bool valid() const noexcept { return id != 0; }
  friend bool operator==(const monitor_ref&, const monitor_ref&) = default;
};

/// A value plus a continue request: OTP's {continue, Arg} (handle_continue/2).
/// Built by with_continue(); returned by
///   the factory (init)        with_continue(impl, arg)        {ok, S, {continue, A}}
///                             (impl: Impl or std::unique_ptr<Impl>)
///   handle_call               with_continue(reply, arg)       {reply, R, S, {continue, A}}
///   deferred handle_call      with_continue(std::optional<R>{}, arg)
///                             (nullopt: no reply yet)         {noreply, S, {continue, A}}
///   handle_cast, handle_info,
///   handle_continue           with_continue(arg)              {noreply, S, {continue, A}}
/// A handler that continues only sometimes returns an arg of type
/// std::optional<C>: std::nullopt asks for no continue, an engaged optional
/// for handle_continue(C).
/// The server then calls impl.handle_continue(arg) (the overload for the
/// argument's type; it must exist, else the handler does not compile) on
/// its own thread right after the handler returned - after a call's reply
/// was delivered - and before it takes any other message: calls, casts,
/// info messages, timers and system messages (inspect) queued earlier or
/// meanwhile all wait. handle_continue may itself return with_continue(arg)
/// to chain another continue. A stop request is checked before each
/// continue: a server asked to stop drops its pending continue (as an OTP
/// process killed by its supervisor's exit signal). handle_continue
/// throwing crashes the server (failure(crashed)) like any handler.
template <class T, class C>
struct with_continue_t {
  T value;
  C arg;
};
/// The continue request of a handler that returns no value.
template <class C>
struct with_continue_t<void, C> {
  C arg;
};
/// `return tether::with_continue(value, arg);`: from a server factory
/// (value = the Impl or a std::unique_ptr<Impl>) or from handle_call (value
/// = the reply, or std::optional<reply> in a deferred handler).
template <class T, class C>
with_continue_t<std::decay_t<T>, std::decay_t<C>> with_continue(T&& value, C&& arg) {
  return {std::forward<T>(value), std::forward<C>(arg)};
}
/// `return tether::with_continue(arg);` from handle_cast, handle_info or
/// handle_continue (declared to return tether::with_continue_t<void, C>, or
/// auto).
template <class C>
with_continue_t<void, std::decay_t<C>> with_continue(C&& arg) {
  return {std::forward<C>(arg)};
}

template <class Impl>
class server_ref;

namespace detail {

/// Placeholder parameter type of the API an Impl does not have (the
/// single-type call/cast of a typed protocol, send_after without info_type).
/// Cannot be constructed by users.
struct not_declared {
 private:
  not_declared() = default;
};

template <class T, class Tuple>
struct tuple_contains;
template <class T, class... Ts>
struct tuple_contains<T, std::tuple<Ts...>> : std::bool_constant<(std::is_same_v<T, Ts> || ...)> {};

template <class Tuple>
struct tuple_unique;
template <>
struct tuple_unique<std::tuple<>> : std::true_type {};
template <class T, class... Ts>
struct tuple_unique<std::tuple<T, Ts...>>
    : std::bool_constant<!(std::is_same_v<T, Ts> || ...) && tuple_unique<std::tuple<Ts...>>::value> {};

template <class I>
concept single_call_type = requires { typename I::call_type; };
template <class I>
concept typed_calls = requires { typename I::call_types; };
template <class I>
concept single_cast_type = requires { typename I::cast_type; };
template <class I>
concept typed_casts = requires { typename I::cast_types; };
template <class I>
concept has_info_type = requires { typename I::info_type; };

/// The request types of Impl: {call_type} or call_types (a std::tuple).
template <class I>
auto pick_calls() {
  if constexpr (single_call_type<I>) return std::type_identity<std::tuple<typename I::call_type>>{};
  else if constexpr (typed_calls<I>) return std::type_identity<typename I::call_types>{};
  else return std::type_identity<std::tuple<>>{};
}
template <class I>
auto pick_casts() {
  if constexpr (single_cast_type<I>) return std::type_identity<std::tuple<typename I::cast_type>>{};
  else if constexpr (typed_casts<I>) return std::type_identity<typename I::cast_types>{};
  else return std::type_identity<std::tuple<>>{};
}
template <class I>
using calls_of = typename decltype(pick_calls<I>())::type;
template <class I>
using casts_of = typename decltype(pick_casts<I>())::type;

/// The reply type of request Req: Impl::reply_type for a single call_type;
/// for call_types, Req::reply_type if declared, else what handle_call(Req)
/// returns.
/// with_continue_t's parts: strip_continue_t<X> is X's value type (X itself
/// if X is not a with_continue_t).
template <class X>
struct continue_parts {
  static constexpr bool is_continue = false;
  using value = X;
};
template <class T, class C>
struct continue_parts<with_continue_t<T, C>> {
  static constexpr bool is_continue = true;
  using value = T;
  using arg = C;
};
template <class X>
struct is_optional : std::false_type {};
template <class X>
struct is_optional<std::optional<X>> : std::true_type {};
template <class X>
using strip_continue_t = typename continue_parts<std::remove_cvref_t<X>>::value;
template <class X>
inline constexpr bool is_continue_v = continue_parts<std::remove_cvref_t<X>>::is_continue;

template <class I, class Req>
auto pick_reply() {
  if constexpr (single_call_type<I>) {
    return std::type_identity<typename I::reply_type>{};
  } else if constexpr (requires { typename Req::reply_type; }) {
    return std::type_identity<typename Req::reply_type>{};
  } else if constexpr (requires(I& i, Req r) { i.handle_call(std::move(r)); }) {
    return std::type_identity<std::decay_t<strip_continue_t<decltype(std::declval<I&>().handle_call(std::declval<Req>()))>>>{};
  } else {
    return std::type_identity<not_declared>{};
  }
}
template <class I, class Req>
using reply_of = typename decltype(pick_reply<I, Req>())::type;

template <class I>
auto pick_info() {
  if constexpr (has_info_type<I>) return std::type_identity<typename I::info_type>{};
  else return std::type_identity<not_declared>{};
}
template <class I>
using info_of = typename decltype(pick_info<I>())::type;

template <class Impl, class C, class R>
concept deferred_call_handler = requires(Impl& i, C c, reply_handle<R> h) {
  requires std::same_as<std::remove_cvref_t<strip_continue_t<decltype(i.handle_call(std::move(c), h))>>,
                        std::optional<R>>;
};
template <class Impl, class C, class R>
concept direct_call_handler = requires(Impl& i, C c) {
  requires std::convertible_to<strip_continue_t<decltype(i.handle_call(std::move(c)))>, R>;
};
template <class Impl, class M>
concept info_handler = requires(Impl& i, M m) { i.handle_info(std::move(m)); };
template <class Impl, class C>
concept cast_handler = requires(Impl& i, C c) { i.handle_cast(std::move(c)); };

template <class Impl, class Calls>
struct all_calls_handled;
template <class Impl, class... Rs>
struct all_calls_handled<Impl, std::tuple<Rs...>>
    : std::bool_constant<((deferred_call_handler<Impl, Rs, reply_of<Impl, Rs>> ||
                           direct_call_handler<Impl, Rs, reply_of<Impl, Rs>>) && ...)> {};
template <class Impl, class Casts>
struct all_casts_handled;
template <class Impl, class... Cs>
struct all_casts_handled<Impl, std::tuple<Cs...>>
    : std::bool_constant<(cast_handler<Impl, Cs> && ...)> {};

template <class Req, class R>
struct call_msg {
  Req req;
  std::shared_ptr<reply_slot<R>> slot;
};
template <class C>
struct cast_msg {
  C msg;
};
/// A message for handle_info: a monitor's down, a trapped exit, or a timer /
/// send() payload of Impl::info_type.
/// Boxed: info messages are rare, and a down or an exit_message is large;
/// the mailbox's envelope stays as small as a call or cast.
template <class U>
struct info_msg {
  using payload = std::variant<down, exit_message, U>;
  template <class X>
  explicit info_msg(X&& x) : v(std::make_unique<payload>(std::forward<X>(x))) {}
  std::unique_ptr<payload> v;
};

template <class Impl, class Calls, class Casts>
struct envelope_of;
template <class Impl, class... Rs, class... Cs>
struct envelope_of<Impl, std::tuple<Rs...>, std::tuple<Cs...>> {
  using type = std::variant<call_msg<Rs, reply_of<Impl, Rs>>..., cast_msg<Cs>..., info_msg<info_of<Impl>>>;
};


/// The mailbox: a FIFO of T in fixed-size chunks (about 4 KiB each) that are
/// recycled instead of freed. The server's mailbox and the batch it took
/// out are two of these; take_all moves every chunk of the mailbox to the
/// (empty) batch in O(1) and hands the chunks the batch emptied back to the
/// mailbox, so a steady stream of messages allocates and frees nothing.
/// (std::deque allocates a 512-byte block per 16 envelopes of 32 bytes and
/// the server frees it again: allocation was about a third of a cast's
/// cost, see docs/runtime/benchmarks.md.) Spare chunks beyond twice what
/// the last batch needed (at least 16) are freed by trim_spares, so a burst
/// does not pin its memory.
/// Not thread-safe: the server guards its mailbox with its mutex; the batch
/// is the server thread's own.
template <class T>
class chunked_queue {
  static constexpr std::size_t per_chunk = sizeof(T) >= 512 ? 8 : 4096 / sizeof(T);
  static constexpr std::size_t min_spare = 16;
  struct chunk {
    chunk* next = nullptr;
    std::size_t begin = 0, end = 0;
    alignas(T) unsigned char buf[per_chunk * sizeof(T)];
    T* at(std::size_t i) noexcept { return std::launder(reinterpret_cast<T*>(buf + i * sizeof(T))); }
  };

 public:
  chunked_queue() = default;
  chunked_queue(const chunked_queue&) = delete;
  chunked_queue& operator=(const chunked_queue&) = delete;
  ~chunked_queue() {
    clear();
    release(head_);  // an emptied chunk still linked (none after clear)
    release(spare_);
  }

  bool empty() const noexcept { return size_ == 0; }
  std::size_t size() const noexcept { return size_; }
  T& front() noexcept { return *head_->at(head_->begin); }

  void push_back(T&& v) { emplace_back(std::move(v)); }

  /// Constructs T(args...) in place at the end.
  template <class... A>
  void emplace_back(A&&... args) {
    if (!tail_ || tail_->end == per_chunk) {
      chunk* c = spare_;
      if (c) {
        spare_ = c->next;
        --spares_;
        c->next = nullptr;
        c->begin = c->end = 0;
      } else {
        c = new chunk;
      }
      (tail_ ? tail_->next : head_) = c;
      tail_ = c;
    }
    ::new (static_cast<void*>(tail_->at(tail_->end))) T(std::forward<A>(args)...);
    ++tail_->end;
    ++size_;
  }

  /// Destroys the first element. Precondition: !empty().
  void pop_front() noexcept {
    head_->at(head_->begin)->~T();
    ++head_->begin;
    --size_;
    if (head_->begin == head_->end) {
      chunk* c = head_;
      head_ = c->next;
      if (!head_) tail_ = nullptr;
      c->next = spare_;
      spare_ = c;
      ++spares_;
    }
  }

  void clear() noexcept {
    while (!empty()) pop_front();
  }

  /// Moves every element of `from` to the end of this queue (O(1)), and
  /// gives this queue's spare chunks to `from` (up to twice the chunks just
  /// taken, at least 16; trim_spares frees the rest).
  void take_all(chunked_queue& from) noexcept {
    if (from.head_) {
      if (empty()) {
        head_ = from.head_;
      } else {
        tail_->next = from.head_;
      }
      tail_ = from.tail_;
      spare_cap_ = std::max(min_spare, 2 * (from.size_ / per_chunk + 1));
      size_ += from.size_;
      from.head_ = from.tail_ = nullptr;
      from.size_ = 0;
    }
    while (spare_ && from.spares_ < spare_cap_) {
      chunk* c = spare_;
      spare_ = c->next;
      --spares_;
      c->next = from.spare_;
      from.spare_ = c;
      ++from.spares_;
    }
  }
  /// Frees the spare chunks take_all did not hand on.
  void trim_spares() noexcept {
    release(spare_);
    spare_ = nullptr;
    spares_ = 0;
  }

 private:
  static void release(chunk* c) noexcept {
    while (c) {
      chunk* n = c->next;
      delete c;
      c = n;
    }
  }

  chunk* head_ = nullptr;
  chunk* tail_ = nullptr;
  std::size_t size_ = 0;
  chunk* spare_ = nullptr;  // emptied chunks, reused by emplace_back
  std::size_t spares_ = 0;
  std::size_t spare_cap_ = min_spare;
};

/// Process-wide id source for timer and monitor refs (identity only).
inline std::uint64_t next_server_ref_id() noexcept {
  static std::atomic<std::uint64_t> next{1};
  return next.fetch_add(1, std::memory_order_relaxed);
}

template <class Impl>
class server_state final : public process_core {
 public:
  using calls = calls_of<Impl>;
  using casts = casts_of<Impl>;
  using info_t = info_of<Impl>;
  using info = info_msg<info_t>;
  using envelope = typename envelope_of<Impl, calls, casts>::type;
  using clock = std::chrono::steady_clock;

  static_assert(!(single_call_type<Impl> && typed_calls<Impl>),
                "tether::server: Impl declares both call_type and call_types; declare one");
  static_assert(!(single_cast_type<Impl> && typed_casts<Impl>),
                "tether::server: Impl declares both cast_type and cast_types; declare one");
  static_assert(tuple_unique<calls>::value, "tether::server: Impl::call_types lists a type twice");
  static_assert(tuple_unique<casts>::value, "tether::server: Impl::cast_types lists a type twice");
  static_assert(all_calls_handled<Impl, calls>::value,
                "tether::server: Impl has no handle_call(Req) -> reply (or deferred "
                "handle_call(Req, reply_handle<reply>) -> std::optional<reply>) for one of its call types");
  static_assert(all_casts_handled<Impl, casts>::value,
                "tether::server: Impl has no handle_cast(C) for one of its cast types");
  static_assert(!std::is_same_v<info_t, down> && !std::is_same_v<info_t, exit_message>,
                "tether::server: Impl::info_type must not be tether::down or tether::exit_message "
                "(those arrive at handle_info without being declared)");

  /// System-lane message: called with the state, or with nullptr and the
  /// error its sender gets (shutdown / no_process) if the server exits
  /// before serving it.
  using sys_msg = std::function<void(Impl*, const error*)>;

  server_state(std::string name, server_options opts) : process_core(std::move(name)), opts_(std::move(opts)) {
    if (!opts_.dead_letters) opts_.dead_letters = std::make_shared<dead_letter_office>();
  }

  // ---- client side ----
  template <class Req>
  result<reply_of<Impl, Req>> call(Req req, clock::time_point deadline) {
    using R = reply_of<Impl, Req>;
    using slot_t = reply_slot<R>;
    auto slot = std::make_shared<slot_t>();
    bool wake = false;
    {
      std::unique_lock lk(mu_);
      if (!has_room()) [[unlikely]] {
        if (auto e = admit(lk, [&] { return deadline; }, "call")) return std::move(*e);
      }
      mailbox_.emplace_back(std::in_place_type<call_msg<Req, R>>, std::move(req), slot);
      note_queued();
      wake = std::exchange(waiting_, false);
    }
    if (wake) not_empty_.notify_one();
    std::unique_lock sl(slot->mu);
    if (!detail::wait_until(slot->cv, sl, deadline, [&] { return slot->state != slot_t::st::pending; })) {
      slot->state = slot_t::st::abandoned;
      return error(errc::timeout, "call to '" + name() + "' timed out (no reply before its deadline)");
    }
    if (slot->value) return std::move(*slot->value);
    return *slot->err;
  }

  template <class C>
  result<void> cast(C msg) {
    bool wake = false;
    {
      std::unique_lock lk(mu_);
      if (!has_room()) [[unlikely]] {
        if (auto e = admit(lk, [&] { return deadline_after(opts_.send_timeout); }, "cast")) return std::move(*e);
      }
      mailbox_.emplace_back(std::in_place_type<cast_msg<C>>, std::move(msg));
      note_queued();
      wake = std::exchange(waiting_, false);
    }
    if (wake) not_empty_.notify_one();
    return ok();
  }

  /// Queues an info message now (not subject to the capacity).
  /// Errors: no_process (the server is not running).
  result<void> send_info(info m, const char* what) {
    {
      std::lock_guard lk(mu_);
      if (!self_open_) {
        opts_.dead_letters->record(dead_letter_reason::no_process, name(), what);
        return error(errc::no_process, "server '" + name() + "' is not running");
      }
      push_info_locked(std::move(m));
    }
    return ok();
  }

  /// Arms a timer. Errors: no_process.
  result<timer_ref> send_after(std::chrono::milliseconds delay, info_t msg) {
    const auto at = deadline_after(delay);
    const std::uint64_t id = next_server_ref_id();
    bool wake = false;
    {
      std::lock_guard lk(mu_);
      if (!self_open_) return error(errc::no_process, "server '" + name() + "' is not running");
      const bool earliest = timers_.empty() || at < timers_.begin()->first.first;
      timers_.emplace(std::make_pair(at, id), std::move(msg));
      timer_at_.emplace(id, at);
      // The server thread sleeps until the earliest deadline: wake it if
      // this timer is now the earliest.
      wake = earliest && std::exchange(waiting_, false);
    }
    if (wake) not_empty_.notify_one();
    return timer_ref{id};
  }

  /// True if the timer was still pending (its message will never be
  /// handled); false if it already expired (its message is queued or was
  /// handled), was cancelled, belongs to another server, or the server exited.
  bool cancel_timer(timer_ref t) {
    std::lock_guard lk(mu_);
    auto it = timer_at_.find(t.id);
    if (it == timer_at_.end()) return false;
    timers_.erase(std::make_pair(it->second, it->first));
    timer_at_.erase(it);
    return true;
  }

  std::size_t timers_pending() const {
    std::lock_guard lk(mu_);
    return timers_.size();
  }

  /// Monitors `target`; its down arrives as an info message. Errors:
  /// no_process (this server is not running).
  result<monitor_ref> monitor(const process_ref& target) {
    const std::uint64_t id = next_server_ref_id();
    auto tcore = core_access::of(target);
    {
      std::lock_guard lk(mu_);
      if (!self_open_) return error(errc::no_process, "server '" + name() + "' is not running");
      if (!tcore) {  // OTP: monitoring a nonexistent process yields an immediate DOWN (noproc)
        push_info_locked(info{down{0, "", exit_reason::failure(error(errc::no_process, "monitor of an empty process_ref")), id}});
        return monitor_ref{id};
      }
      monitors_.emplace(id, monitor_entry{tcore, 0});
    }
    std::weak_ptr<server_state> self = std::static_pointer_cast<server_state>(shared_from_this());
    // May run at once on this thread if the target already exited.
    const std::uint64_t wid = tcore->add_watcher([self, id](const process_core& c, const exit_reason& r) {
      if (auto s = self.lock()) s->monitor_fired(id, down{c.pid(), c.name(), r, id});
    });
    bool stale = false;
    {
      std::lock_guard lk(mu_);
      auto it = monitors_.find(id);
      if (it != monitors_.end()) it->second.watcher = wid;
      else stale = wid != 0;  // demonitored (or the server exited) meanwhile
    }
    if (stale) tcore->remove_watcher(wid);
    return monitor_ref{id};
  }

  /// True if the monitor was active (no down will arrive); false if its
  /// down was already queued or handled, or it is unknown.
  bool demonitor(monitor_ref m) {
    monitor_entry e;
    {
      std::lock_guard lk(mu_);
      auto it = monitors_.find(m.id);
      if (it == monitors_.end()) return false;
      e = std::move(it->second);
      monitors_.erase(it);
    }
    if (e.watcher) e.target->remove_watcher(e.watcher);
    return true;
  }

  /// Exit signals from links: taken as messages when trapping exits.
  bool trap_exit(const exit_reason& from, std::uint64_t from_pid, std::string_view from_name) override {
    if constexpr (info_handler<Impl, exit_message>) {
      if (!opts_.trap_exits) return false;
      (void)send_info(info{exit_message{from_pid, std::string(from_name), from}}, "exit message");
      return true;
    } else {
      return false;
    }
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
    {
      std::lock_guard lk(mu_);
      self_open_ = true;  // init may already arm timers, monitor, send to itself
    }
    struct close_at_exit {  // timers and monitors never outlive serve()
      server_state* self;
      ~close_at_exit() { self->close_self(); }
    } closer{this};
    if (opts_.trap_exits && !info_handler<Impl, exit_message>)
      return error(errc::invalid_argument, "server '" + name() +
                                               "': trap_exits needs handle_info(const tether::exit_message&)");
    std::unique_ptr<Impl> impl;
    auto invoke_make = [&]() -> decltype(auto) {
      if constexpr (std::is_invocable_v<Factory&, child_context&, server_ref<Impl>>) {
        return make(ctx, server_ref<Impl>(std::static_pointer_cast<server_state>(shared_from_this())));
      } else {
        return make(ctx);
      }
    };
    using made_t = std::decay_t<decltype(invoke_make())>;
    if constexpr (is_continue_v<made_t>) {
      using V = typename continue_parts<made_t>::value;
      static_assert(std::is_convertible_v<V, std::unique_ptr<Impl>> || std::is_constructible_v<Impl, V>,
                    "tether::server: the factory's with_continue(value, arg) must hold the Impl or a "
                    "std::unique_ptr<Impl>");
      auto made = invoke_make();
      if constexpr (std::is_convertible_v<V, std::unique_ptr<Impl>>) {
        impl = std::move(made.value);
      } else {
        impl = std::make_unique<Impl>(std::move(made.value));
      }
      ask_continue(std::move(made));
    } else if constexpr (std::is_convertible_v<made_t, std::unique_ptr<Impl>>) {
      impl = invoke_make();
    } else {
      impl = std::make_unique<Impl>(invoke_make());
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
    // OTP handle_continue: before any message, even ones sent during init.
    if (continue_) run_continues(*impl, outcome);
    chunked_queue<envelope> batch;
    std::deque<sys_msg> sys;
    while (outcome) {
      {
        std::unique_lock lk(mu_);
        for (int idle = 0;; ++idle) {
          if (stop_requested() || !system_.empty() || !mailbox_.empty()) break;
          if (!timers_.empty() && timers_.begin()->first.first <= clock::now()) break;
          if (idle == 0) {
            // Before sleeping, give a busy sender a few scheduler turns to
            // queue more (watching a hint, without the lock): a sleeping
            // server costs a sender a futex wake and the server a context
            // switch per wake-up, which dominated cast throughput (see
            // docs/runtime/benchmarks.md).
            lk.unlock();
            for (int k = 0; k < idle_yields && !queued_hint_.load(std::memory_order_relaxed); ++k)
              std::this_thread::yield();
            lk.lock();
            continue;
          }
          waiting_ = true;
          if (timers_.empty()) {
            not_empty_.wait(lk);
          } else {
            // A copy: wait_until reads the deadline again after waking, and
            // cancel_timer may erase the map node while the lock is
            // released (a heap-use-after-free under ASan).
            const auto next_deadline = timers_.begin()->first.first;
            not_empty_.wait_until(lk, next_deadline);
          }
        }
        waiting_ = false;
        if (stop_requested()) break;
        sys.swap(system_);
        if (sys.empty()) {
          // Take the whole mailbox in O(1); the server holds at most one
          // such batch besides the (bounded) mailbox.
          const bool was_full = mailbox_.size() - infos_queued_ >= opts_.mailbox_capacity;
          batch.take_all(mailbox_);
          infos_queued_ = 0;
          queued_hint_.store(false, std::memory_order_relaxed);
          if (was_full) not_full_.notify_all();
          // Expired timers go after the messages taken with them, in
          // deadline order (equal deadlines: in the order they were set).
          const auto now = clock::now();
          while (!timers_.empty() && timers_.begin()->first.first <= now) {
            auto node = timers_.extract(timers_.begin());
            timer_at_.erase(node.key().second);
            batch.push_back(info{std::move(node.mapped())});
          }
        }
      }
      batch.trim_spares();  // outside the lock
      while (!sys.empty() && outcome) {
        auto m = std::move(sys.front());
        sys.pop_front();
        try {
          m(impl.get(), nullptr);
        } catch (...) {
          outcome = current_exception_error(errc::crashed, "server '" + name() + "' system message");
        }
      }
      while (!batch.empty() && outcome && !stop_requested()) {
        std::visit([&](auto& m) { handle_one(*impl, m, outcome); }, batch.front());
        batch.pop_front();
        if (continue_) run_continues(*impl, outcome);  // before the next message
      }
    }
    // Exit: stop accepting, then fail everything still queued. Stopped by
    // its owner (or by a linked process's shutdown/exit signal): the queued
    // senders get errc::shutdown (dead letter shutdown); crashed: no_process
    // (dead letter process_exited). Either way the message names the reason.
    const exit_reason why = !outcome ? exit_reason::failure(outcome.error())
                            : exit_signal_reason() ? *exit_signal_reason()
                                                   : exit_reason::shutdown();
    continue_.reset();  // a continue pending at a stop request is dropped
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
      batch.take_all(mailbox_);
      infos_queued_ = 0;
      for (auto& m : system_) sys.push_back(std::move(m));
      system_.clear();
    }
    close_self();  // no timer fires and no down arrives from now on
    not_full_.notify_all();
    for (; !batch.empty(); batch.pop_front()) {
      auto& e = batch.front();
      std::visit(
          [&](auto& m) {
            using M = std::decay_t<decltype(m)>;
            if constexpr (std::is_same_v<M, info>) {
              opts_.dead_letters->record(letter, name(), "info");
            } else if constexpr (requires { m.slot; }) {
              opts_.dead_letters->record(letter, name(), "call");
              (void)m.slot->put(std::nullopt, error(dropped));
            } else {
              opts_.dead_letters->record(letter, name(), "cast");
            }
          },
          e);
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
        for (auto& f : self->deferred_) f(why);
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
  struct monitor_entry {
    std::shared_ptr<process_core> target;
    std::uint64_t watcher = 0;
  };

  template <class Req, class R>
  void handle_one(Impl& impl, call_msg<Req, R>& c, result<void>& outcome) {
    try {
      if constexpr (deferred_call_handler<Impl, Req, R>) {
        reply_handle<R> from(std::make_shared<typename reply_handle<R>::shared>(c.slot, late_sink()));
        auto ret = impl.handle_call(std::move(c.req), from);
        std::optional<R> rep;
        if constexpr (is_continue_v<decltype(ret)>) {
          rep = std::move(ret.value);
          ask_continue(std::move(ret));
        } else {
          rep = std::move(ret);
        }
        if (rep) {
          (void)from.reply(std::move(*rep));
        } else {
          remember_deferred(c.slot);
        }
      } else {
        if constexpr (is_continue_v<decltype(impl.handle_call(std::move(c.req)))>) {
          auto ret = impl.handle_call(std::move(c.req));
          R rep = std::move(ret.value);
          if (c.slot->put(std::move(rep), std::nullopt) == reply_slot<R>::put_outcome::late) note_late_reply();
          ask_continue(std::move(ret));
        } else {
          R rep = impl.handle_call(std::move(c.req));
          if (c.slot->put(std::move(rep), std::nullopt) == reply_slot<R>::put_outcome::late) note_late_reply();
        }
      }
    } catch (...) {
      auto e = current_exception_error(errc::crashed, "server '" + name() + "' handle_call threw");
      (void)c.slot->put(std::nullopt, error(e));
      outcome = std::move(e);
    }
  }

  template <class C>
  void handle_one(Impl& impl, cast_msg<C>& c, result<void>& outcome) {
    try {
      if constexpr (is_continue_v<decltype(impl.handle_cast(std::move(c.msg)))>) {
        ask_continue(impl.handle_cast(std::move(c.msg)));
      } else {
        impl.handle_cast(std::move(c.msg));
      }
    } catch (...) {
      outcome = current_exception_error(errc::crashed, "server '" + name() + "' handle_cast threw");
    }
  }

  void handle_one(Impl& impl, info& m, result<void>& outcome) {
    try {
      std::visit(
          [&](auto& v) {
            using V = std::decay_t<decltype(v)>;
            if constexpr (info_handler<Impl, V>) {
              if constexpr (is_continue_v<decltype(impl.handle_info(std::move(v)))>) {
                ask_continue(impl.handle_info(std::move(v)));
              } else {
                impl.handle_info(std::move(v));
              }
            } else {
              // OTP's default handle_info logs and drops the message.
              opts_.dead_letters->record(dead_letter_reason::unhandled, name(),
                                         std::is_same_v<V, down> ? "down" : "info");
            }
          },
          *m.v);
    } catch (...) {
      outcome = current_exception_error(errc::crashed, "server '" + name() + "' handle_info threw");
    }
  }

  // ---- continues (server thread only) ----
  struct continuation {
    virtual ~continuation() = default;
    virtual void run(server_state& s, Impl& impl) = 0;
  };
  template <class C>
  struct continuation_of final : continuation {
    explicit continuation_of(C&& a) : arg(std::move(a)) {}
    C arg;
    void run(server_state& s, Impl& impl) override {
      if constexpr (is_continue_v<decltype(impl.handle_continue(std::move(arg)))>) {
        s.ask_continue(impl.handle_continue(std::move(arg)));
      } else {
        impl.handle_continue(std::move(arg));
      }
    }
  };
  // A handler (or the factory) returned with_continue(...): remember its
  // argument; run_continues calls handle_continue before the next message.
  template <class X>
  void ask_continue(X&& r) {
    using C = typename continue_parts<std::remove_cvref_t<X>>::arg;
    if constexpr (is_optional<C>::value) {  // a continue only if engaged
      if (r.arg) ask_continue(with_continue(std::move(*r.arg)));
    } else {
      static_assert(requires(Impl& i, C a) { i.handle_continue(std::move(a)); },
                    "tether::server: a handler (or the factory) returns with_continue(arg) but Impl has no "
                    "handle_continue for the argument's type");
      continue_ = std::make_unique<continuation_of<C>>(std::move(r.arg));
    }
  }
  // Runs the pending continue, and the continues it asks for, before any
  // other message. A stop request drops what is still pending.
  void run_continues(Impl& impl, result<void>& outcome) {
    while (continue_ && outcome) {
      if (stop_requested()) {
        continue_.reset();
        return;
      }
      auto c = std::move(continue_);
      try {
        c->run(*this, impl);
      } catch (...) {
        outcome = current_exception_error(errc::crashed, "server '" + name() + "' handle_continue threw");
      }
    }
  }

  // Requires mu_ held. Writes the hint only when it changes, so a stream of
  // sends does not keep taking its cache line from the polling server.
  void note_queued() {
    if (!queued_hint_.load(std::memory_order_relaxed)) queued_hint_.store(true, std::memory_order_relaxed);
  }

  // Requires mu_ held.
  void push_info_locked(info m) {
    mailbox_.push_back(std::move(m));
    ++infos_queued_;
    note_queued();
    if (std::exchange(waiting_, false)) not_empty_.notify_one();
  }

  void monitor_fired(std::uint64_t id, down d) {
    std::lock_guard lk(mu_);
    if (monitors_.erase(id) == 0 || !self_open_) return;  // demonitored, or the server exited
    push_info_locked(info{std::move(d)});
  }

  // Drops every timer and monitor; later send_after / monitor / send fail
  // with no_process. Idempotent.
  void close_self() {
    std::map<std::uint64_t, monitor_entry> ms;
    std::map<std::pair<clock::time_point, std::uint64_t>, info_t> ts;
    {
      std::lock_guard lk(mu_);
      self_open_ = false;
      ms.swap(monitors_);
      ts.swap(timers_);
      timer_at_.clear();
    }
    for (auto& [id, e] : ms)
      if (e.watcher) e.target->remove_watcher(e.watcher);
  }  // the timers' payloads are destroyed here, outside mu_

  // Requires mu_ held. The fast path of admit: running and not full.
  bool has_room() const noexcept {
    return accepting_ && mailbox_.size() - infos_queued_ < opts_.mailbox_capacity;
  }

  // Requires lk held. Returns an error if the message cannot be enqueued.
  template <class DeadlineFn>
  std::optional<error> admit(std::unique_lock<std::mutex>& lk, DeadlineFn deadline_fn, const char* what) {
    if (!accepting_) {
      opts_.dead_letters->record(dead_letter_reason::no_process, name(), what);
      return error(errc::no_process, "server '" + name() + "' is not running");
    }
    if (mailbox_.size() - infos_queued_ < opts_.mailbox_capacity) return std::nullopt;
    if (opts_.overflow == overflow_policy::reject) {
      opts_.dead_letters->record(dead_letter_reason::mailbox_full, name(), what);
      return error(errc::mailbox_full, "mailbox of '" + name() + "' is full (" +
                                           std::to_string(opts_.mailbox_capacity) + ")");
    }
    if (!detail::wait_until(not_full_, lk, deadline_fn(), [&] {
          return !accepting_ || mailbox_.size() - infos_queued_ < opts_.mailbox_capacity;
        })) {
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
  template <class R>
  void remember_deferred(const std::shared_ptr<reply_slot<R>>& s) {
    if (deferred_.size() >= deferred_prune_at_) {
      std::erase_if(deferred_, [](const deferred_entry& d) { return d.expired(); });
      deferred_prune_at_ = std::max<std::size_t>(64, 2 * deferred_.size());
    }
    deferred_.push_back(deferred_entry(std::weak_ptr<reply_slot<R>>(s)));
  }
  // A weak reference to one deferred reply slot of any reply type.
  class deferred_entry {
   public:
    template <class R>
    explicit deferred_entry(std::weak_ptr<reply_slot<R>> w)
        : expired_([w] { return w.expired(); }),
          fail_([w](const error& e) {
            if (auto s = w.lock()) (void)s->put(std::nullopt, error(e));
          }) {}
    bool expired() const { return expired_(); }
    void operator()(const error& e) const { fail_(e); }

   private:
    std::function<bool()> expired_;
    std::function<void(const error&)> fail_;
  };

  static constexpr int idle_yields = 64;
  server_options opts_;
  mutable std::mutex mu_;
  std::condition_variable not_empty_;
  std::condition_variable not_full_;
  chunked_queue<envelope> mailbox_;  // guarded by mu_
  std::size_t infos_queued_ = 0;     // guarded by mu_: info messages in mailbox_ (not subject to the capacity)
  std::deque<sys_msg> system_;       // guarded by mu_
  bool accepting_ = false;           // guarded by mu_: calls, casts, system messages
  bool self_open_ = false;           // guarded by mu_: timers, monitors, info (from the start of init)
  std::optional<error> closed_with_; // guarded by mu_: what senders waiting at the exit get
  bool waiting_ = false;             // guarded by mu_
  // Written under mu_ (true on every enqueue, false when the server takes
  // the mailbox); read without it only as a hint by the idle server.
  // On its own cache line: the idle server polls it without pulling the
  // line of mu_ and the mailbox away from senders.
  alignas(64) std::atomic<bool> queued_hint_{false};
  std::uint64_t late_replies_ = 0;   // guarded by mu_
  std::map<std::pair<clock::time_point, std::uint64_t>, info_t> timers_;  // guarded by mu_
  std::map<std::uint64_t, clock::time_point> timer_at_;                   // guarded by mu_: id -> deadline
  std::map<std::uint64_t, monitor_entry> monitors_;                       // guarded by mu_
  std::vector<deferred_entry> deferred_;             // server thread only
  std::unique_ptr<continuation> continue_;           // server thread only: the pending continue
  std::size_t deferred_prune_at_ = 64;               // server thread only
};

}  // namespace detail

/// A client handle to one incarnation of a server. Cheap to copy.
template <class Impl>
class server_ref {
 public:
  using state_type = detail::server_state<Impl>;
  /// The request types the server handles (a std::tuple): {Impl::call_type}
  /// or Impl::call_types.
  using call_types = typename state_type::calls;
  using cast_types = typename state_type::casts;
  /// Single-type API: Impl::call_type / reply_type / cast_type. For a typed
  /// protocol (call_types) these name a type nobody can construct.
  using call_type = std::conditional_t<detail::single_call_type<Impl>, std::tuple_element_t<0, std::conditional_t<detail::single_call_type<Impl>, call_types, std::tuple<detail::not_declared>>>, detail::not_declared>;
  using reply_type = std::conditional_t<detail::single_call_type<Impl>, detail::reply_of<Impl, call_type>, detail::not_declared>;
  using cast_type = std::conditional_t<detail::single_cast_type<Impl>, std::tuple_element_t<0, std::conditional_t<detail::single_cast_type<Impl>, cast_types, std::tuple<std::monostate>>>,
                                       std::conditional_t<detail::typed_casts<Impl>, detail::not_declared, std::monostate>>;
  /// The reply type of request type Req.
  template <class Req>
  using reply_of = detail::reply_of<Impl, Req>;
  using info_type = typename state_type::info_t;

  server_ref() = default;
  explicit server_ref(std::shared_ptr<state_type> s) : s_(std::move(s)) {}

  /// Errors: no_process (empty ref), bad_type (not a server of Impl).
  static result<server_ref> from(const process_ref& p) {
    if (!p.valid()) return error(errc::no_process, "empty process_ref");
    auto s = std::dynamic_pointer_cast<state_type>(detail::core_access::of(p));
    if (!s) return error(errc::bad_type, "process '" + p.name() + "' is not a server of the requested type");
    return server_ref(std::move(s));
  }

  /// Single-type API (Impl declares call_type). See the header comment for
  /// every outcome. `timeout` may be tether::infinity (wait forever); any
  /// timeout saturates (timeout.hpp).
  result<reply_type> call(call_type req, std::chrono::milliseconds timeout = default_call_timeout) const
    requires detail::single_call_type<Impl>
  {
    if (!s_) return error(errc::no_process, "empty server_ref");
    return s_->call(std::move(req), detail::deadline_after(timeout));
  }
  /// As call(req, timeout) with an absolute deadline
  /// (steady_clock::time_point::max(): no deadline).
  result<reply_type> call(call_type req, std::chrono::steady_clock::time_point deadline) const
    requires detail::single_call_type<Impl>
  {
    if (!s_) return error(errc::no_process, "empty server_ref");
    return s_->call(std::move(req), deadline);
  }
  /// Typed protocol (Impl declares call_types): the request's type selects
  /// the handle_call overload and the reply type (reply_of<Req>). Same
  /// outcomes as the single-type call. A request type that is not in
  /// Impl::call_types does not compile.
  template <class Req>
    requires detail::typed_calls<Impl>
  result<reply_of<std::decay_t<Req>>> call(Req&& req, std::chrono::milliseconds timeout = default_call_timeout) const {
    return call(std::forward<Req>(req), detail::deadline_after(timeout));
  }
  template <class Req>
    requires detail::typed_calls<Impl>
  result<reply_of<std::decay_t<Req>>> call(Req&& req, std::chrono::steady_clock::time_point deadline) const {
    static_assert(detail::tuple_contains<std::decay_t<Req>, call_types>::value,
                  "tether::server_ref::call: the server does not handle this request type "
                  "(it is not listed in Impl::call_types)");
    if (!s_) return error(errc::no_process, "empty server_ref");
    return s_->call(std::decay_t<Req>(std::forward<Req>(req)), deadline);
  }

  /// Single-type API. See the header comment for every outcome.
  result<void> cast(cast_type msg) const
    requires(!detail::typed_casts<Impl>)
  {
    if constexpr (std::is_same_v<cast_type, std::monostate>) {
      return error(errc::invalid_argument, "server type declares no cast_type");
    } else {
      if (!s_) return error(errc::no_process, "empty server_ref");
      return s_->cast(std::move(msg));
    }
  }
  /// Typed protocol (Impl declares cast_types): the message's type selects
  /// the handle_cast overload. Same outcomes as the single-type cast. A
  /// message type not in Impl::cast_types does not compile.
  template <class C>
    requires detail::typed_casts<Impl>
  result<void> cast(C&& msg) const {
    static_assert(detail::tuple_contains<std::decay_t<C>, cast_types>::value,
                  "tether::server_ref::cast: the server does not handle this message type "
                  "(it is not listed in Impl::cast_types)");
    if (!s_) return error(errc::no_process, "empty server_ref");
    return s_->cast(std::decay_t<C>(std::forward<C>(msg)));
  }

  /// Queues `msg` for handle_info(info_type) now (OTP's Pid ! Msg). Info
  /// messages are not subject to the mailbox capacity and never block.
  /// Errors: no_process (the server is not running; dead letter no_process).
  result<void> send(info_type msg) const {
    static_assert(detail::has_info_type<Impl>, "tether::server_ref::send: Impl declares no info_type");
    if (!s_) return error(errc::no_process, "empty server_ref");
    return s_->send_info(typename state_type::info{std::move(msg)}, "info");
  }
  /// Delivers `msg` to handle_info(info_type) after `delay` (OTP's
  /// erlang:send_after/3): the message is queued once the delay has passed,
  /// behind the messages already queued; timers expiring together are
  /// handled in deadline order, equal deadlines in the order they were set.
  /// The timer lives in the server: it is cancelled (its payload destroyed,
  /// handle_info never called) when the server exits. `delay` saturates
  /// (tether::infinity never fires; <= 0 fires at the next turn).
  /// Errors: no_process (empty ref, or the server is not running).
  /// May be called from any thread, also from the factory (init).
  result<timer_ref> send_after(std::chrono::milliseconds delay, info_type msg) const {
    static_assert(detail::has_info_type<Impl>, "tether::server_ref::send_after: Impl declares no info_type");
    if (!s_) return error(errc::no_process, "empty server_ref");
    return s_->send_after(delay, std::move(msg));
  }
  /// Cancels a timer of this server (OTP's erlang:cancel_timer/1). True if
  /// it was still pending: its message will never be handled. False if it
  /// already expired (its message is queued or handled: OTP does not flush
  /// it either), was cancelled before, is empty or belongs to another
  /// server, or the server exited.
  bool cancel_timer(timer_ref t) const { return s_ && s_->cancel_timer(t); }
  /// Timers armed and not yet expired (diagnostics).
  std::size_t timers_pending() const { return s_ ? s_->timers_pending() : 0; }

  /// The server monitors `target` (OTP's monitor(process, Pid) from inside
  /// the server): when target exits, a down with ref == the returned id
  /// arrives at handle_info(const tether::down&), after every message the
  /// target queued on this server before it exited. An empty or already
  /// exited target yields its down at once (failure(no_process) for an
  /// empty ref, as OTP's noproc). Errors: no_process (this server is not
  /// running). The monitor is removed when the server exits.
  result<monitor_ref> monitor(const process_ref& target) const {
    static_assert(detail::info_handler<Impl, down>,
                  "tether::server_ref::monitor: Impl has no handle_info(const tether::down&)");
    if (!s_) return error(errc::no_process, "empty server_ref");
    return s_->monitor(target);
  }
  /// Removes a monitor. True if it was active (no down will arrive); false
  /// if its down is already queued or handled (OTP's demonitor without
  /// flush: that down is still delivered), or it is unknown.
  bool demonitor(monitor_ref m) const { return s_ && s_->demonitor(m); }

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
  detail::core_access::make_process(s) = [opts](const std::string& cid, const detail::tree_env& env) {
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
