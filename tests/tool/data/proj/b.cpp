#include <thread>
void work();
void b() { std::thread t(work); t.join(); }
