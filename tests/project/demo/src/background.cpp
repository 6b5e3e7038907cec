#include "background.h"

#include <cstdio>

#include "base/thread.h"

namespace {

void Flush() { std::fflush(stdout); }

}  // namespace

// Starts the flusher and forgets it: when `flusher` goes out of scope its
// destructor detaches the running thread.
void StartFlusher() {
  base::Thread flusher(&Flush, "flusher");
  flusher.Start();
}

// The same thread, waited for.
void RunFlusherOnce() {
  base::Thread flusher(&Flush, "flusher");
  flusher.Start();
  flusher.Join();
}
