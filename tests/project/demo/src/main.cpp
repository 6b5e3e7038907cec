#include <cstdio>

#include "audit.h"
#include "background.h"
#include "base/dispatcher.h"
#include "base/task_runner.h"
#include "config.h"
#include "ledger.h"
#include "listener.h"
#include "metrics.h"
#include "request.h"
#include "stats.h"

int main(int argc, char** argv) {
  SetLogLevel(argc > 2 ? 2 : 0);  // before any thread: fine
  base::TaskRunner runner(4);
  StartFlusher();
  RunFlusherOnce();
  RunListenerSafely(argc > 1 ? argv[1] : "localhost:8080", runner);
  RunListener(argc > 1 ? argv[1] : "localhost:8080", runner);
  base::RunnerDispatcher dispatcher(runner);
  RecordAudit(dispatcher);
  RecordAuditBytes(dispatcher, 64);
  FlushAudit(dispatcher);
  FlushAuditSafely(dispatcher);
  AuditTrail trail(dispatcher);
  trail.Append("started");
  NoteLocally("local");
  Settle(runner, 10);
  Refund(runner, 3);
  TrackHigh(runner, 42);
  HandleRequest(7, runner);
  AuditTenant("acme", runner);
  pool_t* pool = pool_create(2);
  metrics_flush_async(pool);
  metrics_trim_async(pool);
  SetLogLevel(1);  // while the runner's threads read it: a race
  std::printf("%ld requests, %ld bytes\n", Requests(), Bytes());
  std::printf("audit %ld/%ld, ledger %ld/%ld, low %ld\n", AuditCount(),
              AuditBytes(), LedgerTotal(), JournalTotal(), g_peaks.low);
  std::printf("%ld flushes, %ld trims\n", metrics_flushes(), metrics_trims());
  pool_destroy(pool);
  return 0;
}
