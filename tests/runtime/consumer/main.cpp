// Uses a supervisor, a server and a task through the installed/added runtime.
#include <tether/tether.hpp>

#include <cstdio>

namespace {
struct Echo {
  using call_type = int;
  using reply_type = int;
  int handle_call(int x) { return x * 2; }
};
}  // namespace

int main() {
  tether::supervisor sup({}, {tether::server_child<Echo>("echo", [](tether::child_context&) { return Echo{}; })});
  if (!sup.start()) return 1;
  auto echo = tether::whereis_server<Echo>(sup, "echo");
  if (!echo) return 2;
  auto r = echo->call(21);
  tether::task_supervisor tasks;
  auto t = tasks.async([] { return 1; });
  auto v = t.await();
  if (!r || *r != 42 || !v || *v != 1) return 3;
  std::printf("consumer ok (tether %s)\n", tether::runtime_version);
  return 0;
}
