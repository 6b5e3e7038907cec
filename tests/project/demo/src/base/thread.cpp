#include "base/thread.h"

#include <utility>

namespace base {

Thread::Thread(Func func, std::string name)
    : func_(std::move(func)), name_(std::move(name)) {}

Thread::~Thread() {
  if (started_ && !joined_) {
    pthread_detach(handle_);
  }
}

void Thread::Start() {
  started_ = true;
  pthread_create(&handle_, nullptr, &Thread::Trampoline, this);
}

void Thread::Join() {
  joined_ = true;
  pthread_join(handle_, nullptr);
}

void* Thread::Trampoline(void* self) {
  static_cast<Thread*>(self)->func_();
  return nullptr;
}

}  // namespace base
