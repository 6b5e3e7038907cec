#include "base/task_runner.h"

#include <utility>

namespace base {

TaskRunner::TaskRunner(int threads) {
  for (int i = 0; i < threads; ++i) {
    threads_.emplace_back(&TaskRunner::RunLoop, this);
  }
}

TaskRunner::~TaskRunner() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    quit_ = true;
  }
  ready_.notify_all();
  for (std::thread& t : threads_) {
    t.join();
  }
}

void TaskRunner::PostTask(Task task) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    tasks_.push_back(std::move(task));
  }
  ready_.notify_one();
}

void TaskRunner::RunLoop() {
  for (;;) {
    Task task;
    {
      std::unique_lock<std::mutex> lock(mu_);
      ready_.wait(lock, [this] { return quit_ || !tasks_.empty(); });
      if (quit_ && tasks_.empty()) {
        return;
      }
      task = std::move(tasks_.front());
      tasks_.pop_front();
    }
    task();
  }
}

}  // namespace base
