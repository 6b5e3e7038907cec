#pragma once

// Process-wide settings. Written by the control code, read by workers.
extern int g_log_level;

void SetLogLevel(int level);
int LogLevel();
