// A small ingest service written the way failure handling between threads
// decays: every supervision-* check of tether has something to say about it.
// Run
//   build/bin/tether -p build examples/supervision/ingest.cpp
// to see the findings; docs/checks/ shows the supervised rewrite of each
// (task_supervisor::async + task<T>::await, a supervisor with child specs).
#include <atomic>
#include <cstdio>
#include <functional>
#include <future>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace ingest {

struct Record {
  std::string Key;
  std::string Value;
};

// Throws on a corrupt record.
Record parseRecord(const std::string &Line) {
  auto Eq = Line.find('=');
  if (Eq == std::string::npos)
    throw std::runtime_error("corrupt record: " + Line);
  return {Line.substr(0, Eq), Line.substr(Eq + 1)};
}

std::atomic<long> Total{0};

void ingestBatch(const std::vector<std::string> &Lines) {
  for (const auto &L : Lines) {
    Record R = parseRecord(L);
    Total += static_cast<long>(R.Value.size());
  }
}

/// supervision-unjoined-member: the poller starts a thread in its
/// constructor, and its destructor only clears the flag: destroying a
/// Poller while the thread runs calls std::terminate.
class Poller {
public:
  explicit Poller(std::vector<std::string> Lines)
      : Lines(std::move(Lines)), Thread([this] { loop(); }) {}
  ~Poller() { Running = false; }

private:
  void loop() {
    while (Running) {
      // Fine for escaping-exception: the failure is caught and counted.
      try {
        ingestBatch(Lines);
      } catch (const std::exception &E) {
        std::fprintf(stderr, "poller: %s\n", E.what());
        ++Failures;
      }
    }
  }

  std::vector<std::string> Lines;
  std::atomic<bool> Running{true};
  std::atomic<int> Failures{0};
  std::thread Thread;
};

/// supervision-broken-promise: parseRecord can throw between the creation
/// of the promise and set_value; the waiter then sees broken_promise, not
/// the corrupt record.
std::future<long> sizeOf(const std::string &Line) {
  std::promise<long> P;
  std::future<long> F = P.get_future();
  Record R = parseRecord(Line);
  P.set_value(static_cast<long>(R.Value.size()));
  return F;
}

/// supervision-swallowed-error: a failed flush is dropped on the floor -
/// no log, no counter, no stored exception - and the worker carries on.
void flushOnce(std::vector<std::string> &Out) {
  try {
    Out.push_back(std::to_string(Total.load()));
    if (Out.size() > 1000)
      throw std::length_error("flush buffer full");
  } catch (...) {
  }
}

/// supervision-unguarded-worker-loop: nothing in this loop has an error
/// path; the first exception from compact() ends the process and nobody
/// restarts the compactor.
void compact(std::vector<std::string> &Out);

void compactor(std::vector<std::string> &Out, const std::atomic<bool> &Run) {
  while (Run) {
    compact(Out);
    std::this_thread::yield();
  }
}

} // namespace ingest

int main() {
  std::vector<std::string> Lines = {"a=1", "b=22", "corrupt"};

  // supervision-escaping-exception: "corrupt" makes parseRecord throw inside
  // the thread; nothing catches it, so std::terminate ends the process.
  std::thread Worker(ingest::ingestBatch, Lines);
  Worker.join();

  std::vector<std::string> Flushed;
  std::thread Flusher([&Flushed] {
    for (int I = 0; I < 3; ++I)
      ingest::flushOnce(Flushed);
  });
  Flusher.join();

  std::atomic<bool> Run{false};
  std::thread Compactor(ingest::compactor, std::ref(Flushed), std::cref(Run));
  Compactor.join();

  ingest::Poller Poll(Lines);
  std::printf("%ld\n", ingest::sizeOf("k=v").get());
  return 0;
}

void ingest::compact(std::vector<std::string> &Out) {
  if (Out.size() > 2)
    Out.erase(Out.begin());
}
