#include <cstdio>

#include "request.h"

void LogLine(const char* text) {
  std::printf("[%d] %s\n", RequestId(), text);
}

void LogTenant() { std::printf("tenant %s\n", Tenant()); }
