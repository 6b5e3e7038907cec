// Where the service sends background work: callers hand it a closure and
// go on. The implementation over a TaskRunner lives in dispatcher.cpp.
#pragma once

#include <functional>

#include "base/task_runner.h"

namespace base {

class Dispatcher {
 public:
  virtual ~Dispatcher() = default;
  virtual void RunLater(std::function<void()> work) = 0;
};

class RunnerDispatcher : public Dispatcher {
 public:
  explicit RunnerDispatcher(TaskRunner& runner) : runner_(runner) {}
  void RunLater(std::function<void()> work) override;

 private:
  TaskRunner& runner_;
};

}  // namespace base
