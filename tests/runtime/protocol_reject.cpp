// Must NOT compile: a call with a request type the server does not handle,
// through a server_ref or by name through a registry. Checked by the ctest
// entries runtime.typed_protocol_rejects_unknown_request and
// runtime.typed_protocol_rejects_unknown_request_by_name, which expect the
// static_assert message below in the compiler's output; the controls (a
// handled type) must compile.
#include "tether/registry.hpp"
#include "tether/server.hpp"

struct Ping {
  using reply_type = int;
};
struct Poke {};
struct Unknown {};

struct Pinger {
  using call_types = std::tuple<Ping>;
  using cast_types = std::tuple<Poke>;
  int handle_call(Ping) { return 1; }
  void handle_cast(Poke) {}
};

int main() {
  tether::server_ref<Pinger> ref;
  tether::registry reg;
  (void)reg;
#if defined(TETHER_PROTOCOL_REJECT_CONTROL)
  // the control: compiles
  int r = ref.call(Ping{}).has_value() ? 0 : 1;
  r += reg.call<Pinger>("p", Ping{}).has_value() ? 0 : 1;
  r += reg.cast<Pinger>("p", Poke{}).has_value() ? 0 : 1;
  return r;
#elif defined(TETHER_PROTOCOL_REJECT_BY_NAME)
  return reg.call<Pinger>("p", Unknown{}).has_value() ? 0 : 1;
#elif defined(TETHER_PROTOCOL_REJECT_CAST_BY_NAME)
  return reg.cast<Pinger>("p", Unknown{}).has_value() ? 0 : 1;
#else
  return ref.call(Unknown{}).has_value() ? 0 : 1;
#endif
}
