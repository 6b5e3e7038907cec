#include "config.h"

int g_log_level = 0;

void SetLogLevel(int level) { g_log_level = level; }

int LogLevel() { return g_log_level; }
