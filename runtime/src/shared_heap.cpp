// Shared allocations: while a root thread has them on
// (sdrad_shared_allocations(1)), its malloc & co. are served from a heap in
// key-0 memory that every domain may read and write.  For library state
// created in root and used (locked, updated) inside domains: libxml2's
// mutexes, for example (docs/libraries.md).  Root frees such blocks with
// free() as usual; a domain may not free them (foreign free).
//
// The heap's header is key-0 memory a domain can write: before each use it
// must still describe the heap's region (as for domain heaps), so a forged
// header cannot make root allocate outside the region.
#include <stdlib.h>
#include <sys/mman.h>

#include "internal.h"

namespace sdrad {

std::atomic<int> g_shared_alloc_threads{0};

namespace {

std::atomic<int> g_lock{0};
Heap *g_heap;
uintptr_t g_base, g_size;

struct Lock : SpinGuard {
  Lock() : SpinGuard(g_lock) {}
};

// Under the lock.  nullptr if it cannot be mapped or was forged.
Heap *heap_locked() {
  if (!g_heap) {
    size_t size = (size_t)64 << 20;
    if (const char *v = getenv("SDRAD_SHARED_HEAP_SIZE")) {
      unsigned long long n = strtoull(v, nullptr, 10);
      if (n >= (1 << 20)) size = align_up(n, kPage);
    }
    void *p = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED) return nullptr;
    g_base = (uintptr_t)p;
    g_size = size;
    g_heap = heap_create(p, size);
  }
  if (!heap_bounds_ok(g_heap, g_base, g_base + g_size)) {
    say("fatal: the shared heap's header was overwritten (by a domain)");
    __builtin_abort();
  }
  return g_heap;
}

}  // namespace

bool shared_heap_contains(const void *p) { return g_size && (uintptr_t)p - g_base < g_size; }

// Is the calling (root) thread allocating shared memory now?
bool shared_alloc_on() {
  ThreadState *ts = thread_state_if_any();
  return ts && ts->depth == 0 && ts->shared_alloc;
}

void *shared_malloc(size_t n) {
  Lock l;
  Heap *h = heap_locked();
  return h ? heap_malloc(h, n) : nullptr;
}

void *shared_memalign(size_t align, size_t n) {
  Lock l;
  Heap *h = heap_locked();
  return h ? heap_memalign(h, align, n) : nullptr;
}

void shared_free(void *p) {
  Lock l;
  if (Heap *h = heap_locked()) heap_free(h, p);
}

void *shared_realloc(void *p, size_t n) {
  Lock l;
  Heap *h = heap_locked();
  return h ? heap_realloc(h, p, n) : nullptr;
}

size_t shared_usable_size(const void *p) {
  Lock l;
  Heap *h = heap_locked();
  return h ? heap_usable_size(h, p) : 0;
}

}  // namespace sdrad

using namespace sdrad;

extern "C" SDRAD_HIDDEN int sdrad_impl_shared_allocations(int on) {
  ensure_initialized();
  ThreadState *ts = thread_state();
  if (!ts) return -1;
  if (calling_instance(ts)) gate_refuse(ts, "sdrad_shared_allocations", nullptr);
  int was = ts->shared_alloc ? 1 : 0;
  bool now = on != 0;
  if (now != (bool)was) {
    ts->shared_alloc = now;
    g_shared_alloc_threads.fetch_add(now ? 1 : -1);
  }
  return was;
}
