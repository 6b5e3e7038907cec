#pragma once

#include "base/mutex.h"

// Request counters, bumped by tasks on the task runner's threads.
extern long g_requests;        // guarded by nothing: the bug
extern long g_bytes;           // guarded by g_stats_mu
extern base::Mutex g_stats_mu;

void CountRequest();
void CountBytes(long n);
long Requests();
long Bytes();
