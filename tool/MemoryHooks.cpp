//===--- MemoryHooks.cpp - Per-thread allocation count for --tu-memory ----===//
//
// Linked into the tether binary only. Replaces malloc and its family (so
// operator new, clang's and LLVM's allocators included) with glibc's own
// entry points plus a per-thread count of live bytes: a translation unit is
// analysed on one thread, so that count is its memory, and Recovery.cpp
// stops the unit when the count passes --tu-memory. The hook also tells the
// watchdog's interrupt that the thread is inside the allocator, where
// jumping out would leave the allocator's lock held (see Recovery.h).
//
//===----------------------------------------------------------------------===//

#include "Recovery.h"

#include <cerrno>
#include <cstddef>
#include <cstring>
#include <malloc.h>

extern "C" {
void *__libc_malloc(size_t);
void __libc_free(void *);
void *__libc_calloc(size_t, size_t);
void *__libc_realloc(void *, size_t);
void *__libc_memalign(size_t, size_t);
}

namespace {

using tether::AllocationCounter;

struct Enter {
  AllocationCounter &C;
  explicit Enter(AllocationCounter &C) : C(C) {
    C.InAllocator = C.InAllocator + 1;
  }
  ~Enter() { C.InAllocator = C.InAllocator - 1; }
};

inline void *counted(AllocationCounter &C, void *P) {
  if (P) {
    C.Live += static_cast<int64_t>(malloc_usable_size(P));
    if (C.Limit && C.Live > C.Limit && !C.InAllocator)
      tether::allocationLimitExceeded();
  }
  if (C.Deferred && !C.InAllocator)
    tether::allocationInterruptDeferred();
  return P;
}

inline void uncount(AllocationCounter &C, void *P) {
  if (P)
    C.Live -= static_cast<int64_t>(malloc_usable_size(P));
}

} // namespace

extern "C" {

void *malloc(size_t N) {
  AllocationCounter &C = tether::allocationCounter();
  void *P;
  {
    Enter E(C);
    P = __libc_malloc(N);
  }
  return counted(C, P);
}

void free(void *P) {
  if (!P)
    return;
  AllocationCounter &C = tether::allocationCounter();
  {
    Enter E(C);
    uncount(C, P);
    __libc_free(P);
  }
  if (C.Deferred && !C.InAllocator)
    tether::allocationInterruptDeferred();
}

void *calloc(size_t N, size_t S) {
  AllocationCounter &C = tether::allocationCounter();
  void *P;
  {
    Enter E(C);
    P = __libc_calloc(N, S);
  }
  return counted(C, P);
}

void *realloc(void *Old, size_t N) {
  AllocationCounter &C = tether::allocationCounter();
  void *P;
  {
    Enter E(C);
    size_t Before = Old ? malloc_usable_size(Old) : 0;
    P = __libc_realloc(Old, N);
    if (P || N == 0)
      C.Live -= static_cast<int64_t>(Before);
  }
  return counted(C, P);
}

void *memalign(size_t A, size_t N) {
  AllocationCounter &C = tether::allocationCounter();
  void *P;
  {
    Enter E(C);
    P = __libc_memalign(A, N);
  }
  return counted(C, P);
}

void *aligned_alloc(size_t A, size_t N) { return memalign(A, N); }

int posix_memalign(void **Out, size_t A, size_t N) {
  if (A < sizeof(void *) || (A & (A - 1)) != 0)
    return EINVAL;
  void *P = memalign(A, N);
  if (!P && N)
    return ENOMEM;
  *Out = P;
  return 0;
}

void *valloc(size_t N) { return memalign(4096, N); }

} // extern "C"
