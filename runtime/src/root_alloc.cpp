// The root allocator's small-object area: pages handed to threads' heaps,
// their slow paths, and what happens at thread exit (see root_alloc.h).
// Everything that needs the area-wide state runs under the root heap's
// lock (which fork handling already takes); the per-thread fast paths are
// inline in root_alloc.h.
#include <string.h>
#include <sys/mman.h>
#include <stdlib.h>

#include <new>

#include "confine.h"
#include "root_alloc.h"

namespace sdrad {
namespace small {

namespace {

// Object pages below this many bytes of the area get no huge pages.
constexpr size_t kSmallHeap = (size_t)8 << 20;
constexpr uint64_t kAreaMagic = 0x53445261536d6c6cull;  // "SDRaSmll"
// Empty pages kept resident for reuse (1.5 MiB); the others go back to
// the kernel.  A trade of time for memory: on producer/consumer, where
// pages empty and are taken again all the time, each page given back
// costs ~60 us (the system call, its TLB shootdown and 16 page faults to
// use it again).  Medians of 8 alternating runs, 2 pairs (1 pair), time
// and peak / glibc: 16 pages 1.11x (0.89x) and 1.04x (1.06x); 20: 1.02x
// (0.86x) and 1.03x (1.07x); 24: 0.96x (0.80x) and 1.05x (1.07x); 8 was
// slower than glibc (docs/performance.md, section 3, "Session 11").
constexpr size_t kWarmPages = 24;

struct Area {  // at area_lo(), root key
  uint64_t magic;
  size_t first_page;     // pages below it hold this header and the descriptors
  size_t next_fresh;     // never-used pages start here
  Page *free_pages;      // released pages given back to the kernel (linked through Page::next)
  RootCache *abandoned;  // heaps of exited threads, adopted by new ones
  Page *warm;            // released pages still resident, at most kWarmPages
  size_t warm_count;     // written under the root lock, read without it
  uintptr_t thp_from;    // object pages from here on have huge pages
};

inline Area *area() { return (Area *)area_lo(); }
inline uintptr_t page_base(const Page *pg) {
  return area_lo() + (((uintptr_t)pg - (area_lo() + kPage)) / sizeof(Page) << kPageShift);
}

// Under the root lock.  The boundary-tag heap is capped below the area.
Area *area_locked() {
  Area *a = area();
  if (__builtin_expect(a->magic == kAreaMagic, 1)) return a;
  size_t n = area_pages();
  size_t meta = kPage + n * sizeof(Page);
  a->first_page = (meta + kPageSize - 1) >> kPageShift;
  a->next_fresh = a->first_page;
  a->free_pages = nullptr;
  a->abandoned = nullptr;
  a->warm = nullptr;
  a->warm_count = 0;
  a->magic = kAreaMagic;
  heap_set_cap(root_heap(), area_lo() - g_shared.root_heap_base);
  // Transparent huge pages for the object pages past the first
  // kSmallHeap bytes (not the descriptors, of which a program touches
  // little): far fewer TLB misses in programs with large heaps.  Pages are
  // handed out in address order, so a program whose heap stays small never
  // touches a huge page, and a larger one has at most one partly used huge
  // page more resident.  SDRAD_ROOT_HEAP_THP=0: off.
  const char *thp = getenv("SDRAD_ROOT_HEAP_THP");
  uintptr_t end = area_lo() + (n << kPageShift);
  a->thp_from = end;
  if (!thp || strcmp(thp, "0") != 0) {
    uintptr_t objects = area_lo() + (a->first_page << kPageShift);
    uintptr_t hp = align_up(objects + kSmallHeap, (uintptr_t)2 << 20);
    if (hp < end) {
      madvise((void *)hp, end - hp, MADV_HUGEPAGE);
      a->thp_from = hp;
    }
  }
  return a;
}

// A page for class k of heap c, or nullptr when the area is full.
Page *page_get(RootCache *c, int k) {
  root_lock();
  Area *a = area_locked();
  Page *pg = a->warm;
  if (pg) {
    a->warm = pg->next;
    __atomic_store_n(&a->warm_count, a->warm_count - 1, __ATOMIC_RELAXED);
  } else if ((pg = a->free_pages)) {
    a->free_pages = pg->next;
  } else if (a->next_fresh < area_pages()) {
    pg = (Page *)(area_lo() + kPage) + a->next_fresh++;
  }
  root_unlock();
  if (!pg) return nullptr;
  uintptr_t base = page_base(pg);
  size_t s = class_size(k);
  pg->free = nullptr;
  pg->used = 0;
  pg->full = 0;
  pg->bump = base;
  pg->end = base + (kPageSize / s) * s;
  pg->owner = c;
  pg->next = pg->prev = nullptr;
  pg->cls = (uint16_t)k;
  return pg;
}

// Gives an empty page's memory back to the kernel: the next class to use
// it touches only what it carves.  Without this, a page that some class
// once filled stays resident for good, and as pages empty and are taken
// again by other classes and threads, ever more of them are wholly
// resident (docs/performance.md, section 3, "Session 11").
// Not for pages in the huge-page part of the area: that would split the
// huge pages that make large heaps fast, and a heap that large has a
// larger peak than the 64 KiB steps this saves.
void page_drop(const Page *pg) {
  uintptr_t base = page_base(pg), top = align_up(pg->bump, (uintptr_t)4096);
  if (top <= base || base >= area()->thp_from) return;
  SelectorAllowed allow;  // may run in a gate with a confined domain's selector on "block"
  madvise((void *)base, top - base, MADV_DONTNEED);
}

// An empty page back to the area: one of the kWarmPages kept resident (a
// page that empties and is taken again soon costs no system call and no
// page faults), or given back (page_drop) onto the cold list.  dropped:
// page_drop was already done, outside the lock.
void page_release_locked(Page *pg, bool dropped) {
  Area *a = area_locked();
  bool warm = !dropped && a->warm_count < kWarmPages;
  if (!warm && !dropped) page_drop(pg);
  pg->cls = 0;
  pg->owner = nullptr;
  pg->free = nullptr;
  pg->bump = pg->end = 0;
  Page *&list = warm ? a->warm : a->free_pages;
  pg->next = list;
  list = pg;
  if (warm) __atomic_store_n(&a->warm_count, a->warm_count + 1, __ATOMIC_RELAXED);
}

void page_release(Page *pg) {
  // The system call outside the root lock when the warm pages are all
  // there (read without the lock: at worst one page more or less is kept).
  bool drop = __atomic_load_n(&area()->warm_count, __ATOMIC_RELAXED) >= kWarmPages;
  if (drop) page_drop(pg);
  root_lock();
  page_release_locked(pg, drop);
  root_unlock();
}

// c->avail[k] is circular; the front is c->avail[k] itself.
void list_insert(RootCache *c, Page *pg, bool front) {
  Page *&head = c->avail[pg->cls];
  if (!head) {
    pg->next = pg->prev = pg;
    head = pg;
    return;
  }
  pg->next = head;
  pg->prev = head->prev;
  head->prev->next = pg;
  head->prev = pg;
  if (front) head = pg;
}
void list_add(RootCache *c, Page *pg) { list_insert(c, pg, pg->free != nullptr); }

void list_remove(RootCache *c, Page *pg) {
  Page *&head = c->avail[pg->cls];
  if (pg->next == pg) {
    head = nullptr;
  } else {
    pg->prev->next = pg->next;
    pg->next->prev = pg->prev;
    if (head == pg) head = pg->next;
  }
  pg->next = pg->prev = nullptr;
}

bool has_room(const Page *pg, size_t s) { return pg->bump + s <= pg->end; }

// Carves never-used objects of pg onto its free list, up to the next 4 KiB
// boundary (at least one object): fresh memory is touched a little at a
// time.  Carved objects carry the freed tag, as freed ones do.
void carve(Page *pg, size_t s) {
  uintptr_t b = pg->bump;
  uintptr_t stop = align_up(b + s, (uintptr_t)4096);
  if (stop > pg->end) stop = pg->end;
  void **link = (void **)&pg->free;  // empty: only called when it is
  for (; b + s <= stop; b += s) {
    *link = (void *)b;
    link = (void **)b;
    ((uint64_t *)b)[1] = free_tag((void *)b);
  }
  *link = nullptr;
  pg->bump = b;
}

// Takes back the objects other threads freed into c's pages.
void collect_remote(RootCache *c) {
  if (!c->remote.load(std::memory_order_relaxed)) return;
  void *p = c->remote.exchange(nullptr, std::memory_order_acquire);
  while (p) {
    void *next = *(void **)p;
    if (next && !owns(next)) bad_free(p, "corrupted remote free list");
    Page *pg = page_of(p);
    if (pg->owner != c || pg->cls == 0) bad_free(p, "corrupted remote free list");
    *(void **)p = pg->free;
    pg->free = p;
    if (--pg->used == 0 || pg->full) free_slow(c, pg);
    p = next;
  }
}

}  // namespace

// cur[k] has no free object left.  Refill, in this order: objects other
// threads freed; a page of the class with freed objects; never-used
// memory of the current page, of a page with only never-used space, of a
// new page.
void *malloc_slow(RootCache *c, int k) {
  collect_remote(c);
  Page *cur = c->cur[k];
  if (cur && cur->free) return pop(c, k);
  size_t s = class_size(k);
  bool room = cur && has_room(cur, s);
  Page *next = c->avail[k];
  if (next && (next->free || !room)) {
    list_remove(c, next);
  } else if (room) {
    carve(cur, s);
    return pop(c, k);
  } else {
    next = page_get(c, k);
    if (!next) return nullptr;
  }
  if (cur) {
    if (room) list_insert(c, cur, false);
    else cur->full = 1;  // off the lists until one of its objects comes back
  }
  c->cur[k] = next;
  if (!next->free) carve(next, s);
  return pop(c, k);
}

// pg (owned by c) just got an object back and is either full (back onto
// its list) or now empty (released unless it is the current page).
namespace {
void free_slow(RootCache *c, Page *pg, bool locked) {
  int k = pg->cls;
  if (pg->full) {
    pg->full = 0;
    if (pg != c->cur[k]) list_add(c, pg);
  }
  if (pg->used == 0 && pg != c->cur[k]) {
    list_remove(c, pg);
    if (locked) page_release_locked(pg, false);
    else page_release(pg);
  }
}
}  // namespace

void free_slow(RootCache *c, Page *pg) { free_slow(c, pg, false); }

// Nobody allocates from an abandoned heap: under the root lock (which its
// adoption takes too) a free goes straight into its page, and a page that
// becomes empty goes back to the area at once.
void free_abandoned(RootCache *o, void *p) {
  root_lock();
  if (!o->abandoned.load(std::memory_order_relaxed)) {  // adopted meanwhile
    root_unlock();
    void *head = o->remote.load(std::memory_order_relaxed);
    do *(void **)p = head;
    while (!o->remote.compare_exchange_weak(head, p, std::memory_order_release, std::memory_order_relaxed));
    return;
  }
  Page *pg = page_of(p);
  *(void **)p = pg->free;
  pg->free = p;
  if (--pg->used == 0 || pg->full) free_slow(o, pg, true);
  root_unlock();
}

[[noreturn]] void bad_free(const void *p, const char *why) {
  say("fatal: %s at %p in the root heap", why, p);
  __builtin_abort();
}

void area_init() {
  if (!area_pages()) return;
  root_lock();
  area_locked();
  root_unlock();
}

RootCache *cache_create() {
  if (!area_pages()) return nullptr;
  root_lock();
  Area *a = area_locked();
  RootCache *c = a->abandoned;
  if (c) {
    a->abandoned = c->next_abandoned;
    c->next_abandoned = nullptr;
    c->abandoned.store(0, std::memory_order_relaxed);
  } else {
    c = (RootCache *)heap_memalign(root_heap(), 64, sizeof(RootCache));
    if (c) {
      memset((void *)c, 0, sizeof(*c));
      new (&c->remote) std::atomic<void *>(nullptr);
      new (&c->abandoned) std::atomic<int>(0);
    }
  }
  root_unlock();
  return c;
}

size_t pages_in_use() {
  if (!area_pages()) return 0;
  root_lock();
  Area *a = area_locked();
  size_t n = a->next_fresh - a->first_page;
  for (Page *pg = a->free_pages; pg; pg = pg->next) --n;
  for (Page *pg = a->warm; pg; pg = pg->next) --n;
  root_unlock();
  return n;
}

uintptr_t huge_pages_from() {
  if (!area_pages()) return 0;
  root_lock();
  uintptr_t from = area_locked()->thp_from;
  root_unlock();
  return from;
}

size_t usable_size(const void *p) { return class_size(checked_page(p)->cls); }

}  // namespace small

// At thread exit: the thread's empty pages go back to the area; the heap,
// with its pages that still hold live objects, waits for the next new
// thread, which adopts it (other threads' frees into it keep arriving on
// its remote list meanwhile).
void root_cache_flush(ThreadState *ts) {
  RootCache *c = ts->root_cache;
  if (!c) return;
  ts->root_cache = nullptr;
  small::collect_remote(c);
  for (int k = 1; k < small::kClasses; ++k) {
    small::Page *pg = c->cur[k];
    if (!pg) continue;
    c->cur[k] = nullptr;
    if (pg->used == 0) small::page_release(pg);
    else if (pg->free || pg->bump < pg->end) small::list_add(c, pg);
    else pg->full = 1;
  }
  root_lock();
  small::Area *a = small::area_locked();
  c->next_abandoned = a->abandoned;
  a->abandoned = c;
  c->abandoned.store(1, std::memory_order_relaxed);
  root_unlock();
  // Frees that raced with the above are on the remote list: take them now
  // (under the lock, as for any free into an abandoned heap).
  if (c->remote.load(std::memory_order_relaxed)) {
    void *p = c->remote.exchange(nullptr, std::memory_order_acquire);
    while (p) {
      void *next = *(void **)p;
      small::free_abandoned(c, p);
      p = next;
    }
  }
}

}  // namespace sdrad
