#include "tether/task_supervisor.hpp"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <thread>
#include <vector>

namespace tether {
inline namespace v1 {

namespace detail {

class task_pool {
 public:
  explicit task_pool(task_options opts) : opts_(std::move(opts)) {
    if (opts_.max_threads == 0) opts_.max_threads = 1;
    if (!opts_.dead_letters) opts_.dead_letters = std::make_shared<dead_letter_office>();
  }
  const std::shared_ptr<dead_letter_office>& dead_letters() const noexcept { return opts_.dead_letters; }
  ~task_pool() { shutdown(); }

  result<void> submit(std::shared_ptr<task_job> job) {
    std::unique_lock lk(mu_);
    if (stopping_) {
      lk.unlock();
      opts_.dead_letters->record(dead_letter_reason::shutdown, opts_.name, "task '" + job->proc().name() + "'");
      return error(errc::shutdown, "task supervisor '" + opts_.name + "' is shut down");
    }
    queue_.push_back(std::move(job));
    // A worker that has finished its task but not yet re-entered the idle
    // list (returning_) will take the job too: do not start a thread for it.
    if (idle_ + returning_.load() >= queue_.size()) {
      cv_.notify_one();
    } else if (workers_.size() < opts_.max_threads) {
      workers_.emplace_back([this] { work(); });
    } else {
      cv_.notify_one();
    }
    return ok();
  }

  void shutdown() {
    std::deque<std::shared_ptr<task_job>> queued;
    std::vector<std::shared_ptr<task_job>> running;
    {
      std::unique_lock lk(mu_);
      if (stopping_) {
        done_cv_.wait(lk, [&] { return done_; });
        return;
      }
      stopping_ = true;
      queued.swap(queue_);
      running = running_;
    }
    cv_.notify_all();
    for (auto& q : queued) {
      opts_.dead_letters->record(dead_letter_reason::shutdown, opts_.name, "task '" + q->proc().name() + "'");
      q->cancel(error(errc::shutdown, "task supervisor '" + opts_.name + "' shut down before the task ran"));
    }
    for (auto& r : running) r->proc().request_stop();
    const auto deadline = deadline_after(opts_.shutdown);
    for (auto& r : running) {
      if (!r->proc().wait_exited_until(deadline)) {
        report({task_report::kind::straggler, r->proc().pid(), r->proc().name(),
                error(errc::shutdown, "task did not stop within " + std::to_string(opts_.shutdown.count()) +
                                          " ms of its stop request; joining it (never detached)")});
      }
    }
    std::vector<std::jthread> ws;
    {
      std::lock_guard lk(mu_);
      ws.swap(workers_);
    }
    for (auto& w : ws) w.join();
    {
      std::lock_guard lk(mu_);
      done_ = true;
    }
    done_cv_.notify_all();
  }

  std::size_t threads() const {
    std::lock_guard lk(mu_);
    return workers_.size();
  }
  std::size_t running() const {
    std::lock_guard lk(mu_);
    return running_.size();
  }
  child_counts counts() const {
    std::lock_guard lk(mu_);
    child_counts n;
    n.active = running_.size();
    n.specs = n.workers = running_.size() + queue_.size();
    return n;
  }

 private:
  void report(const task_report& r) {
    if (opts_.on_report) {
      try {
        opts_.on_report(r);
        return;
      } catch (...) {
        std::fprintf(stderr, "[tether] task supervisor '%s': report handler threw\n", opts_.name.c_str());
      }
    }
    std::fprintf(stderr, "[tether] task supervisor '%s': task '%s' <%llu> %s: %s\n", opts_.name.c_str(),
                 r.name.c_str(), static_cast<unsigned long long>(r.pid),
                 r.what == task_report::kind::failed ? "failed" : "did not stop", r.err.describe().c_str());
  }

  void work() {
    std::unique_lock lk(mu_);
    for (;;) {
      ++idle_;
      cv_.wait(lk, [&] { return stopping_ || !queue_.empty(); });
      --idle_;
      if (queue_.empty()) return;
      auto job = std::move(queue_.front());
      queue_.pop_front();
      running_.push_back(job);
      lk.unlock();
      exit_reason why = job->execute();
      // Counted before the result is published: an awaiter woken by it that
      // submits the next task sees this worker as (about to be) idle.
      returning_.fetch_add(1);
      job->proc().mark_exited(why);
      if (job->fire_and_forget && why.is_failure())
        report({task_report::kind::failed, job->proc().pid(), job->proc().name(), why.err});
      lk.lock();
      returning_.fetch_sub(1);
      running_.erase(std::find(running_.begin(), running_.end(), job));
    }
  }

  task_options opts_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::condition_variable done_cv_;
  std::deque<std::shared_ptr<task_job>> queue_;    // guarded by mu_
  std::vector<std::shared_ptr<task_job>> running_; // guarded by mu_
  std::size_t idle_ = 0;                           // guarded by mu_
  // Workers between publishing a result and re-taking mu_ (incremented
  // without mu_, decremented under it; read under mu_ by submit).
  std::atomic<std::size_t> returning_{0};
  bool stopping_ = false;                          // guarded by mu_
  bool done_ = false;                              // guarded by mu_
  std::vector<std::jthread> workers_;              // guarded by mu_
};

}  // namespace detail

task_supervisor::task_supervisor(task_options opts)
    : pool_(std::make_unique<detail::task_pool>(std::move(opts))) {}
task_supervisor::~task_supervisor() { pool_->shutdown(); }
void task_supervisor::shutdown() { pool_->shutdown(); }
std::size_t task_supervisor::threads() const { return pool_->threads(); }
std::size_t task_supervisor::running() const { return pool_->running(); }
child_counts task_supervisor::count_children() const { return pool_->counts(); }
const std::shared_ptr<dead_letter_office>& task_supervisor::dead_letters() const noexcept {
  return pool_->dead_letters();
}
result<void> task_supervisor::submit(std::shared_ptr<detail::task_job> job) {
  return pool_->submit(std::move(job));
}

task_supervisor& root_task_supervisor() {
  // The documented process-wide root: lazily constructed, shut down and
  // joined by static destruction at exit.
  static task_supervisor root(task_options{"root_tasks", 256, std::chrono::milliseconds(5000), {}, {}});
  return root;
}

namespace {
supervisor_options root_options() {
  supervisor_options o;
  o.name = "root";
  return o;
}
struct root_holder {
  dynamic_supervisor sup{dynamic_supervisor_flags{}, root_options()};
  root_holder() {
    auto r = sup.start();  // cannot fail: freshly constructed
    (void)r;
  }
};
}  // namespace

dynamic_supervisor& root_supervisor() {
  static root_holder root;  // the documented process-wide root; joined at exit
  return root.sup;
}

}  // namespace v1
}  // namespace tether
