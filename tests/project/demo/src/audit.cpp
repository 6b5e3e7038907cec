#include "audit.h"

#include <cstdio>
#include <string>

#include "base/mutex.h"
#include "base/task_runner.h"

long g_audit_count = 0;
base::Mutex g_audit_mu;
long g_audit_bytes = 0;  // guarded by g_audit_mu

// Counted on a runner thread, read by main: a race that only the forwarding
// RunnerDispatcher::RunLater -> TaskRunner::PostTask makes visible.
void RecordAudit(base::Dispatcher& dispatcher) {
  dispatcher.RunLater([] { ++g_audit_count; });
}

long AuditCount() { return g_audit_count; }

// The same hand-off, with both sides under one mutex: fine.
void RecordAuditBytes(base::Dispatcher& dispatcher, long bytes) {
  dispatcher.RunLater([bytes] {
    base::MutexLock lock(g_audit_mu);
    g_audit_bytes += bytes;
  });
}

long AuditBytes() {
  base::MutexLock lock(g_audit_mu);
  return g_audit_bytes;
}

// The batch is gone when this returns; the queued task may not have run.
void FlushAudit(base::Dispatcher& dispatcher) {
  std::string batch = "audit batch";
  dispatcher.RunLater([&batch] { std::puts(batch.c_str()); });
}

// The task owns its copy: fine.
void FlushAuditSafely(base::Dispatcher& dispatcher) {
  std::string batch = "audit batch";
  dispatcher.RunLater([batch] { std::puts(batch.c_str()); });
}

// The trail may be destroyed before the dispatcher runs the task.
void AuditTrail::Append(const std::string& line) {
  dispatcher_.RunLater([this, line] { last_ = line; });
}

namespace {

// Owns its runner, declared last: destroyed first, it runs what is queued
// before the members the tasks use are gone. Fine.
class LocalAudit {
 public:
  void Note(const std::string& line) {
    runner_.PostTask([this, line] { last_ = line; });
  }

 private:
  std::string last_;
  base::TaskRunner runner_{1};
};

}  // namespace

void NoteLocally(const std::string& line) {
  LocalAudit audit;
  audit.Note(line);
}
