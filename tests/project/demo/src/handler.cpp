#include "request.h"

namespace {

void Process() { LogLine("processing"); }

}  // namespace

// The id reaches LogLine only through a thread_local set just before.
void HandleRequest(int id, base::TaskRunner& runner) {
  SetRequestId(id);
  Process();
  runner.PostTask([] { NextScratch(); });
}

// The task runs on a runner thread, where the tenant was never set.
void AuditTenant(const char* tenant, base::TaskRunner& runner) {
  SetTenant(tenant);
  runner.PostTask([] { LogTenant(); });
}
