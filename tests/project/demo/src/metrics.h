/* Metrics flushed in the background on the C pool. */
#ifndef DEMO_METRICS_H
#define DEMO_METRICS_H

#include "cpool/pool.h"

#ifdef __cplusplus
extern "C" {
#endif

void metrics_flush_async(pool_t *pool);
long metrics_flushes(void);
void metrics_trim_async(pool_t *pool);
long metrics_trims(void);

#ifdef __cplusplus
}
#endif

#endif
