/* A fixed pool of worker threads in C: a task is a function pointer and
   its argument, copied into the pool's queue. */
#ifndef DEMO_CPOOL_POOL_H
#define DEMO_CPOOL_POOL_H

#ifdef __cplusplus
extern "C" {
#endif

struct pool_task {
  void (*routine)(void *);
  void *context;
};

typedef struct pool pool_t;

pool_t *pool_create(int nthreads);
int pool_schedule(const struct pool_task *task, pool_t *pool);
void pool_destroy(pool_t *pool);

#ifdef __cplusplus
}
#endif

#endif
