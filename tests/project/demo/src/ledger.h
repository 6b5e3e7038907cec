// Running totals. The Add functions expect the caller to hold g_ledger_mu.
#pragma once

#include "base/mutex.h"
#include "base/task_runner.h"

extern base::Mutex g_ledger_mu;

void AddToLedger(long amount);
long LedgerTotal();
void AddToJournal(long amount);
long JournalTotal();

void Settle(base::TaskRunner& runner, long amount);
void Refund(base::TaskRunner& runner, long amount);

struct Peaks {
  long high = 0;
  long low = 0;
};
extern Peaks g_peaks;
void TrackHigh(base::TaskRunner& runner, long value);
