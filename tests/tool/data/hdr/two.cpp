#include "worker.h"
void two() {}
