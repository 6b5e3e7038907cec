#include "base/mutex.h"

namespace base {

Mutex::Mutex() { pthread_mutex_init(&mu_, nullptr); }
Mutex::~Mutex() { pthread_mutex_destroy(&mu_); }
void Mutex::Lock() { pthread_mutex_lock(&mu_); }
void Mutex::Unlock() { pthread_mutex_unlock(&mu_); }

MutexLock::MutexLock(Mutex& mu) : mu_(mu) { mu_.Lock(); }
MutexLock::~MutexLock() { mu_.Unlock(); }

}  // namespace base
