#include <future>
#include <thread>
void work();
void a() { std::thread(work).detach(); }
void b(bool early) {
  std::thread t(work);
  if (early)
    return;
  t.join();
}
void c() { std::async(std::launch::async, work); }
