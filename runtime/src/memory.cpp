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
#include <time.h>
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
// The move takes a spare: an empty slot with the instance's key, its heap
// header written and the pages a new run first touches faulted in -- so
// the fault path makes no system call at all: it only queues the old slot,
// and never wakes the reclaimer (a futex wake there cost a median 63 us on
// a loaded machine, more than everything else on the path).  The reclaimer
// polls instead: every kPollMinMs until a second passed without work, then
// backing off to kPollMaxMs.
//
// Spares are made ahead of time: a key whose instance once discarded a
// large heap wants kSparesMin of them, twice as many after each discard
// that found none (up to kSparesMax).  The reclaimer keeps them ready, from
// emptied old slots (no mmap: the steady state of a domain that keeps
// faulting) or, when the key has none, or fewer than wanted counting its
// queued old slots, by mapping a fresh slot -- also between the steps of
// emptying a large old slot, so a burst of faults does not wait for a
// gigabyte's madvise.  An emptied slot beyond the wanted spares is
// unmapped.  A slot is never handed out before it was emptied.
//
// Memory bound: at most kMaxInFlight old slots are queued or being
// emptied, holding at most kMaxInFlightBytes of touched pages (or one slot
// of any size), plus kSpares spares (three pages each).  A discard beyond
// that, or without a reclaimer, empties its old slot itself (one mmap over
// the slot: the kernel frees the pages there and then, as before spares
// existed); without a spare it maps a fresh slot itself (six system
// calls).  Nothing grows beyond these bounds however far the reclaimer is
// behind.
//
// An old slot in flight holds its protection key (key_hold): a domain
// destroyed meanwhile cannot have the key handed to another domain, which
// would then reach the failed run's memory, before the slot is emptied.
//
// Nothing here may start a thread or allocate: it runs on the rewind path,
// in signal context.  The reclaimer is started from instance creation
// (reclaimer_start, normal context); without it, a large heap's slot is
// unmapped synchronously.
constexpr size_t kStackInitial = 16 * 1024;  // committed at creation and after a discard
constexpr size_t kStackGrowth = 64 * 1024;   // committed below a growth fault

struct OldSlot {
  const Instance *owner;      // its next run waits for the slot to be empty
  int slot, key;
  uintptr_t stack_committed;  // the stack is mapped from here up
  size_t touched;             // heap bytes the failed run may have written
  uintptr_t args_dirty;       // the argument area was used below this
};
std::atomic<int> g_reclaim_lock{0};
constexpr int kMaxInFlight = 8;         // old slots queued or being emptied
constexpr size_t kMaxInFlightBytes = (size_t)1 << 30;  // their touched bytes, unless only one is in flight
OldSlot g_reclaim[kMaxInFlight];        // the queue (under g_reclaim_lock)
int g_reclaim_count;
std::atomic<int> g_in_flight{0};        // queued + the one being emptied
std::atomic<size_t> g_in_flight_bytes{0};
std::atomic<uint32_t> g_reclaim_seq{0};  // futex word: the reclaimer's timed wait
std::atomic<bool> g_reclaimer_running{false};
std::atomic<int> g_reclaimer_starting{0};
std::atomic<bool> g_reclaimer_held{false};  // tests: the reclaimer leaves the queue alone
std::atomic<const Instance *> g_reclaiming_owner{nullptr};  // owner of the slot the reclaimer empties
// The reclaimer's poll: every kPollMinMs until kHotPolls polls in a row
// found nothing to do (a second), then backing off to kPollMaxMs.
constexpr int kPollMinMs = 1, kPollMaxMs = 64, kHotPolls = 1000;
std::atomic<uint64_t> g_spare_hits, g_spare_misses, g_sync_empties, g_reclaim_waits;

struct ReclaimLock : SpinGuard {
  ReclaimLock() : SpinGuard(g_reclaim_lock) {}
};

// A spare waits under the root key (under PKU): no instance, not even one
// of the key it is meant for, can write into it before it is handed over.
// spare_take (the rewind path) makes no system call: the spare stays
// kSpareHanded to its new instance, which spare_retag gives the instance's
// key on its next entry (instance_pkru's slow path).
enum : int { kSpareEmpty = 0, kSpareBusy = 1, kSpareReady = 2, kSpareHanded = 3 };
struct Spare {
  std::atomic<int> state{kSpareEmpty};
  OldSlot s;  // s.owner: the instance it was handed to (kSpareHanded)
  Heap *heap;
};
constexpr int kSpares = 16;
// Spares wanted per key (index key + 1: -1 is the unprotected backend's
// key): 0 until an instance with that key discards a large heap, then
// kSparesMin, doubled (up to kSparesMax) by every discard that found none.
constexpr int kKeySlots = 17;
constexpr int kSparesMin = 2, kSparesMax = 8;
std::atomic<uint8_t> g_spare_target[kKeySlots];
Spare g_spares[kSpares];
inline std::atomic<uint8_t> &spare_target(int key) { return g_spare_target[(unsigned)(key + 1) % kKeySlots]; }

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
// lock at most for reading, and only for one step.  between() runs after
// each step (the reclaimer: a spare a burst of faults used up).
constexpr size_t kDropStep = 8u << 20;  // at most ~0.5 ms per step (2048 touched pages)
template <class F>
void drop_pages(uintptr_t lo, uintptr_t hi, F between) {
  for (uintptr_t a = lo; a < hi; a += kDropStep) {
    madvise((void *)a, hi - a < kDropStep ? hi - a : kDropStep, MADV_DONTNEED);
    between();
  }
}
void drop_pages(uintptr_t lo, uintptr_t hi) {
  drop_pages(lo, hi, [] {});
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

int spares_ready(int key) {
  int ready = 0;
  for (Spare &sp : g_spares)
    ready += sp.state.load(std::memory_order_acquire) == kSpareReady && sp.s.key == key;
  return ready;
}

Spare *spare_claim_empty() {
  for (Spare &c : g_spares) {
    int empty = kSpareEmpty;
    if (c.state.compare_exchange_strong(empty, kSpareBusy)) return &c;
  }
  return nullptr;
}

// The key a spare of `key` waits under (see Spare).
int waiting_key(int key) { return g_shared.pku ? g_shared.root_key : key; }

// Gives an empty slot's mapped parts (heap, committed stack, argument area)
// `key`; false if the kernel refused.
bool tag_slot(int slot, uintptr_t stack_committed, int key) {
  Instance tmp{};
  slot_assign(&tmp, slot, false);
  constexpr int rw = PROT_READ | PROT_WRITE;
  return tag_memory((void *)tmp.heap_lo, tmp.heap_hi - tmp.heap_lo, rw, key) == 0 &&
         tag_memory((void *)stack_committed, tmp.stack_hi - stack_committed, rw, key) == 0 &&
         tag_memory((void *)tmp.arena_lo, tmp.arena_hi - tmp.arena_lo, rw, key) == 0;
}

// Writes a fresh heap header into an empty slot and faults in the pages a
// new run touches first (the header's, the canary's, the argument area's),
// then publishes it as a spare of `key`.  The reclaimer's PKRU is 0
// (inherited from the runtime code that started it: root or a gate), so
// it may write the slot whatever its key.
void spare_publish(Spare *sp, int slot, int key, uintptr_t stack_committed) {
  Instance tmp{};
  slot_assign(&tmp, slot, false);
  sp->heap = heap_create((void *)tmp.heap_lo, tmp.heap_hi - tmp.heap_lo);  // touches the header page
  *(volatile uint64_t *)(tmp.stack_hi - 16) = 0;                            // the canary's page
  *(volatile uint64_t *)tmp.arena_lo = 0;
  sp->s = {nullptr, slot, key, stack_committed, 0, tmp.arena_lo};
  sp->state.store(kSpareReady, std::memory_order_release);
}

// Reclaimer: a spare of `key` in a fresh slot (mmap, pkey_mprotect), under
// the root key; false if no slot or spare entry is free.
bool spare_map_fresh(int key) {
  Spare *sp = spare_claim_empty();
  if (!sp) return false;
  int slot = slot_alloc();
  if (slot < 0) {
    sp->state.store(kSpareEmpty, std::memory_order_release);
    return false;
  }
  Instance tmp{};
  slot_assign(&tmp, slot, false);
  int wk = waiting_key(key);
  if (!map_fresh(tmp.heap_lo, tmp.heap_hi - tmp.heap_lo, wk) ||
      !map_fresh(tmp.stack_committed, kStackInitial, wk) || !map_fresh(tmp.arena_lo, tmp.arena_hi - tmp.arena_lo, wk)) {
    unmap_slot(slot, 0);
    sp->state.store(kSpareEmpty, std::memory_order_release);
    spare_target(key).store(0, std::memory_order_relaxed);
    return false;
  }
  spare_publish(sp, slot, key, tmp.stack_committed);
  return true;
}

int queued_of_key(int key) {
  ReclaimLock lock;
  int n = 0;
  for (int i = 0; i < g_reclaim_count; ++i) n += g_reclaim[i].key == key;
  return n;
}

// Reclaimer: a fresh spare for every wanted key that has none ready (or,
// with `all`, fewer than its target, counting its queued old slots, which
// become spares once emptied).  True if it made one.
bool spares_refill(bool all) {
  bool made = false;
  for (int i = 0; i < kKeySlots; ++i) {
    int target = g_spare_target[i].load(std::memory_order_relaxed);
    if (!target) continue;
    int key = i - 1, ready = spares_ready(key);
    while (ready < target && (ready == 0 || (all && ready + queued_of_key(key) < target)) && spare_map_fresh(key)) {
      made = true;
      ++ready;
    }
  }
  return made;
}

// Empties an old slot and keeps it as a spare of its key if fewer than
// the key's target are ready, else unmaps it.  In the reclaimer (`refill`),
// a key left without spares gets a fresh one between the steps of a large
// slot's madvise.  A slot kept as a spare is emptied whole, not only what
// its failed run touched: until now it carried the instance's key, so the
// instance's next run (or another instance of the key) may have written
// anywhere in it.  Then it waits under the root key.
void reclaim_one(const OldSlot &old, bool refill) {
  Spare *sp = spares_ready(old.key) < spare_target(old.key).load(std::memory_order_relaxed) ? spare_claim_empty() : nullptr;
  if (!sp) {
    unmap_slot(old.slot, old.touched);
    return;
  }
  Instance tmp{};
  slot_assign(&tmp, old.slot, false);
  uintptr_t touched_hi = align_up(tmp.heap_lo + old.touched, kPage);
  if (touched_hi > tmp.heap_hi) touched_hi = tmp.heap_hi;
  drop_pages(tmp.heap_lo, touched_hi, [refill] {
    if (refill) spares_refill(false);
  });
  if (touched_hi < tmp.heap_hi) madvise((void *)touched_hi, tmp.heap_hi - touched_hi, MADV_DONTNEED);
  drop_pages(old.stack_committed, tmp.stack_hi);
  madvise((void *)tmp.arena_lo, tmp.arena_hi - tmp.arena_lo, MADV_DONTNEED);
  if (g_shared.pku && !tag_slot(old.slot, old.stack_committed, waiting_key(old.key))) {
    sp->state.store(kSpareEmpty, std::memory_order_release);
    unmap_slot(old.slot, 0);
    return;
  }
  spare_publish(sp, old.slot, old.key, old.stack_committed);
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
    if (g_shared.pku) {
      // Still root-keyed: the next entry gives it the key (spare_retag).
      sp.s.owner = in;
      in->pkru_gen = in->dom->grants_gen - 1;
      sp.state.store(kSpareHanded, std::memory_order_release);
    } else {
      sp.state.store(kSpareEmpty, std::memory_order_release);
    }
    return true;
  }
  return false;
}

// Takes the first queued old slot (owned by `owner` if given) off the
// queue; the reclaimer also names it as the one being emptied.
bool reclaim_pop(OldSlot *out, const Instance *owner, bool reclaimer) {
  ReclaimLock lock;
  for (int i = 0; i < g_reclaim_count; ++i) {
    if (owner && g_reclaim[i].owner != owner) continue;
    *out = g_reclaim[i];
    memmove(g_reclaim + i, g_reclaim + i + 1, sizeof(OldSlot) * (--g_reclaim_count - i));
    if (reclaimer) g_reclaiming_owner.store(out->owner, std::memory_order_relaxed);
    return true;
  }
  return false;
}

// Empties a popped old slot (a spare or unmapped) and ends its time in flight.
void reclaim_finish(const OldSlot &old, bool reclaimer) {
  reclaim_one(old, reclaimer);
  key_release(old.key);
  g_in_flight_bytes.fetch_sub(old.touched, std::memory_order_relaxed);
  g_in_flight.fetch_sub(1, std::memory_order_release);
}

void *reclaimer(void *) {
  sigset_t all;
  sigfillset(&all);
  pthread_sigmask(SIG_BLOCK, &all, nullptr);
  // It must not preempt a thread that is returning an error value:
  // SCHED_BATCH threads never preempt on wake-up, and still get a fair
  // share of the CPU (SCHED_IDLE would starve under load and leave every
  // fault without a spare).
  struct sched_param prio {};
  sched_setscheduler(0, SCHED_BATCH, &prio);
  int wait_ms = kPollMinMs, idle_polls = kHotPolls;  // idle until the first work
  for (;;) {
    bool worked = spares_refill(false);  // a key without spares first: cheap, and faults are waiting for it
    OldSlot old;
    while (!g_reclaimer_held.load(std::memory_order_acquire) && reclaim_pop(&old, nullptr, true)) {
      reclaim_finish(old, true);
      g_reclaiming_owner.store(nullptr, std::memory_order_release);
      worked = true;
    }
    worked |= spares_refill(true);
    idle_polls = worked ? 0 : idle_polls + 1;
    wait_ms = idle_polls < kHotPolls ? kPollMinMs : wait_ms * 2 > kPollMaxMs ? kPollMaxMs : wait_ms * 2;
    struct timespec ts = {wait_ms / 1000, (long)(wait_ms % 1000) * 1000000};
    syscall(SYS_futex, &g_reclaim_seq, FUTEX_WAIT_PRIVATE, g_reclaim_seq.load(), &ts, nullptr, 0);
  }
  return nullptr;
}

// Queues an old slot; false (the caller empties it now) if the reclaimer
// is not running or kMaxInFlight old slots are in flight.  No system call:
// the reclaimer finds it on its next poll.
bool defer_reclaim(const OldSlot &old) {
  if (!g_reclaimer_running.load(std::memory_order_acquire)) return false;
  int n = g_in_flight.load(std::memory_order_relaxed);
  do {
    if (n >= kMaxInFlight) return false;
    if (n > 0 && g_in_flight_bytes.load(std::memory_order_relaxed) + old.touched > kMaxInFlightBytes) return false;
  } while (!g_in_flight.compare_exchange_weak(n, n + 1, std::memory_order_acq_rel));
  g_in_flight_bytes.fetch_add(old.touched, std::memory_order_relaxed);
  key_hold(old.key);  // released once the slot is empty (reclaimer)
  ReclaimLock lock;
  g_reclaim[g_reclaim_count++] = old;
  return true;
}

// A forked child has the parent's memory but not its reclaimer thread (nor
// its spares' bookkeeping being consistent with a thread that no longer
// runs): large heaps are unmapped synchronously until an instance is
// created in the child.  The slot the parent's reclaimer was emptying
// stays allocated and unemptied in the child (its pages are the parent's,
// copy on write), and its owner does not wait for it there.
void reclaim_after_fork() {
  g_reclaiming_owner.store(nullptr);
  g_reclaimer_running.store(false);
  g_reclaimer_starting.store(0);
  g_reclaim_lock.store(0);  // the reclaimer may have held it: the queue is picked up by the child's own
  size_t bytes = 0;
  for (int i = 0; i < g_reclaim_count; ++i) bytes += g_reclaim[i].touched;
  g_in_flight.store(g_reclaim_count);
  g_in_flight_bytes.store(bytes);
  for (Spare &s : g_spares)
    if (s.state.load() == kSpareBusy) s.state.store(kSpareEmpty);  // the thread that was filling it is gone
}

// Whether `in`'s next run empties (or waits for) its old slot first:
// always where its key is what keeps it from the failed run's data (a
// confidentiality domain under PKU); otherwise only as back-pressure, once
// the reclaimer is behind (half the in-flight bound used), so that
// back-to-back faults do not end up emptying old slots on the rewind path.
bool old_slot_needs_wait(const Instance *in) {
  return (g_shared.pku && in->dom->policy == SDRAD_POLICY_CONFIDENTIALITY) ||
         g_in_flight.load(std::memory_order_relaxed) >= kMaxInFlight / 2;
}

// Gives `in` fresh memory in another slot and queues its old slot for
// reclamation; false (nothing changed) if no slot is available.
bool move_to_fresh_slot(Instance *in, size_t touched) {
  Instance old = *in;
  std::atomic<uint8_t> &target = spare_target(in->key);
  if (spare_take(in)) {
    g_spare_hits.fetch_add(1, std::memory_order_relaxed);
    if (!target.load(std::memory_order_relaxed)) target.store(kSparesMin, std::memory_order_relaxed);
  } else {
    g_spare_misses.fetch_add(1, std::memory_order_relaxed);
    int t = target.load(std::memory_order_relaxed);
    target.store(t == 0 ? kSparesMin : t * 2 > kSparesMax ? kSparesMax : t * 2, std::memory_order_relaxed);
    if (!instance_create_memory(in, in->dom)) {
      *in = old;
      return false;
    }
  }
  if (defer_reclaim({in, old.slot, old.key, old.stack_committed, touched, old.arena_dirty})) {
    // Until the old slot is empty, the instance's own key still opens it.
    // That matters only where the key is the only thing in the way: a
    // confidentiality domain under PKU.  Its next entry takes
    // instance_pkru's slow path, which waits for the slot (reclaim_wait).
    // An integrity domain may read all memory anyway, and the unprotected
    // backend stops no read: neither pays for a wait that hides nothing.
    if (old_slot_needs_wait(in)) in->pkru_gen = in->dom->grants_gen - 1;
  } else {
    g_sync_empties.fetch_add(1, std::memory_order_relaxed);
    unmap_slot(old.slot, 0);
  }
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

ReclaimStats reclaim_stats() {
  ReclaimStats st;
  st.in_flight = g_in_flight.load();
  st.spares_ready = 0;
  for (Spare &sp : g_spares) st.spares_ready += sp.state.load() == kSpareReady;
  st.spare_hits = g_spare_hits.load();
  st.spare_misses = g_spare_misses.load();
  st.sync_empties = g_sync_empties.load();
  st.emptied_by_next_run = g_reclaim_waits.load();
  return st;
}

// Before `in` runs again (instance_pkru_refresh, from push_frame): its old
// slots in flight carry its key, so they must be empty first.  One still
// queued is emptied here, by this thread; one the reclaimer is emptying is
// waited for.  Marked as runtime code: a timeout meanwhile is deferred
// (the watchdog retries), it must not rewind a frame being pushed.
void reclaim_wait(const Instance *in) {
  if (!g_in_flight.load(std::memory_order_acquire) || !old_slot_needs_wait(in)) return;
  uint8_t inside = t_runtime.inside;
  t_runtime.inside = 1;
  OldSlot old;
  while (reclaim_pop(&old, in, false)) {
    g_reclaim_waits.fetch_add(1, std::memory_order_relaxed);
    reclaim_finish(old, false);
  }
  while (g_reclaiming_owner.load(std::memory_order_acquire) == in) {
    struct timespec ts = {0, 20 * 1000};
    nanosleep(&ts, nullptr);
  }
  t_runtime.inside = inside;
}

// Before `in` runs again (instance_pkru_refresh): a spare handed to it on
// the rewind path gets its key (three pkey_mprotect calls, once per large
// discard).  The ranges are mapped, so only running out of kernel memory
// makes it fail: then the domain could not run on its own memory, which
// stops the process with a message.
void spare_retag(Instance *in) {
  for (Spare &sp : g_spares) {
    if (sp.state.load(std::memory_order_acquire) != kSpareHanded || sp.s.owner != in) continue;
    if (!tag_slot(in->slot, sp.s.stack_committed, in->key))
      fatal("a spare slot could not be given its domain's protection key (pkey_mprotect failed)");
    sp.state.store(kSpareEmpty, std::memory_order_release);
  }
}

// The instance's memory goes away before its next entry: a spare handed to
// it is no longer waiting for its key.
void spare_forget(const Instance *in) {
  for (Spare &sp : g_spares)
    if (sp.state.load(std::memory_order_acquire) == kSpareHanded && sp.s.owner == in)
      sp.state.store(kSpareEmpty, std::memory_order_release);
}

size_t spare_heaps(int key, uintptr_t *out, size_t cap) {
  size_t n = 0;
  for (Spare &sp : g_spares)
    if (n < cap && sp.state.load(std::memory_order_acquire) == kSpareReady && sp.s.key == key)
      out[n++] = slot_base(sp.s.slot) + slot_layout(false).heap_lo;
  return n;
}

void reclaimer_hold(bool held) { g_reclaimer_held.store(held, std::memory_order_release); }

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
  instance_release_resources(in);  // mappings and descriptors it made (domain_resources.cpp)
  if (in->slot < 0) return;
  spare_forget(in);
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
  SelectorAllowed allowed;  // the system calls below are the runtime's (confine.h)
  libc_write_revoke(in);  // a fresh run has not written libc's data
  instance_release_resources(in);  // mappings and descriptors it made (domain_resources.cpp)
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
