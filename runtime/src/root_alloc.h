// The root allocator's small-object front end (root_alloc.cpp): per-thread
// heaps of size-class pages in front of the boundary-tag root heap.
//
// The root heap's region is split in two: the lower half is the
// boundary-tag heap (heap.cpp, large blocks and aligned ones), the upper
// half the small-object area:
//   [Area header][Page descriptors, one per 64 KiB page][pages ...]
// A page holds objects of one size class and belongs to one thread's heap
// (RootCache).  Its owner allocates and frees without a lock; another
// thread's free is pushed onto the owner's lock-free remote list and taken
// back by the owner on its next slow path.  Everything here (area header,
// descriptors, per-thread heaps, the objects) is root-heap memory under the
// root key, and a thread's heap is reached only from its validated
// ThreadState (runtime memory), never from TLS.
#pragma once

#include <atomic>

#include "internal.h"

namespace sdrad {
namespace small {

constexpr unsigned kPageShift = 16;
constexpr size_t kPageSize = (size_t)1 << kPageShift;
constexpr size_t kMax = 8192;   // larger requests go to the boundary-tag heap
// 1..8: 16-byte steps to 128 bytes; 9..32: four per doubling to 8 KiB (at
// most 25 % rounding).  Few classes: each holds memory for its own
// objects only, so every class more is memory a program's other sizes
// cannot use (docs/performance.md, producer/consumer).
constexpr int kClasses = 33;

struct Page {
  void *free;         // local free list (owner only)
  uint32_t used;      // objects handed out and not yet back in `free`
  uint16_t cls;       // 0: not a small-object page (metadata, unused, released)
  uint16_t full;      // off its class list: no free object, no fresh space
  uintptr_t bump;     // next never-used object (below it: handed out or on `free`)
  uintptr_t end;      // end of the page's last whole object
  RootCache *owner;
  Page *next, *prev;  // the owner's circular list of pages with space, per class
  uint64_t unused;
};
static_assert(sizeof(Page) == 64, "descriptor size");

constexpr uint32_t class_size_of(int k) {
  return k <= 8 ? (uint32_t)k * 16 : (uint32_t)(4 + (k - 9) % 4 + 1) << (5 + (k - 9) / 4);
}
struct SizeTable {
  uint32_t size[kClasses];
  uint64_t recip[kClasses];  // 2^32 / size, rounded up: off / size = off * recip >> 32
  constexpr SizeTable() : size(), recip() {
    for (int k = 1; k < kClasses; ++k) {
      size[k] = class_size_of(k);
      recip[k] = 0xffffffffull / size[k] + 1;
    }
  }
};
inline constexpr SizeTable kSizes{};
static_assert(class_size_of(8) == 128 && class_size_of(9) == 160 && class_size_of(12) == 256 &&
                  class_size_of(13) == 320 && class_size_of(kClasses - 1) == kMax,
              "classes");
inline size_t class_size(int k) { return kSizes.size[k]; }
inline int class_of(size_t n) {
  if (n <= 128) return n ? (int)((n + 15) >> 4) : 1;
  size_t m = n - 1;
  int fl = 63 - __builtin_clzll(m);
  return 8 + (fl - 7) * 4 + (int)((m >> (fl - 2)) & 3) + 1;
}

// Bounds of the small-object area, from the runtime's read-only shared page.
inline uintptr_t area_lo() {
  return align_up(g_shared.root_heap_base + g_shared.root_heap_size / 2, kPageSize);
}
inline size_t area_pages() {
  uintptr_t lo = area_lo(), hi = g_shared.root_heap_base + g_shared.root_heap_size;
  size_t n = hi > lo ? (hi - lo) >> kPageShift : 0;
  return n >= 64 ? n : 0;  // a root heap under ~8 MiB: no small-object area
}
inline bool owns(const void *p) { return (uintptr_t)p - area_lo() < (area_pages() << kPageShift); }
inline Page *page_of(const void *p) {
  uintptr_t lo = area_lo();
  return (Page *)(lo + kPage) + (((uintptr_t)p - lo) >> kPageShift);
}
inline uintptr_t page_addr(const void *p) { return (uintptr_t)p & ~(kPageSize - 1); }
// A freed object carries this tag in its second word: a second free of it
// is reported instead of corrupting the lists.
inline uint64_t free_tag(const void *p) { return g_shared.canary_secret ^ (uintptr_t)p ^ 0x5a11ull; }

}  // namespace small

struct RootCache {  // one thread's heap (root heap memory)
  small::Page *cur[small::kClasses];    // the page allocated from, per class
  // Other pages with space, per class: a circular list, pages with freed
  // objects at the front, pages with only never-used space at the back.
  small::Page *avail[small::kClasses];
  // Written by other threads: a cache line of its own.
  alignas(64) std::atomic<void *> remote;  // objects other threads freed
  RootCache *next_abandoned;
  std::atomic<int> abandoned;           // its thread has exited (changed under the root lock)
  char pad[64 - sizeof(void *) * 2 - sizeof(int)];
};
static_assert(sizeof(RootCache) % 64 == 0, "whole cache lines");

namespace small {

void *malloc_slow(RootCache *c, int k);     // refills cur[k]; nullptr: area full
void free_slow(RootCache *c, Page *pg);      // a page left full or became empty
void free_abandoned(RootCache *o, void *p);  // into the heap of an exited thread
[[noreturn]] void bad_free(const void *p, const char *why);
RootCache *cache_create();                   // this thread's heap (adopted or new); nullptr: no area
void area_init();                            // caps the boundary-tag heap below the area
size_t usable_size(const void *p);           // validates p
size_t pages_in_use();                       // pages held by threads' heaps (tests)
uintptr_t huge_pages_from();                 // object pages from here on: huge pages, never given back (tests)

// Validates a pointer into the area handed to free/realloc: a live object
// of a small-object page.  Reports and aborts otherwise.
inline Page *checked_page(const void *p) {
  Page *pg = page_of(p);
  int k = pg->cls;
  uintptr_t off = (uintptr_t)p - page_addr(p);
  if (__builtin_expect(k == 0 || (uintptr_t)p >= pg->bump, 0)) bad_free(p, "invalid pointer");
  size_t s = class_size(k);
  // off % s without a division: s < 2^14 and off < 2^16, so the 32-bit
  // reciprocal is exact.
  uint64_t q = (off * kSizes.recip[k]) >> 32;
  if (__builtin_expect(q * s != off, 0)) bad_free(p, "invalid pointer");
  if (__builtin_expect(((const uint64_t *)p)[1] == free_tag(p), 0)) bad_free(p, "double free (or free of a never-allocated object)");
  return pg;
}

// Objects come only from a page's free list.  The slow path refills it:
// other threads' frees first, then a page of the class that has freed
// objects, and only then never-used memory, carved a few KiB at a time
// (root_alloc.cpp), so that a class touches fresh memory only when none
// of its freed objects is left.
inline void *pop(RootCache *c, int k) {
  Page *pg = c->cur[k];
  if (__builtin_expect(pg != nullptr, 1)) {
    void **p = (void **)pg->free;
    if (__builtin_expect(p != nullptr, 1)) {
      void *next = *p;
      // The list stays inside its page: a corrupted link is not followed.
      if (__builtin_expect(((uintptr_t)next ^ (uintptr_t)p) >> kPageShift, 0) && next)
        bad_free(p, "corrupted free list");
      pg->free = next;
      pg->used++;
      ((uint64_t *)p)[1] = 0;
      return p;
    }
  }
  return malloc_slow(c, k);
}

inline void push(RootCache *c, void *p) {
  Page *pg = checked_page(p);
  ((uint64_t *)p)[1] = free_tag(p);
  RootCache *o = pg->owner;
  if (__builtin_expect(o == c, 1)) {
    *(void **)p = pg->free;
    pg->free = p;
    if (__builtin_expect(--pg->used == 0 || pg->full, 0)) free_slow(c, pg);
    return;
  }
  // A heap whose thread has exited: straight back into its page.
  if (__builtin_expect(o->abandoned.load(std::memory_order_relaxed), 0)) return free_abandoned(o, p);
  // Another thread's page: its owner takes it back.
  void *head = o->remote.load(std::memory_order_relaxed);
  do *(void **)p = head;
  while (!o->remote.compare_exchange_weak(head, p, std::memory_order_release, std::memory_order_relaxed));
}

}  // namespace small
}  // namespace sdrad
