// tether/registry.hpp - names for processes, with automatic removal.
//
// Purpose
//   Maps names to live processes (usually servers), like OTP's local
//   registration. A name is removed automatically when its process exits
//   (before any monitor of that process could observe a stale entry being
//   returned: whereis never returns a process whose exit was already
//   processed by the registry). Calls by name return no_process for unknown
//   names. A process that its supervisor abandoned because it did not stop
//   within its shutdown timeout (a straggler) releases its names at that
//   moment: whereis no longer returns it, names()/size() no longer count it,
//   and the next incarnation can register the same name. A server started
//   with server_options::registry/name re-registers
//   every restarted incarnation under the same name.
//
// Lifetime
//   Create one and share it (std::shared_ptr) with the servers that register
//   in it. Destroying it removes its exit watchers (waiting for one that is
//   running at that moment). There is no global registry.
//
// Thread-safety
//   All functions may be called concurrently.
//
// Blocking behaviour
//   An internal mutex only; call/cast by name block like server_ref::call/cast.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "tether/error.hpp"
#include "tether/process.hpp"
#include "tether/server.hpp"

namespace tether {
inline namespace v1 {

class registry {
 public:
  registry();
  ~registry();
  registry(const registry&) = delete;
  registry& operator=(const registry&) = delete;

  /// Errors: invalid_argument (empty name), no_process (p empty or already
  /// exited), already_started (name held by a live process).
  result<void> register_name(const std::string& name, const process_ref& p);
  /// Errors: not_found.
  result<void> unregister(const std::string& name);
  /// Errors: no_process (unknown name).
  result<process_ref> whereis(const std::string& name) const;
  std::vector<std::string> names() const;
  std::size_t size() const;

  /// Errors: no_process (unknown name), bad_type.
  template <class Impl>
  result<server_ref<Impl>> whereis_server(const std::string& name) const {
    auto p = whereis(name);
    if (!p) return std::move(p).error();
    return server_ref<Impl>::from(*p);
  }
  /// server_ref::call by name, single-type API (Impl declares call_type).
  /// Errors: as server_ref::call, plus no_process for an unknown name
  /// (recorded as a dead letter if `dead_letters` set) and bad_type (the
  /// name is held by a process that is not a server of Impl).
  template <class Impl>
    requires detail::single_call_type<Impl>
  result<typename server_ref<Impl>::reply_type> call(const std::string& name,
                                                     typename server_ref<Impl>::call_type req,
                                                     std::chrono::milliseconds timeout = default_call_timeout) const {
    auto s = whereis_server<Impl>(name);
    if (!s) {
      note_unknown(name, "call");
      return std::move(s).error();
    }
    return s->call(std::move(req), timeout);
  }
  /// server_ref::call by name, typed protocol (Impl declares call_types):
  /// `reg.call<Impl>("name", Req{...})` selects the handle_call overload by
  /// the request's type and returns result<server_ref<Impl>::reply_of<Req>>.
  /// A request type not listed in Impl::call_types does not compile (the
  /// static_assert "the server does not handle this request type"): the
  /// name is looked up at run time, but the protocol is Impl's, checked at
  /// compile time; a name held by a server of another type is bad_type at
  /// run time. Errors: as the single-type call by name.
  template <class Impl, class Req>
    requires detail::typed_calls<Impl>
  result<typename server_ref<Impl>::template reply_of<std::decay_t<Req>>> call(
      const std::string& name, Req&& req, std::chrono::milliseconds timeout = default_call_timeout) const {
    static_assert(detail::tuple_contains<std::decay_t<Req>, typename server_ref<Impl>::call_types>::value,
                  "tether::registry::call: the server does not handle this request type "
                  "(it is not listed in Impl::call_types)");
    auto s = whereis_server<Impl>(name);
    if (!s) {
      note_unknown(name, "call");
      return std::move(s).error();
    }
    return s->call(std::forward<Req>(req), timeout);
  }
  /// server_ref::cast by name, single-type API. Errors: as server_ref::cast,
  /// plus no_process (unknown name; dead letter if `dead_letters` set) and
  /// bad_type.
  template <class Impl>
    requires(!detail::typed_casts<Impl>)
  result<void> cast(const std::string& name, typename server_ref<Impl>::cast_type msg) const {
    auto s = whereis_server<Impl>(name);
    if (!s) {
      note_unknown(name, "cast");
      return std::move(s).error();
    }
    return s->cast(std::move(msg));
  }
  /// server_ref::cast by name, typed protocol (Impl declares cast_types):
  /// the message's type selects the handle_cast overload; a type not listed
  /// in Impl::cast_types does not compile. Errors: as the single-type cast
  /// by name.
  template <class Impl, class C>
    requires detail::typed_casts<Impl>
  result<void> cast(const std::string& name, C&& msg) const {
    static_assert(detail::tuple_contains<std::decay_t<C>, typename server_ref<Impl>::cast_types>::value,
                  "tether::registry::cast: the server does not handle this message type "
                  "(it is not listed in Impl::cast_types)");
    auto s = whereis_server<Impl>(name);
    if (!s) {
      note_unknown(name, "cast");
      return std::move(s).error();
    }
    return s->cast(std::forward<C>(msg));
  }

  /// Where messages to unknown names are recorded (optional).
  void set_dead_letters(std::shared_ptr<dead_letter_office> dl);

 private:
  void note_unknown(const std::string& name, const char* what) const;
  struct state;
  std::shared_ptr<state> s_;
};

}  // namespace v1
}  // namespace tether
