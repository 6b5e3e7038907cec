#include <thread>
void work();
void start() {
  std::thread t(work);
  t.detach();
}
