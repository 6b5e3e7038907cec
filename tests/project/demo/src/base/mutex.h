// A mutex over pthreads and its scoped guard.
#pragma once

#include <pthread.h>

namespace base {

class Mutex {
 public:
  Mutex();
  ~Mutex();
  Mutex(const Mutex&) = delete;
  Mutex& operator=(const Mutex&) = delete;

  void Lock();
  void Unlock();

 private:
  pthread_mutex_t mu_;
};

class MutexLock {
 public:
  explicit MutexLock(Mutex& mu);
  ~MutexLock();
  MutexLock(const MutexLock&) = delete;
  MutexLock& operator=(const MutexLock&) = delete;

 private:
  Mutex& mu_;
};

}  // namespace base
