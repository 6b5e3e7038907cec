#include "listener.h"

#include <cstdio>
#include <stdexcept>
#include <thread>

#include "base/task_runner.h"
#include "config.h"
#include "parse.h"
#include "stats.h"

namespace {

void Serve(int port, base::TaskRunner& runner) {
  for (int i = 0; i < 3; ++i) {
    runner.PostTask([port] {
      CountRequest();
      CountBytes(port);
      if (LogLevel() > 1) {
        std::printf("request on %d\n", port);
      }
    });
  }
}

}  // namespace

// The listener thread parses the address itself: a malformed one throws
// out of the thread entry and terminates the process.
void RunListener(const std::string& address, base::TaskRunner& runner) {
  std::thread listener([&address, &runner] {
    int port = ParsePort(address);
    Serve(port, runner);
  });
  listener.join();
}

// The same, with the failure caught and reported in the thread.
void RunListenerSafely(const std::string& address, base::TaskRunner& runner) {
  std::thread listener([&address, &runner] {
    try {
      int port = ParsePort(address);
      Serve(port, runner);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "listener: %s\n", e.what());
    }
  });
  listener.join();
}
