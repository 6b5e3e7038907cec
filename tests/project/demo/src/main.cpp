#include <cstdio>

#include "background.h"
#include "base/task_runner.h"
#include "config.h"
#include "listener.h"
#include "stats.h"

int main(int argc, char** argv) {
  SetLogLevel(argc > 2 ? 2 : 0);  // before any thread: fine
  base::TaskRunner runner(4);
  StartFlusher();
  RunFlusherOnce();
  RunListenerSafely(argc > 1 ? argv[1] : "localhost:8080", runner);
  RunListener(argc > 1 ? argv[1] : "localhost:8080", runner);
  SetLogLevel(1);  // while the runner's threads read it: a race
  std::printf("%ld requests, %ld bytes\n", Requests(), Bytes());
  return 0;
}
