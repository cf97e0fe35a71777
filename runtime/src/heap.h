// heap.h - the allocator behind domain heaps and the root heap (heap.cpp, malloc.cpp), shared allocations (shared_heap.cpp), guarded heap operations on a domain's heap
// Part of the runtime's internal headers (internal.h includes them all).
#pragma once

#include <setjmp.h>

#include "state.h"

namespace sdrad {

// --- heap (heap.cpp) ----------------------------------------------------
enum class HeapError { None, DoubleFree, InvalidPointer, Corrupted };
Heap *heap_create(void *base, size_t size);   // header lives at base
void *heap_malloc(Heap *h, size_t n);
void heap_free(Heap *h, void *p);
void *heap_realloc(Heap *h, void *p, size_t n);
void *heap_memalign(Heap *h, size_t align, size_t n);
size_t heap_usable_size(Heap *h, const void *p);
bool heap_contains(const Heap *h, const void *p);
size_t heap_in_use(const Heap *h);
size_t heap_high_water(const Heap *h);
size_t heap_touched(const Heap *h);           // bytes from base to top
void heap_set_cap(Heap *h, size_t bytes);     // root heap's limit (0: the region)
uintptr_t heap_first_chunk(uintptr_t base);   // where a heap at base hands out memory from
bool heap_check(Heap *h);                     // full consistency walk
void heap_trim_cache(Heap *h);                // front cache back into the heap
bool heap_bounds_ok(const Heap *h, uintptr_t lo, uintptr_t hi);  // header describes [lo, hi)
// Called by the allocator when it detects corruption or a bad free; does
// not return for domain heaps (the domain is rewound), aborts for root.
[[noreturn]] void heap_error(Heap *h, HeapError e, const void *p);

// --- discard of large heaps (memory.cpp) --------------------------------
struct ReclaimStats {
  int in_flight;          // old slots queued or being emptied (at most 4)
  int spares_ready;       // emptied slots ready for a discard
  uint64_t spare_hits;    // discards that took a spare (no system call)
  uint64_t spare_misses;  // discards that mapped a fresh slot themselves
  uint64_t sync_empties;  // old slots emptied on the rewind path (reclaimer behind or absent)
  uint64_t emptied_by_next_run;  // old slots the instance's next entry emptied itself
};
ReclaimStats reclaim_stats();
size_t spare_heaps(int key, uintptr_t *out, size_t cap);  // tests: the heaps of `key`'s ready spares
void reclaimer_hold(bool held);  // tests: the reclaimer leaves the queue alone while held
void spare_retag(Instance *in);       // before in runs again: a spare handed to it gets its key
void reclaim_wait(const Instance *in);  // before in runs again: its old slots emptied

// --- domain heap limits (heap_limit.cpp) ---------------------------------
// A domain heap (one in the slot region) grows only up to the end recorded for
// its slot in root-owned memory; its header holds no limit.
void heap_limit_init();                         // init_core
void heap_limit_install_hooks();                // start-up constructor
inline size_t heap_slot(const void *heap) { return ((uintptr_t)heap - g_shared.slots_base) >> g_shared.slot_shift; }
inline uintptr_t heap_limit_end(const void *heap) {  // a domain heap's (slot region) only
  return g_shared.heap_end_ro ? ((const volatile uintptr_t *)g_shared.heap_end_ro)[heap_slot(heap)] : 0;
}
void heap_limit_set_end(const void *heap, uintptr_t end);  // root only
void heap_limit_open(Instance *in);             // root: the instance's limit applies (state.h)
void heap_limit_changed(Domain *d);             // root: its instances open their limit again       // root: the instance's limit applies
// Beyond its limit a domain heap keeps a small reserve for the object of an
// exception thrown because an allocation failed at the limit (operator
// new's std::bad_alloc): libstdc++'s fallback, its emergency pool, is root
// memory a domain cannot write.  The table's end includes the reserve; the
// next allocation after heap_use_reserve() may use it.  (The flag is
// domain-writable TLS: a domain can gain at most the reserve.)
constexpr size_t kHeapReserve = 16 * 1024;
void heap_use_reserve();

Heap *root_heap();
void root_lock();
void root_unlock();

extern __thread jmp_buf *t_guard __attribute__((tls_model("initial-exec")));
extern __thread Heap *t_guard_heap __attribute__((tls_model("initial-exec")));
void discard_after_corruption(Instance *in);  // fault.cpp

// Runs fn() on in's heap; false if the heap reported corruption.
template <class F>
inline bool guarded(Instance *in, F fn) {
  // The header is in domain memory: it must describe this instance's
  // region, or its forged bounds could hand out root addresses.
  if (!heap_bounds_ok(in->heap, in->heap_lo, in->heap_hi)) {
    discard_after_corruption(in);
    return false;
  }
  heap_limit_open(in);
  jmp_buf jb;
  if (setjmp(jb)) {
    t_guard = nullptr;
    discard_after_corruption(in);
    return false;
  }
  t_guard = &jb;
  t_guard_heap = in->heap;
  fn();
  t_guard = nullptr;
  return true;
}

// --- shared allocations (shared_heap.cpp) -------------------------------
extern std::atomic<int> g_shared_alloc_threads;  // threads with them on
bool shared_alloc_on();
bool shared_heap_contains(const void *p);
void *shared_malloc(size_t n);
void *shared_memalign(size_t align, size_t n);
void shared_free(void *p);
void *shared_realloc(void *p, size_t n);
size_t shared_usable_size(const void *p);
inline bool shared_mode() {
  return __builtin_expect(g_shared_alloc_threads.load(std::memory_order_relaxed) != 0, 0) && shared_alloc_on();
}

}  // namespace sdrad
