#pragma once
#include <thread>
inline void spawn_worker(void (*f)()) {
  std::thread t(f);
  t.detach();
}
