// Runs posted tasks, in order, on a few worker threads of its own.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace base {

class TaskRunner {
 public:
  using Task = std::function<void()>;

  explicit TaskRunner(int threads);
  ~TaskRunner();

  void PostTask(Task task);

 private:
  void RunLoop();

  std::mutex mu_;
  std::condition_variable ready_;
  std::deque<Task> tasks_;
  bool quit_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace base
