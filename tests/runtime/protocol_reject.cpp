// Must NOT compile: a call with a request type the server does not handle.
// Checked by ctest runtime.typed_protocol_rejects_unknown_request, which
// expects the static_assert message below in the compiler's output.
#include "tether/server.hpp"

struct Ping {
  using reply_type = int;
};
struct Unknown {};

struct Pinger {
  using call_types = std::tuple<Ping>;
  int handle_call(Ping) { return 1; }
};

int main() {
  tether::server_ref<Pinger> ref;
#ifdef TETHER_PROTOCOL_REJECT_CONTROL
  return ref.call(Ping{}).has_value() ? 0 : 1;  // the control: compiles
#else
  return ref.call(Unknown{}).has_value() ? 0 : 1;
#endif
}
