#include "metrics.h"

#include <pthread.h>

long g_flushes = 0;
long g_trims = 0;
pthread_mutex_t g_trims_mutex = PTHREAD_MUTEX_INITIALIZER;

/* Runs on a pool worker: the count races with metrics_flushes(). */
static void flush_routine(void *context) {
  (void)context;
  g_flushes++;
}

void metrics_flush_async(pool_t *pool) {
  struct pool_task task;
  task.routine = flush_routine;
  task.context = NULL;
  pool_schedule(&task, pool);
}

long metrics_flushes(void) { return g_flushes; }

/* The same hand-off, with both sides under one mutex: fine. */
static void trim_routine(void *context) {
  (void)context;
  pthread_mutex_lock(&g_trims_mutex);
  g_trims++;
  pthread_mutex_unlock(&g_trims_mutex);
}

void metrics_trim_async(pool_t *pool) {
  struct pool_task task = {trim_routine, NULL};
  pool_schedule(&task, pool);
}

long metrics_trims(void) {
  long n;
  pthread_mutex_lock(&g_trims_mutex);
  n = g_trims;
  pthread_mutex_unlock(&g_trims_mutex);
  return n;
}
