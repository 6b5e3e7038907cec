#include "worker.h"
void one() {}
