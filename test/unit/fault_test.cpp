// Every kind of fault inside a domain is rewound, reported and discarded,
// and the domain works again on the next call.
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include <dirent.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <stdexcept>
#include <string>
#include <vector>

#include "internal.h"
#include "sdrad_api.h"
#include "test_util.h"

using namespace sdrad_test;

namespace {

struct B {
  int r;
  char *p;
  long n;
};

void expect_recovers(const char *name, void (*bad)(B *), int kind) {
  int64_t h = domain(name);
  {
    InDomain<B> d(h);
    EXPECT_EQ(d.run(bad), kind) << name;
    sdrad_fault f;
    ASSERT_TRUE(sdrad_last_fault(&f));
    EXPECT_EQ(f.kind, kind) << sdrad_fault_kind_name(f.kind);
    EXPECT_EQ(f.handle, h);
    EXPECT_STREQ(f.domain, name);
    EXPECT_EQ(sdrad_depth(), 0);
  }
  for (int i = 0; i < 3; ++i) {
    InDomain<B> d(h);
    d.b->n = i;
    ASSERT_EQ(d.run([](B *b) { b->r = (int)b->n + 1; }), 0);
    EXPECT_EQ(d.b->r, i + 1);
  }
}

volatile int g_zero = 0;
#pragma clang diagnostic ignored "-Winfinite-recursion"
void recurse(B *b) {
  volatile char buf[512];
  buf[0] = (char)b->n;
  recurse(b);
  buf[1] = 1;
}

}  // namespace

TEST(Fault, NullReadIsRewound) {
  expect_recovers("fault.null", [](B *b) { b->r = *(volatile int *)nullptr; }, SDRAD_FAULT_SEGV);
  // The report stays until cleared (the calls after it succeeded) and
  // names the null address.
  sdrad_fault f;
  ASSERT_TRUE(sdrad_last_fault(&f));
  EXPECT_EQ(f.addr, 0u);
  EXPECT_EQ(f.signo, SIGSEGV);
}

TEST(Fault, ReportCarriesSignalAddressAndPc) {
  int64_t h = domain("fault.report");
  InDomain<B> d(h);
  ASSERT_EQ(d.run([](B *) { *(volatile int *)0x10 = 1; }), SDRAD_FAULT_SEGV);
  sdrad_fault f;
  ASSERT_TRUE(sdrad_last_fault(&f));
  EXPECT_EQ(f.signo, SIGSEGV);
  EXPECT_EQ(f.addr, 0x10u);
  EXPECT_NE(f.pc, 0u);
  sdrad_clear_fault();
  EXPECT_FALSE(sdrad_last_fault(&f));
}

TEST(Fault, WildWriteIsRewound) {
  expect_recovers("fault.wild", [](B *) { *(volatile long *)0xdead0000 = 1; }, SDRAD_FAULT_SEGV);
}

TEST(Fault, AbortIsRewound) {
  expect_recovers("fault.abort", [](B *) { abort(); }, SDRAD_FAULT_ABORT);
}

TEST(Fault, FailedAssertIsRewound) {
  expect_recovers("fault.assert", [](B *b) { if (b->n == 0) raise(SIGABRT); }, SDRAD_FAULT_ABORT);
}

TEST(Fault, IntegerDivisionByZeroIsRewound) {
  expect_recovers("fault.fpe", [](B *b) { b->r = (int)(b->n + 7) / g_zero; }, SDRAD_FAULT_FPE);
}

TEST(Fault, IllegalInstructionIsRewound) {
  expect_recovers("fault.ill", [](B *) { __builtin_trap(); }, SDRAD_FAULT_ILL);
}

TEST(Fault, TrapIsRewound) {
  expect_recovers("fault.trap", [](B *) { __asm__ volatile("int3"); }, SDRAD_FAULT_TRAP);
}

TEST(Fault, BusErrorIsRewound) {
  expect_recovers("fault.bus", [](B *) { raise(SIGBUS); }, SDRAD_FAULT_BUS);
}

TEST(Fault, EscapingExceptionIsRewound) {
  expect_recovers("fault.exception", [](B *) { throw std::runtime_error("escapes"); }, SDRAD_FAULT_EXCEPTION);
}

TEST(Fault, CaughtExceptionIsNotAFault) {
  int64_t h = domain("fault.caught");
  InDomain<B> d(h);
  ASSERT_EQ(d.run([](B *b) {
              try {
                throw std::runtime_error("inside");
              } catch (const std::exception &e) {
                b->r = (int)strlen(e.what());
              }
            }),
            0);
  EXPECT_EQ(d.b->r, 6);
}

TEST(Fault, StackOverflowHitsGuardAndIsRewound) {
  expect_recovers("fault.recursion", recurse, SDRAD_FAULT_STACK_OVERFLOW);
}

TEST(Fault, DoubleFreeIsHeapCorruption) {
  expect_recovers("fault.doublefree", [](B *) {
    void *p = opaque(malloc(32));
    free(p);
    free(opaque(p));
  }, SDRAD_FAULT_HEAP_CORRUPTION);
}

TEST(Fault, CorruptedAllocatorMetadataIsDetected) {
  expect_recovers("fault.metadata", [](B *) {
    char *a = opaque((char *)malloc(64));
    char *b = opaque((char *)malloc(64));
    free(a);
    memset(opaque(a - 16), 0x41, 64);  // smash a's header and free-list links
    free(opaque((char *)malloc(64)));
    free(b);
  }, SDRAD_FAULT_HEAP_CORRUPTION);
}

TEST(Fault, FreeOfRootPointerIsRefused) {
  int64_t h = domain("fault.foreignfree");
  void *root = malloc(48);
  memset(root, 0x5a, 48);
  InDomain<B> d(h);
  d.b->p = (char *)root;
  EXPECT_EQ(d.run([](B *b) { free(b->p); }), SDRAD_FAULT_FOREIGN_FREE);
  // The root block is intact and still ours to free.
  for (int i = 0; i < 48; ++i) ASSERT_EQ(((unsigned char *)root)[i], 0x5a);
  void *again = malloc(48);
  EXPECT_NE(again, root);
  free(root);
  free(again);
}

TEST(Fault, FreeOfDomainPointerByRootIsRefused) {
  int64_t h = domain("fault.rootfreesdomain");
  InDomain<B> d(h);
  ASSERT_EQ(d.run([](B *b) { b->p = (char *)malloc(40); }), 0);
  testing::internal::CaptureStderr();
  free(d.b->p);  // refused with a message, nothing corrupted
  std::string err = testing::internal::GetCapturedStderr();
  EXPECT_NE(err.find("refused"), std::string::npos) << err;
  ASSERT_EQ(d.run([](B *b) {
              b->p[39] = 1;
              free(b->p);
              b->r = 1;
            }),
            0);
}

TEST(Fault, HeapLimitMakesMallocReturnNull) {
  int64_t h = domain("fault.heaplimit");
  InDomain<B> d(h);
  ASSERT_EQ(d.run([](B *b) {
              b->r = opaque(malloc((size_t)1 << 40)) == nullptr;
              b->n = 0;
              // Fill the heap (pages are committed lazily, so only touch a little).
              while (opaque(malloc(64 << 20))) b->n++;
            }),
            0);
  EXPECT_EQ(d.b->r, 1);
  EXPECT_GT(d.b->n, 0);
  // Then a NULL dereference faults and the discard gives the heap back.
  ASSERT_EQ(d.run([](B *) { *(volatile char *)opaque(malloc(128 << 20)) = 1; }), SDRAD_FAULT_SEGV);
  InDomain<B> e(h);
  ASSERT_EQ(e.run([](B *b) { b->r = opaque(malloc(64 << 20)) != nullptr; }), 0);
  EXPECT_EQ(e.b->r, 1);
}

TEST(Fault, DiscardLeavesNothingForTheNextRun) {
  int64_t h = domain("fault.discard");
  InDomain<B> d(h);
  ASSERT_EQ(d.run([](B *b) {
              char *s = opaque((char *)malloc(4096));
              strcpy(s, "secret from the failed run");
              b->p = s;
              volatile char buf[256];
              memcpy((char *)buf, "stack secret", 13);
              abort();
            }),
            SDRAD_FAULT_ABORT);
  // Scan the whole fresh heap and a large part of the stack of the new run.
  InDomain<B> e(h);
  ASSERT_EQ(e.run([](B *b) {
              char *p = opaque((char *)malloc(1 << 20));
              int found = 0;
              for (char *q = p - 1024; q < p + (1 << 20) - 32; ++q) found |= memcmp(q, "secret from", 11) == 0;
              volatile char probe[64 * 1024];
              for (size_t i = 0; i + 12 < sizeof(probe); ++i) found |= memcmp((char *)probe + i, "stack secret", 12) == 0;
              b->r = found;
            }),
            0);
  EXPECT_EQ(e.b->r, 0);
}

TEST(Fault, HeapOverrunIntoTheGuardIsASegvNotAStackOverflow) {
  int64_t h = domain("fault.heapguard");
  {
    InDomain<B> warm(h);
    ASSERT_EQ(warm.run([](B *) {}), 0);
  }
  InDomain<B> d(h);
  d.b->p = (char *)sdrad::thread_state()->inst[h]->heap_hi;  // first byte past the heap
  EXPECT_EQ(d.run([](B *b) { *(volatile char *)b->p = 1; }), SDRAD_FAULT_SEGV);
}

namespace {
void touch_large_heap_then_abort(B *b) {
  char *p = opaque((char *)malloc(1 << 20));
  memset(p, 0x5a, 1 << 20);
  b->p = p;
  abort();
}
}  // namespace

TEST(Fault, LargeHeapDiscardMovesToAFreshSlot) {
  int64_t h = domain("fault.largeheap");
  {
    InDomain<B> warm(h);
    ASSERT_EQ(warm.run([](B *) {}), 0);
  }
  uintptr_t before = sdrad::thread_state()->inst[h]->heap_lo;
  {
    InDomain<B> d(h);
    ASSERT_EQ(d.run(touch_large_heap_then_abort), SDRAD_FAULT_ABORT);
  }
  uintptr_t after = sdrad::thread_state()->inst[h]->heap_lo;
  EXPECT_NE(after, before) << "a large touched heap is left behind, not wiped in place";
  InDomain<B> e(h);
  ASSERT_EQ(e.run([](B *b) {
              char *p = opaque((char *)malloc(1 << 20));
              int dirty = 0;
              for (int i = 0; i < (1 << 20); i += 512) dirty |= p[i];
              b->r = dirty;
            }),
            0);
  EXPECT_EQ(e.b->r, 0) << "the new run sees fresh memory";
}

// A discarded large heap's slot comes back as a spare (memory.cpp) only
// after the reclaimer emptied it: whichever slot a run gets, it holds
// nothing of an earlier failed run -- heap, stack or argument area.
TEST(Fault, RecycledLargeHeapSlotHoldsNothingOfTheFailedRun) {
  int64_t h = domain("fault.recycle");
  {
    InDomain<B> warm(h);
    ASSERT_EQ(warm.run([](B *) {}), 0);
  }
  std::vector<uintptr_t> seen{sdrad::thread_state()->inst[h]->heap_lo};
  bool recycled = false;
  for (int round = 0; round < 6; ++round) {
    {
      InDomain<B> d(h);
      ASSERT_EQ(d.run([](B *b) {
                  touch_large_heap_then_abort(b);  // 1 MiB of 0x5a, then abort
                }),
                SDRAD_FAULT_ABORT);
    }
    usleep(50 * 1000);  // time for the reclaimer to empty the old slot
    uintptr_t lo = sdrad::thread_state()->inst[h]->heap_lo;
    recycled |= std::find(seen.begin(), seen.end(), lo) != seen.end();
    seen.push_back(lo);
    InDomain<B> e(h);
    ASSERT_EQ(e.run([](B *b) {
                char *p = opaque((char *)malloc(1 << 20));
                int dirty = 0;
                for (int i = 0; i < (1 << 20); i += 64) dirty |= p[i] == 0x5a;
                volatile char probe[8 * 1024];
                for (size_t i = 0; i < sizeof(probe); i += 8) dirty |= probe[i] == 0x5a;
                b->r = dirty;
              }),
              0);
    EXPECT_EQ(e.b->r, 0) << "round " << round << ": the new run sees data of the failed one";
  }
  EXPECT_TRUE(recycled) << "no slot came back as a spare in six large discards";
}

// The rewind runs in signal context: it must not start a thread (the
// reclaimer is started when an instance is created).  A forked child has
// no reclaimer; a large-heap fault there unmaps the old slot itself.
TEST(Fault, RewindOfALargeHeapStartsNoThread) {
  int64_t h = domain("fault.nothread");
  {
    InDomain<B> warm(h);
    ASSERT_EQ(warm.run([](B *) {}), 0);
  }
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    int st;
    {
      InDomain<B> d(h);
      st = d.run(touch_large_heap_then_abort);
    }
    int threads = 0;
    if (DIR *dir = opendir("/proc/self/task")) {
      while (struct dirent *e = readdir(dir)) threads += e->d_name[0] != '.';
      closedir(dir);
    }
    _exit(st != SDRAD_FAULT_ABORT ? 2 : threads != 1 ? 3 : 0);
  }
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_NE(WEXITSTATUS(status), 2) << "the fault was not rewound in the child";
  EXPECT_EQ(WEXITSTATUS(status), 0) << "the rewind started a thread";
}

namespace {
// Holds the reclaimer (memory.cpp) as if it were far behind; released on
// scope exit, then waits for it to empty what was queued.
struct ReclaimerHeld {
  ReclaimerHeld() { sdrad::reclaimer_hold(true); }
  ~ReclaimerHeld() {
    sdrad::reclaimer_hold(false);
    drained();
  }
  static bool drained() {
    for (int i = 0; i < 300 && sdrad::reclaim_stats().in_flight > 0; ++i) usleep(10 * 1000);
    return sdrad::reclaim_stats().in_flight == 0;
  }
};

// A run of the domain that allocates 1 MiB and reports whether any byte of
// it, or of its stack, is not zero.
void new_run_sees_only_zeros(B *b) {
  char *p = opaque((char *)malloc(1 << 20));
  int dirty = 0;
  for (int i = 0; i < (1 << 20); i += 64) dirty |= p[i];
  volatile char probe[8 * 1024];
  for (size_t i = 0; i < sizeof(probe); i += 8) dirty |= probe[i];
  b->r = dirty;
}
}  // namespace

// However far the reclaimer is behind, at most 8 old slots wait for it
// (their pages resident): twelve domains discard a large heap each, and the
// discards beyond the eighth empty their old slot on the rewind path.
// Every new run starts from zeros, and once the reclaimer runs again
// nothing is left in flight.
TEST(Fault, LargeHeapDiscardsBeyondTheInFlightBoundEmptyTheirOldSlot) {
  std::vector<int64_t> hs;
  for (int i = 0; i < 12; ++i) {
    hs.push_back(domain("fault.inflight." + std::to_string(i)));
    InDomain<B> warm(hs.back());
    ASSERT_EQ(warm.run([](B *) {}), 0);
  }
  ASSERT_TRUE(ReclaimerHeld::drained());
  uint64_t sync0 = sdrad::reclaim_stats().sync_empties;
  {
    ReclaimerHeld held;
    int max_in_flight = 0;
    for (int64_t h : hs) {
      InDomain<B> d(h);
      ASSERT_EQ(d.run(touch_large_heap_then_abort), SDRAD_FAULT_ABORT);
      max_in_flight = std::max(max_in_flight, sdrad::reclaim_stats().in_flight);
    }
    EXPECT_EQ(max_in_flight, 8) << "old slots waiting for the reclaimer";
    EXPECT_EQ(sdrad::reclaim_stats().sync_empties - sync0, 4u) << "discards past the bound empty their old slot";
    for (int64_t h : hs) {
      InDomain<B> e(h);
      ASSERT_EQ(e.run(new_run_sees_only_zeros), 0);
      EXPECT_EQ(e.b->r, 0) << "the new run sees data of a failed one";
    }
  }
  EXPECT_EQ(sdrad::reclaim_stats().in_flight, 0) << "the reclaimer emptied the queue once released";
}

namespace {
struct OldHeap {
  int r;
  char *old;  // where the failed run's data was
};
}  // namespace

// The old slot of a large discard keeps the instance's protection key
// until it is emptied, so a confidentiality domain must not run before
// that: with the reclaimer held, the next entry empties the old slot
// itself, and the new run finds only zeros where the failed run's data was.
TEST(Fault, NextRunOfAConfidentialityDomainFindsItsOldSlotEmpty) {
  if (!pku()) GTEST_SKIP() << "needs protection keys (backend is " << sdrad_backend_name() << ")";
  int64_t h = domain("fault.nextrun", SDRAD_POLICY_CONFIDENTIALITY);
  {
    InDomain<B> warm(h);
    ASSERT_EQ(warm.run([](B *) {}), 0);
  }
  ASSERT_TRUE(ReclaimerHeld::drained());
  ReclaimerHeld held;
  char *old_heap = (char *)sdrad::thread_state()->inst[h]->heap_lo;
  uint64_t waits0 = sdrad::reclaim_stats().emptied_by_next_run;
  {
    InDomain<B> d(h);
    ASSERT_NE(d.run(touch_large_heap_then_abort), 0);  // abort reads libc data: a key fault under confidentiality
  }
  ASSERT_NE((char *)sdrad::thread_state()->inst[h]->heap_lo, old_heap);
  ASSERT_EQ(sdrad::reclaim_stats().in_flight, 1) << "the old slot waits for the held reclaimer";
  InDomain<OldHeap> e(h);
  e.b->old = old_heap;
  // Emptied, the old slot waits as a spare under the root key (a key
  // fault) or is unmapped (zeros): either way nothing of the failed run.
  int32_t st = e.run([](OldHeap *b) {
    int dirty = 0;  // past the heap header the reclaimer may write
    for (size_t i = 64 * 1024; i < (1 << 20); i += 64) dirty |= ((volatile char *)b->old)[i] == 0x5a;
    b->r = dirty;
  });
  if (st != SDRAD_FAULT_KEY_VIOLATION) {
    ASSERT_EQ(st, 0);
    EXPECT_EQ(e.b->r, 0) << "the new run could read the failed run's data in its old slot";
  }
  EXPECT_EQ(sdrad::reclaim_stats().emptied_by_next_run - waits0, 1u);
  EXPECT_EQ(sdrad::reclaim_stats().in_flight, 0);
}

// An integrity domain may read all memory, and the unprotected backend
// stops no read: the old slot hides nothing from the next run there, so
// the next run does not wait for it (the reclaimer, held here, empties it
// later; a wait would cost the next call the whole madvise).
TEST(Fault, NextRunOfAnIntegrityDomainDoesNotWaitForItsOldSlot) {
  int64_t h = domain("fault.nowait");
  {
    InDomain<B> warm(h);
    ASSERT_EQ(warm.run([](B *) {}), 0);
  }
  ASSERT_TRUE(ReclaimerHeld::drained());
  uint64_t waits0 = sdrad::reclaim_stats().emptied_by_next_run;
  {
    ReclaimerHeld held;
    {
      InDomain<B> d(h);
      ASSERT_EQ(d.run(touch_large_heap_then_abort), SDRAD_FAULT_ABORT);
    }
    ASSERT_EQ(sdrad::reclaim_stats().in_flight, 1) << "the old slot waits for the held reclaimer";
    InDomain<B> e(h);
    ASSERT_EQ(e.run(new_run_sees_only_zeros), 0);
    EXPECT_EQ(e.b->r, 0) << "the new run's own memory is fresh";
    EXPECT_EQ(sdrad::reclaim_stats().emptied_by_next_run, waits0) << "the next run emptied the old slot";
    EXPECT_EQ(sdrad::reclaim_stats().in_flight, 1);
  }
  EXPECT_EQ(sdrad::reclaim_stats().in_flight, 0) << "the reclaimer emptied it once released";
}

// After a domain's first large discard the reclaimer prepares spares of
// its key ahead of time: the next discards take one each (no system call
// on the rewind path), and a spare holds nothing of an earlier run.
TEST(Fault, LargeHeapDiscardTakesASparePreparedAhead) {
  int64_t h = domain("fault.ahead");
  {
    InDomain<B> d(h);
    ASSERT_EQ(d.run(touch_large_heap_then_abort), SDRAD_FAULT_ABORT);  // the key now wants spares
  }
  ASSERT_TRUE(ReclaimerHeld::drained());
  for (int i = 0; i < 300 && sdrad::reclaim_stats().spares_ready < 2; ++i) usleep(10 * 1000);
  ASSERT_GE(sdrad::reclaim_stats().spares_ready, 2);
  sdrad::ReclaimStats before = sdrad::reclaim_stats();
  for (int round = 0; round < 2; ++round) {
    {
      InDomain<B> d(h);
      ASSERT_EQ(d.run(touch_large_heap_then_abort), SDRAD_FAULT_ABORT);
    }
    InDomain<B> e(h);
    ASSERT_EQ(e.run(new_run_sees_only_zeros), 0);
    EXPECT_EQ(e.b->r, 0) << "round " << round;
  }
  sdrad::ReclaimStats after = sdrad::reclaim_stats();
  EXPECT_EQ(after.spare_hits - before.spare_hits, 2u);
  EXPECT_EQ(after.spare_misses, before.spare_misses) << "a discard mapped a fresh slot on the rewind path";
}

namespace {
int32_t touch_large_heap_then_crash(void *) {
  char *p = opaque((char *)malloc(1 << 20));
  memset(p, 0x5a, 1 << 20);
  abort();
}
}  // namespace

// An old slot waiting for the reclaimer keeps its protection key: the
// domain is destroyed (sdrad_call on a fresh udi), but its key must not go
// back to the kernel -- and from there to another domain, which could then
// read the failed run's memory -- before the slot is emptied.
TEST(Fault, KeyOfAnOldSlotInFlightIsNotReusedBeforeItIsEmptied) {
  if (!pku()) GTEST_SKIP() << "needs protection keys (backend is " << sdrad_backend_name() << ")";
  std::vector<int> taken;  // every key but one, so the domain gets that one
  for (long k; (k = syscall(SYS_pkey_alloc, 0, 0)) >= 0;) taken.push_back((int)k);
  ASSERT_FALSE(taken.empty());
  int last = taken.back();
  taken.pop_back();
  syscall(SYS_pkey_free, last);
  bool reused_early = false, freed_after = false;
  {
    ReclaimerHeld held;
    int32_t ret = 0;
    char arg[16] = {};
    EXPECT_EQ(sdrad_call(131, (int32_t(*)())(void *)touch_large_heap_then_crash, arg, sizeof(arg), &ret), 131);
    long k = syscall(SYS_pkey_alloc, 0, 0);
    reused_early = k >= 0;
    if (k >= 0) syscall(SYS_pkey_free, k);
  }
  long k = syscall(SYS_pkey_alloc, 0, 0);
  freed_after = k >= 0;
  if (k >= 0) syscall(SYS_pkey_free, k);
  for (int t : taken) syscall(SYS_pkey_free, t);
  EXPECT_FALSE(reused_early) << "the destroyed domain's key was free while its old slot was in flight";
  EXPECT_TRUE(freed_after) << "the key was never given back after the slot was emptied";
}

namespace {
struct Marks {
  int r;
  size_t n;
  uintptr_t at[16];
};
constexpr size_t kMarkOffset = 512 * 1024;  // past the header and the first pages a spare has
}  // namespace

// A spare slot waits for its key's next large discard: under PKU it waits
// under the root key, so a running instance of that key (the very run
// that is about to fault, or another thread's) cannot leave data in it
// for the instance that will start from it.
TEST(Fault, ASpareWaitsUnderAKeyItsDomainCannotWrite) {
  if (!pku()) GTEST_SKIP() << "needs protection keys (backend is " << sdrad_backend_name() << ")";
  int64_t h = domain("fault.spare");
  {
    InDomain<B> warm(h);
    ASSERT_EQ(warm.run([](B *) {}), 0);
  }
  ASSERT_TRUE(ReclaimerHeld::drained());
  {
    InDomain<B> d(h);
    ASSERT_EQ(d.run(touch_large_heap_then_abort), SDRAD_FAULT_ABORT);  // the key now wants spares
  }
  int key = sdrad::thread_state()->inst[h]->key;
  InDomain<Marks> m(h);
  for (int i = 0; i < 300 && !(m.b->n = sdrad::spare_heaps(key, m.b->at, 16)); ++i) usleep(10 * 1000);
  ASSERT_GT(m.b->n, 0u) << "the reclaimer made no spare for the key";
  int32_t st = m.run([](Marks *b) {
    for (size_t i = 0; i < b->n; ++i) *(volatile char *)(b->at[i] + kMarkOffset) = 0x5a;
  });
  EXPECT_EQ(st, SDRAD_FAULT_KEY_VIOLATION) << "the domain wrote into a spare of its own key";
  uintptr_t at[16];
  size_t n = sdrad::spare_heaps(key, at, 16);
  for (size_t i = 0; i < n; ++i) EXPECT_EQ(*(volatile char *)(at[i] + kMarkOffset), 0) << "spare " << i;
  // The next large discard takes a spare, and the run after it works there.
  {
    InDomain<B> d(h);
    ASSERT_EQ(d.run(touch_large_heap_then_abort), SDRAD_FAULT_ABORT);
  }
  InDomain<B> e(h);
  ASSERT_EQ(e.run(new_run_sees_only_zeros), 0);
  EXPECT_EQ(e.b->r, 0);
  EXPECT_GT(sdrad::reclaim_stats().spare_hits, 0u);
}

// An old slot keeps the instance's key until it is emptied, and the next
// run of an integrity domain starts at once: it may write anywhere in the
// old slot, past what the failed run touched.  A slot that becomes a
// spare is emptied whole, so none of that reaches a later run.
TEST(Fault, AnOldSlotIsEmptiedWholeBeforeItBecomesASpare) {
  int64_t h = domain("fault.oldwhole");
  {
    InDomain<B> warm(h);
    ASSERT_EQ(warm.run([](B *) {}), 0);
  }
  ASSERT_TRUE(ReclaimerHeld::drained());
  char *old_heap = (char *)sdrad::thread_state()->inst[h]->heap_lo;
  constexpr size_t kPast = 8u << 20;  // the failed run touches 1 MiB and a bit
  {
    ReclaimerHeld held;
    {
      InDomain<B> d(h);
      ASSERT_EQ(d.run(touch_large_heap_then_abort), SDRAD_FAULT_ABORT);
    }
    ASSERT_EQ(sdrad::reclaim_stats().in_flight, 1) << "the old slot waits for the held reclaimer";
    InDomain<B> e(h);
    e.b->p = old_heap + kPast;
    ASSERT_EQ(e.run([](B *b) { *(volatile char *)b->p = 0x5a; }), 0);  // still its key
  }
  ASSERT_TRUE(ReclaimerHeld::drained());
  EXPECT_EQ(*(volatile char *)(old_heap + kPast), 0) << "the next run's write survived in the emptied old slot";
}
