// Audit records, written in the background through a Dispatcher.
#pragma once

#include <string>

#include "base/dispatcher.h"

void RecordAudit(base::Dispatcher& dispatcher);
long AuditCount();
void RecordAuditBytes(base::Dispatcher& dispatcher, long bytes);
long AuditBytes();
void FlushAudit(base::Dispatcher& dispatcher);
void FlushAuditSafely(base::Dispatcher& dispatcher);
void NoteLocally(const std::string& line);

class AuditTrail {
 public:
  explicit AuditTrail(base::Dispatcher& dispatcher) : dispatcher_(dispatcher) {}
  void Append(const std::string& line);

 private:
  base::Dispatcher& dispatcher_;
  std::string last_;
};
