// Per-request context kept in thread_locals, and the code that uses it.
#pragma once

#include "base/task_runner.h"

void SetRequestId(int id);
int RequestId();
void SetTenant(const char* tenant);
const char* Tenant();
int NextScratch();

void LogLine(const char* text);
void LogTenant();

void HandleRequest(int id, base::TaskRunner& runner);
void AuditTenant(const char* tenant, base::TaskRunner& runner);
