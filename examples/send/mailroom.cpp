// A small mailroom written the way message passing between threads decays:
// every send-* check of tether has something to say about it. Run
//   build/bin/tether -p build examples/send/mailroom.cpp
// to see the findings; docs/checks/ shows the supervised rewrite of each.
#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace mail {

/// A bounded work queue with a home-made executor interface.
class WorkQueue {
public:
  explicit WorkQueue(std::size_t Capacity) : Capacity(Capacity) {}

  // Fine: the change is made under the mutex, the notify follows.
  bool post(std::function<void()> Job) {
    {
      std::lock_guard<std::mutex> G(M);
      if (Jobs.size() >= Capacity)
        return false;
      Jobs.push_back(std::move(Job));
    }
    Ready.notify_one();
    return true;
  }

  // send-lost-wakeup: Closed is an atomic, but it is set without the
  // mutex: the worker can test it, be pre-empted, and block after this
  // notify - and never wake up.
  void close() {
    Closed.store(true);
    Ready.notify_all();
  }

  // send-wait-without-predicate: `if` checks once; a spurious wake-up
  // returns with an empty queue, and a notify sent before the wait is lost.
  bool runOne() {
    std::unique_lock<std::mutex> L(M);
    if (Jobs.empty() && !Closed)
      Ready.wait(L);
    if (Jobs.empty())
      return false;
    auto Job = std::move(Jobs.front());
    Jobs.pop_front();
    L.unlock();
    Job();
    return true;
  }

  // Fine: the predicate overload re-checks after every wake-up.
  void drain() {
    std::unique_lock<std::mutex> L(M);
    Ready.wait(L, [this] { return Jobs.empty() || Closed; });
  }

private:
  std::mutex M;
  std::condition_variable Ready;
  std::deque<std::function<void()>> Jobs; // guarded by M
  std::atomic<bool> Closed{false};
  std::size_t Capacity;
};

WorkQueue &sharedQueue() {
  static WorkQueue Q(64);
  return Q;
}

class Mailbox {
public:
  explicit Mailbox(std::string Owner) : Owner(std::move(Owner)) {}

  // send-ignored-delivery: post() returns false when the queue is full; the
  // letter is dropped and nobody knows.
  void forward(const std::string &Letter) {
    sharedQueue().post([Letter] { std::printf("%s\n", Letter.c_str()); });
  }

  // send-dangling-capture: the detached thread uses `this`, and the queue
  // may run the job after this Mailbox is destroyed.
  void deliverLater(const std::string &Letter) {
    std::thread([this, Letter] { deliver(Letter); }).detach();
    (void)sharedQueue().post([this] { deliver("receipt"); });
  }

  void deliver(const std::string &Letter) {
    std::printf("%s <- %s\n", Owner.c_str(), Letter.c_str());
  }

private:
  std::string Owner;
};

} // namespace mail

int main() {
  std::thread Worker([] {
    while (mail::sharedQueue().runOne()) {
    }
  });
  {
    mail::Mailbox Box("alice");
    Box.forward("hello");
    Box.deliverLater("later");
  } // Box is gone; the detached thread and the queued job may still use it
  mail::sharedQueue().close();
  Worker.join();
  return 0;
}
