#include "stats.h"

long g_requests = 0;
long g_bytes = 0;
base::Mutex g_stats_mu;

void CountRequest() { ++g_requests; }

void CountBytes(long n) {
  base::MutexLock lock(g_stats_mu);
  g_bytes += n;
}

long Requests() { return g_requests; }

long Bytes() {
  base::MutexLock lock(g_stats_mu);
  return g_bytes;
}
