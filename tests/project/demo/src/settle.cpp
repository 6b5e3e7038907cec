#include "ledger.h"

// Every caller of AddToLedger holds the lock: fine.
void Settle(base::TaskRunner& runner, long amount) {
  runner.PostTask([amount] {
    base::MutexLock lock(g_ledger_mu);
    AddToLedger(amount);
    AddToJournal(amount);
  });
}

// This caller of AddToJournal forgot it: a race in ledger.cpp.
void Refund(base::TaskRunner& runner, long amount) {
  runner.PostTask([amount] { AddToJournal(-amount); });
}

// Only 'high' is written on the runner; main reads only 'low': different
// memory locations, fine.
void TrackHigh(base::TaskRunner& runner, long value) {
  runner.PostTask([value] {
    if (value > g_peaks.high) {
      g_peaks.high = value;
    }
  });
}
