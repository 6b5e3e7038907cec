#include "request.h"

thread_local int tls_request_id = 0;
thread_local const char* tls_tenant = "";
thread_local int tls_scratch = 0;

void SetRequestId(int id) { tls_request_id = id; }
int RequestId() { return tls_request_id; }

void SetTenant(const char* tenant) { tls_tenant = tenant; }
const char* Tenant() { return tls_tenant; }

// Private to one function: a per-thread counter, fine.
int NextScratch() { return ++tls_scratch; }
