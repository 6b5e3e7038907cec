#include "ledger.h"

base::Mutex g_ledger_mu;
long g_ledger_total = 0;
long g_journal_total = 0;
Peaks g_peaks;

void AddToLedger(long amount) { g_ledger_total += amount; }

long LedgerTotal() {
  base::MutexLock lock(g_ledger_mu);
  return g_ledger_total;
}

void AddToJournal(long amount) { g_journal_total += amount; }

long JournalTotal() {
  base::MutexLock lock(g_ledger_mu);
  return g_journal_total;
}
