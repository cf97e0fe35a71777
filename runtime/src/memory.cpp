// Domain memory: slots in one reserved slot region, each holding an instance's
// heap and stack between guard pages, tagged with the domain's key.
//
//   slot: see SlotLayout in shared_page.h
//
// Pages are committed lazily by the kernel, so a heap "grows on demand" up
// to heap_size without any call into the runtime.
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "internal.h"

namespace sdrad {

namespace {

std::atomic<uint64_t> g_slot_bits[kMaxSlots / 64];

int slot_alloc() {
  int limit = (int)g_shared.max_slots;
  for (int w = 0; w * 64 < limit; ++w) {
    uint64_t bits = g_slot_bits[w].load();
    while (~bits) {
      int b = __builtin_ctzll(~bits);
      if (w * 64 + b >= limit) break;
      if (g_slot_bits[w].compare_exchange_weak(bits, bits | (1ull << b))) return w * 64 + b;
    }
  }
  return -1;
}

void slot_free(int slot) { g_slot_bits[slot / 64].fetch_and(~(1ull << (slot % 64))); }

bool map_fresh(uintptr_t lo, size_t len, int key) {
  void *p = mmap((void *)lo, len, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_NORESERVE, -1, 0);
  if (p == MAP_FAILED) return false;
  return tag_memory(p, len, PROT_READ | PROT_WRITE, key) == 0;
}

// Empties [lo, lo+len): small ranges are cleared in place (cheaper than a
// page-table walk), large ones are given back to the kernel (reads as zero).
constexpr size_t kWipeInPlace = 128 * 1024;

void wipe(uintptr_t lo, size_t len) {
  if (len <= kWipeInPlace) memset((void *)lo, 0, len);
  else madvise((void *)lo, len, MADV_DONTNEED);
}

// --- deferred reclamation and spare slots ------------------------------
// Giving a large touched heap back to the kernel costs ~0.25 us per page,
// which would all land between the fault and the caller's error value.  So
// a discarded instance with a large heap moves to another slot, and a
// runtime thread (the reclaimer) empties the old one in the background.
// The move takes a spare: a slot the reclaimer has already emptied
// (MADV_DONTNEED: reads as zeros), with the instance's key, its heap header
// written and the pages a new run first touches faulted in -- so the fault
// path makes no system call but a futex wake.  An emptied slot becomes the
// next spare of its key (the steady state of a domain that keeps faulting
// needs no mmap at all, which would take the address-space lock for
// writing); beyond kSparesPerKey it is unmapped.  Without a ready spare the
// fault path maps a fresh slot itself (six system calls).  A slot is never
// handed out before it was emptied.
//
// Nothing here may start a thread or allocate: it runs on the rewind path,
// in signal context.  The reclaimer is started from instance creation
// (reclaimer_start, normal context); without it, a large heap's slot is
// unmapped synchronously.
constexpr size_t kStackInitial = 16 * 1024;  // committed at creation and after a discard
constexpr size_t kStackGrowth = 64 * 1024;   // committed below a growth fault

struct OldSlot {
  int slot, key;
  uintptr_t stack_committed;  // the stack is mapped from here up
  size_t touched;             // heap bytes the failed run may have written
  uintptr_t args_dirty;       // the argument area was used below this
};
std::atomic<int> g_reclaim_lock{0};
constexpr int kReclaimQueue = 8;   // at most this many old slots wait (their memory is still resident)
OldSlot g_reclaim[kReclaimQueue];
int g_reclaim_count;
std::atomic<uint32_t> g_reclaim_seq{0};  // futex word
std::atomic<bool> g_reclaimer_running{false};
std::atomic<bool> g_reclaimer_sleeping{false};
std::atomic<int> g_reclaimer_starting{0};

struct ReclaimLock : SpinGuard {
  ReclaimLock() : SpinGuard(g_reclaim_lock) {}
};

enum : int { kSpareEmpty = 0, kSpareBusy = 1, kSpareReady = 2 };
struct Spare {
  std::atomic<int> state{kSpareEmpty};
  OldSlot s;
  Heap *heap;
};
constexpr int kSpares = 4;
constexpr int kSparesPerKey = 2;
Spare g_spares[kSpares];

uintptr_t slot_base(int slot) { return g_shared.slots_base + ((uintptr_t)slot << g_shared.slot_shift); }

// Points in's fields at a slot's regions (execution domain or data domain).
void slot_assign(Instance *in, int slot, bool data_domain) {
  uintptr_t base = slot_base(slot);
  SlotLayout l = slot_layout(data_domain);
  in->slot = slot;
  in->base = base;
  in->heap_lo = base + l.heap_lo;
  in->heap_hi = base + l.heap_hi;
  if (data_domain) return;
  in->stack_lo = base + l.stack_lo;
  in->stack_hi = base + l.stack_hi;
  in->stack_committed = in->stack_hi - kStackInitial;
  in->arena_lo = in->arena_top = in->arena_dirty = base + l.args_lo;
  in->arena_hi = base + l.args_hi;
  in->arena_live = 0;
  in->fault_sp = 0;
}

// Drops [lo, hi)'s pages in steps: MADV_DONTNEED takes the address-space
// lock at most for reading, and only for one step.
void drop_pages(uintptr_t lo, uintptr_t hi) {
  constexpr size_t kStep = 8u << 20;  // at most ~0.5 ms per step (2048 touched pages)
  for (uintptr_t a = lo; a < hi; a += kStep) madvise((void *)a, hi - a < kStep ? hi - a : kStep, MADV_DONTNEED);
}

// The slot of a discarded execution-domain instance.  Root may still hold
// pointers into its heap (a handle to a parsed document, ...): the heap's
// range reads as zeros from now on, never a crash, until the slot is used
// again (docs/libraries.md; sdrad_domain_epoch tells such a handle is stale).
void unmap_slot(int slot, size_t touched) {
  uintptr_t base = slot_base(slot);
  SlotLayout l = slot_layout(false);
  if (touched) drop_pages(base + l.heap_lo, base + l.heap_lo + touched);
  mmap((void *)base, (size_t)1 << g_shared.slot_shift, PROT_NONE,
       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_NORESERVE, -1, 0);
  mmap((void *)(base + l.heap_lo), l.heap_hi - l.heap_lo, PROT_READ,
       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_NORESERVE, -1, 0);
  slot_free(slot);
}

// Reclaimer thread: empties an old slot and keeps it as a spare of its key
// if fewer than kSparesPerKey are ready, else unmaps it.  Its PKRU is 0
// (inherited from the runtime code that started it: root or a gate), so it
// may write the slot whatever its key.
void reclaim_one(const OldSlot &old) {
  int ready = 0;
  for (Spare &sp : g_spares)
    ready += sp.state.load(std::memory_order_acquire) == kSpareReady && sp.s.key == old.key;
  Spare *sp = nullptr;
  for (Spare &c : g_spares) {
    int empty = kSpareEmpty;
    if (ready < kSparesPerKey && c.state.compare_exchange_strong(empty, kSpareBusy)) {
      sp = &c;
      break;
    }
  }
  if (!sp) {
    unmap_slot(old.slot, old.touched);
    return;
  }
  Instance tmp{};
  slot_assign(&tmp, old.slot, false);
  drop_pages(tmp.heap_lo, tmp.heap_lo + old.touched);
  drop_pages(old.stack_committed, tmp.stack_hi);
  drop_pages(tmp.arena_lo, old.args_dirty);
  sp->heap = heap_create((void *)tmp.heap_lo, tmp.heap_hi - tmp.heap_lo);  // touches the header page
  *(volatile uint64_t *)(tmp.stack_hi - 16) = 0;                            // the canary's page
  *(volatile uint64_t *)tmp.arena_lo = 0;
  sp->s = old;
  sp->state.store(kSpareReady, std::memory_order_release);
}

// Out of slots: a spare goes back (its pages are gone already).
bool spare_release_one() {
  for (Spare &sp : g_spares) {
    int ready = kSpareReady;
    if (!sp.state.compare_exchange_strong(ready, kSpareBusy, std::memory_order_acquire)) continue;
    unmap_slot(sp.s.slot, 0);
    sp.state.store(kSpareEmpty, std::memory_order_release);
    return true;
  }
  return false;
}

// Fault path: moves `in` into a ready spare of its key; false if none.
bool spare_take(Instance *in) {
  for (Spare &sp : g_spares) {
    int ready = kSpareReady;
    if (sp.s.key != in->key || !sp.state.compare_exchange_strong(ready, kSpareBusy, std::memory_order_acquire))
      continue;
    if (sp.s.key != in->key) {  // changed between the two reads: put it back
      sp.state.store(kSpareReady, std::memory_order_release);
      continue;
    }
    slot_assign(in, sp.s.slot, false);
    in->stack_committed = sp.s.stack_committed;
    in->heap = sp.heap;
    in->limit_gen = 0;  // a fresh heap: closed until the next entry opens it (state.h)
    sp.state.store(kSpareEmpty, std::memory_order_release);
    return true;
  }
  return false;
}

void *reclaimer(void *) {
  sigset_t all;
  sigfillset(&all);
  pthread_sigmask(SIG_BLOCK, &all, nullptr);
  // Woken by a fault, it must not preempt the thread that is returning
  // the error value: SCHED_BATCH threads never preempt on wake-up, and
  // still get a fair share of the CPU (SCHED_IDLE would starve under load
  // and leave every fault without a spare).
  struct sched_param prio {};
  sched_setscheduler(0, SCHED_BATCH, &prio);
  for (;;) {
    uint32_t seq = g_reclaim_seq.load();
    OldSlot todo[kReclaimQueue];
    int n;
    {
      ReclaimLock lock;
      n = g_reclaim_count;
      memcpy(todo, g_reclaim, sizeof(OldSlot) * n);
      g_reclaim_count = 0;
    }
    for (int i = 0; i < n; ++i) reclaim_one(todo[i]);
    if (n == 0) {
      g_reclaimer_sleeping.store(true);  // before the wait re-checks seq: a later entry wakes it
      syscall(SYS_futex, &g_reclaim_seq, FUTEX_WAIT_PRIVATE, seq, nullptr, nullptr, 0);
      g_reclaimer_sleeping.store(false);
    }
  }
  return nullptr;
}

// Queues an old slot; false (the caller unmaps it now) if the reclaimer is
// not running or is behind.
bool defer_reclaim(const OldSlot &old) {
  if (!g_reclaimer_running.load(std::memory_order_acquire)) return false;
  {
    ReclaimLock lock;
    if (g_reclaim_count == kReclaimQueue) return false;
    g_reclaim[g_reclaim_count++] = old;
  }
  g_reclaim_seq.fetch_add(1);
  // A busy reclaimer sees the new entry on its next round: no system call.
  if (g_reclaimer_sleeping.load()) syscall(SYS_futex, &g_reclaim_seq, FUTEX_WAKE_PRIVATE, 1, nullptr, nullptr, 0);
  return true;
}

// A forked child has the parent's memory but not its reclaimer thread (nor
// its spares' bookkeeping being consistent with a thread that no longer
// runs): large heaps are unmapped synchronously until an instance is
// created in the child.
void reclaim_after_fork() {
  g_reclaimer_running.store(false);
  g_reclaimer_starting.store(0);
  g_reclaim_lock.store(0);  // the reclaimer may have held it: the queue is picked up by the child's own
  for (Spare &s : g_spares)
    if (s.state.load() == kSpareBusy) s.state.store(kSpareEmpty);  // the thread that was filling it is gone
}

// Gives `in` fresh memory in another slot and queues its old slot for
// reclamation; false (nothing changed) if no slot is available.
bool move_to_fresh_slot(Instance *in, size_t touched) {
  Instance old = *in;
  if (!spare_take(in) && !instance_create_memory(in, in->dom)) {
    *in = old;
    return false;
  }
  if (!defer_reclaim({old.slot, old.key, old.stack_committed, touched, old.arena_dirty})) unmap_slot(old.slot, 0);
  in->fault_sp = 0;
  return true;
}

// Makes [lo, hi) of a stack PROT_NONE again, dropping its pages.
void uncommit(uintptr_t lo, uintptr_t hi) {
  mmap((void *)lo, hi - lo, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_NORESERVE, -1, 0);
}

}  // namespace

// A forked child has no reclaimer thread: start one again when needed.
void memory_install_hooks() { pthread_atfork(nullptr, nullptr, reclaim_after_fork); }

// Starts the reclaimer thread once per process (and again in a forked
// child): from instance creation, a normal context, never from a rewind.
void reclaimer_start() {
  if (g_reclaimer_running.load(std::memory_order_acquire)) return;
  int idle = 0;
  if (!g_reclaimer_starting.compare_exchange_strong(idle, 1)) return;
  Heap *saved = t_heap;
  t_heap = nullptr;  // pthread_create allocates: from the root heap
  pthread_t t;
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  bool ok = pthread_create(&t, &attr, reclaimer, nullptr) == 0;
  pthread_attr_destroy(&attr);
  t_heap = saved;
  if (ok) g_reclaimer_running.store(true, std::memory_order_release);
  else g_reclaimer_starting.store(0);
}

bool instance_create_memory(Instance *in, const Domain *d) {
  int slot = slot_alloc();
  if (slot < 0 && spare_release_one()) slot = slot_alloc();
  if (slot < 0) return false;
  slot_assign(in, slot, d->is_data);
  if (!map_fresh(in->heap_lo, in->heap_hi - in->heap_lo, in->key) ||
      (!d->is_data && (!map_fresh(in->stack_committed, kStackInitial, in->key) ||
                       !map_fresh(in->arena_lo, in->arena_hi - in->arena_lo, in->key)))) {
    instance_free_memory(in);
    return false;
  }
  in->heap = heap_create((void *)in->heap_lo, in->heap_hi - in->heap_lo);
  in->limit_gen = 0;  // closed until the first entry opens it (state.h)
  return true;
}

// The domain's high-water mark takes in an instance's heap when the
// instance is wiped or unmapped (stats add the caller's live instance).
void note_high_water(Instance *in) {
  if (!in->heap) return;
  uint64_t hw = heap_high_water(in->heap);
  uint64_t cur = in->dom->high_water.load(std::memory_order_relaxed);
  while (hw > cur && !in->dom->high_water.compare_exchange_weak(cur, hw)) {
  }
}

void instance_free_memory(Instance *in) {
  if (in->slot < 0) return;
  note_high_water(in);
  size_t len = (size_t)1 << g_shared.slot_shift;
  mmap((void *)in->base, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_NORESERVE, -1, 0);
  slot_free(in->slot);
  in->slot = -1;
  in->heap = nullptr;
  in->limit_gen = 0;
}

// After a fault nothing of the failed run may be seen by the next one: the
// heap is emptied and re-initialised, the argument arena and the stack
// cleared.  The part of the stack near the fault is cleared in place (it
// is hot and small); below it the pages go back to the kernel, which is
// cheap when the failed run never used them.  The top of the stack, with
// the canary, stays mapped.
void instance_discard(Instance *in) {
  if (!in->heap) return;
  note_high_water(in);
  in->n_copies = 0;  // every copy of the failed run is gone
  // The header is domain memory: how much was touched is believed only if
  // it describes this instance's region; otherwise all of it is wiped.
  size_t touched = heap_bounds_ok(in->heap, in->heap_lo, in->heap_hi) ? heap_touched(in->heap)
                                                                       : in->heap_hi - in->heap_lo;
  if (touched > kWipeInPlace && in->stack_hi && move_to_fresh_slot(in, touched)) {
    stack_canary_place(in);
    return;  // everything of the failed run is in the old slot, reclaimed later
  }
  wipe(in->heap_lo, touched);
  in->heap = heap_create((void *)in->heap_lo, in->heap_hi - in->heap_lo);
  in->limit_gen = 0;  // heap_create closed its limit (state.h)
  if (in->arena_lo) {
    wipe(in->arena_lo, in->arena_dirty - in->arena_lo);
    in->arena_top = in->arena_dirty = in->arena_lo;
    in->arena_live = 0;
  }
  if (in->stack_hi) {
    // The committed part is all the failed run can have written: clear it
    // in place (16 KiB unless the run went deeper); a deeper stack is
    // given back and starts small again.
    uintptr_t init_lo = in->stack_hi - kStackInitial;
    if (in->stack_committed < init_lo) {
      uncommit(in->stack_lo, init_lo);
      in->stack_committed = init_lo;
    }
    memset((void *)init_lo, 0, in->stack_hi - init_lo);  // canary placed again below
    in->fault_sp = 0;
  }
  stack_canary_place(in);
}

// A fault in the not-yet-committed part of a domain stack is growth, not
// a domain fault: commit down to a little below the address and retry.
bool instance_grow_stack(Instance *in, uintptr_t addr) {
  if (!in->stack_hi || addr < in->stack_lo || addr >= in->stack_committed) return false;
  uintptr_t lo = (addr & ~(kPage - 1));
  lo = lo > in->stack_lo + kStackGrowth ? lo - kStackGrowth : in->stack_lo;
  if (!map_fresh(lo, in->stack_committed - lo, in->key)) return false;
  in->stack_committed = lo;
  return true;
}


}  // namespace sdrad
