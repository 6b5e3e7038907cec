#include <thread>
void f() {
  int x = ;
}
