// A small job runner written the way concurrent code decays: every spawn-*
// check of tether has something to say about it. Run
//   build/bin/tether -p build examples/spawn/job_runner.cpp
// to see the findings; docs/checks/ shows the supervised rewrite of each.
#include <pthread.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <future>
#include <string>
#include <thread>
#include <vector>

namespace jobs {

using Worker = std::thread; // aliases do not hide a thread from tether

std::atomic<int> Completed{0};

void runJob(int Id) {
  if (Id < 0)
    throw std::invalid_argument("negative job id");
  Completed.fetch_add(1);
}

void flushLogs() { std::puts("flushing logs"); }

void *watchdog(void *) {
  std::this_thread::sleep_for(std::chrono::milliseconds(1));
  return nullptr;
}

class Runner {
public:
  // spawn-detached-thread: nobody joins the log flusher or sees it fail.
  void startLogFlusher() { std::thread(flushLogs).detach(); }

  // spawn-unjoined-thread: an early return leaves `W` joinable, and the
  // destructor of a joinable std::thread calls std::terminate.
  bool runOne(int Id, bool DryRun) {
    Worker W(runJob, Id);
    if (DryRun)
      return false;
    W.join();
    return true;
  }

  // spawn-unjoined-thread: the batch's threads are never joined.
  void runBatch(int N) {
    std::vector<std::thread> Batch;
    for (int I = 0; I < N; ++I)
      Batch.emplace_back(runJob, I);
    std::printf("started %d jobs\n", N);
  }

  // spawn-discarded-async: the future is discarded, so this "background"
  // call blocks until the job is done, and its exception is lost.
  void prefetch(int Id) { std::async(std::launch::async, runJob, Id); }

  // spawn-unjoined-pthread: the watchdog thread is never joined or detached.
  void startWatchdog() { pthread_create(&Watchdog, nullptr, watchdog, this); }

  // Correct look-alikes: tether stays silent on these.
  void runSupervisedLike(int N) {
    std::vector<std::jthread> Pool; // std::jthread joins on destruction
    for (int I = 0; I < N; ++I)
      Pool.emplace_back(runJob, I);
  }
  int awaited(int Id) {
    auto F = std::async(std::launch::async, runJob, Id);
    F.get(); // rethrows the job's exception here
    return Completed.load();
  }

private:
  pthread_t Watchdog{};
};

} // namespace jobs

int main(int Argc, char **) {
  jobs::Runner R;
  if (Argc > 1) { // the demo only runs the correct parts
    R.startLogFlusher();
    R.runOne(1, false);
    R.runBatch(2);
    R.prefetch(3);
    R.startWatchdog();
  }
  R.runSupervisedLike(2);
  return R.awaited(4) > 0 ? 0 : 1;
}
