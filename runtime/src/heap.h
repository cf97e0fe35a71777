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
// Heap limit in bytes from the region base (0: the region).  Inline: every
// domain entry puts it back (the header is the domain's memory).
constexpr size_t kHeapCapOffset = 56;  // offsetof(Heap, cap), checked in heap.cpp
inline void heap_set_cap(Heap *h, size_t bytes) { *(size_t *)((char *)h + kHeapCapOffset) = bytes; }
uintptr_t heap_region_base(const Heap *h);
bool heap_check(Heap *h);                     // full consistency walk
void heap_trim_cache(Heap *h);                // front cache back into the heap
bool heap_bounds_ok(const Heap *h, uintptr_t lo, uintptr_t hi);  // header describes [lo, hi)
// Called by the allocator when it detects corruption or a bad free; does
// not return for domain heaps (the domain is rewound), aborts for root.
[[noreturn]] void heap_error(Heap *h, HeapError e, const void *p);

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
