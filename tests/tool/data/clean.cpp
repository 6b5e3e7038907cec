#include <thread>
void work();
void run() {
  std::thread t(work);
  t.join();
}
