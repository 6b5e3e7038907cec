#include <thread>
void work();
void a() { std::thread(work).detach(); }
