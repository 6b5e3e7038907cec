#include "cpool/pool.h"

#include <pthread.h>
#include <stdlib.h>

struct pool_entry {
  struct pool_entry *next;
  struct pool_task task;
};

struct pool {
  pthread_mutex_t mutex;
  pthread_cond_t cond;
  struct pool_entry *head;
  struct pool_entry **tail;
  int stop;
  int nthreads;
  pthread_t *tids;
};

static void *pool_worker(void *arg) {
  pool_t *pool = (pool_t *)arg;
  for (;;) {
    struct pool_entry *entry;
    void (*routine)(void *);
    pthread_mutex_lock(&pool->mutex);
    while (!pool->head && !pool->stop)
      pthread_cond_wait(&pool->cond, &pool->mutex);
    entry = pool->head;
    if (!entry) {
      pthread_mutex_unlock(&pool->mutex);
      return NULL;
    }
    pool->head = entry->next;
    if (!pool->head)
      pool->tail = &pool->head;
    pthread_mutex_unlock(&pool->mutex);
    routine = entry->task.routine;
    routine(entry->task.context);
    free(entry);
  }
}

pool_t *pool_create(int nthreads) {
  pool_t *pool = (pool_t *)calloc(1, sizeof(pool_t));
  int i;
  if (!pool)
    return NULL;
  pthread_mutex_init(&pool->mutex, NULL);
  pthread_cond_init(&pool->cond, NULL);
  pool->tail = &pool->head;
  pool->tids = (pthread_t *)calloc((size_t)nthreads, sizeof(pthread_t));
  for (i = 0; i < nthreads; i++)
    pthread_create(&pool->tids[i], NULL, pool_worker, pool);
  pool->nthreads = nthreads;
  return pool;
}

int pool_schedule(const struct pool_task *task, pool_t *pool) {
  struct pool_entry *entry = (struct pool_entry *)malloc(sizeof(*entry));
  if (!entry)
    return -1;
  entry->task = *task;
  entry->next = NULL;
  pthread_mutex_lock(&pool->mutex);
  *pool->tail = entry;
  pool->tail = &entry->next;
  pthread_cond_signal(&pool->cond);
  pthread_mutex_unlock(&pool->mutex);
  return 0;
}

void pool_destroy(pool_t *pool) {
  int i;
  pthread_mutex_lock(&pool->mutex);
  pool->stop = 1;
  pthread_cond_broadcast(&pool->cond);
  pthread_mutex_unlock(&pool->mutex);
  for (i = 0; i < pool->nthreads; i++)
    pthread_join(pool->tids[i], NULL);
  free(pool->tids);
  free(pool);
}
