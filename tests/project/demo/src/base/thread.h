// A thread that runs a function given at construction once start() is
// called. Like many home-made wrappers, its destructor detaches a thread
// that is still running instead of joining it.
#pragma once

#include <pthread.h>

#include <functional>
#include <string>

namespace base {

class Thread {
 public:
  using Func = std::function<void()>;

  Thread(Func func, std::string name);
  ~Thread();
  Thread(const Thread&) = delete;
  Thread& operator=(const Thread&) = delete;

  void Start();
  void Join();
  bool started() const { return started_; }

 private:
  static void* Trampoline(void* self);

  Func func_;
  std::string name_;
  pthread_t handle_{};
  bool started_ = false;
  bool joined_ = false;
};

}  // namespace base
