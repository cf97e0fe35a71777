// malloc & co. for the whole program.  Inside a domain they are served from
// the current instance's heap (t_heap), with the domain's own rights and no
// lock; outside, from the root heap under a lock.  A free of memory the
// caller does not own is refused: in a domain it is a fault (the domain is
// rewound), in root it is reported and ignored.
#include <errno.h>
#include <pthread.h>
#include <new>
#include <string.h>

#include "internal.h"
#include "root_alloc.h"

using namespace sdrad;

namespace sdrad {
extern std::atomic<int> g_file_opening;            // file_record.cpp
void file_record_alloc(const void *p, size_t n);  // file_record.cpp
}  // namespace sdrad

namespace {

struct RootLock {
  RootLock() { root_lock(); }
  ~RootLock() { root_unlock(); }
};

inline Heap *root() {
  ensure_initialized();
  return root_heap();
}

bool in_root_heap(const void *p) {
  return (uintptr_t)p - g_shared.root_heap_base < g_shared.root_heap_size;
}

[[noreturn]] void domain_foreign_free() { sdrad_soft_fault_gate(SDRAD_FAULT_FOREIGN_FREE); }

// Root code handing us a pointer we did not allocate from the root heap.
void root_refuse(const char *what, const void *p) {
  say("%s(%p) refused: the pointer is not from the root heap%s", what, p,
      in_slot_region(p) ? " (it belongs to a domain)" : "");
}

// --- root allocation ------------------------------------------------------
// Requests up to small::kMax bytes are served by the calling thread's heap
// of size-class pages (root_alloc.h) without a lock; larger and aligned
// ones by the boundary-tag heap under the lock.  The thread's heap is
// reached through its validated ThreadState (runtime memory): a pointer in
// TLS could be aimed by a domain at a forged heap.

inline RootCache *root_cache() {
  if (__builtin_expect(!g_shared.initialized, 0)) return nullptr;
  ThreadState *ts = thread_state();
  if (__builtin_expect(!ts, 0)) return nullptr;
  RootCache *c = ts->root_cache;
  if (__builtin_expect(!c, 0)) c = ts->root_cache = small::cache_create();
  return c;
}

void *root_malloc(size_t n) {
  if (__builtin_expect(n <= small::kMax, 1)) {
    if (RootCache *c = root_cache())
      if (void *p = small::pop(c, small::class_of(n))) return p;
  }
  Heap *r = root();
  RootLock lock;
  return heap_malloc(r, n);
}

// The thread's heap for a free: never created here (a thread that is
// exiting frees its last blocks after its heap was flushed; those go back
// to their pages as another thread's frees do).
inline RootCache *root_cache_if_any() {
  ThreadState *ts = thread_state_if_any();
  return ts ? ts->root_cache : nullptr;
}

void root_free(void *p) {
  if (small::owns(p)) return small::push(root_cache_if_any(), p);
  RootLock lock;
  heap_free(root_heap(), p);
}

void *root_memalign(size_t align, size_t n) {
  if (align <= 16) return root_malloc(n);
  // Objects of a class whose size is a multiple of `align` are aligned
  // (pages are 64 KiB-aligned): a class of 2^j to 2^(j+1) bytes is a
  // multiple of 2^(j-2), so a size rounded up to `align` often is one.
  if (align <= 256 && n <= small::kMax) {
    size_t m = align_up(n ? n : 1, align);
    int k = small::class_of(m);
    if (m <= small::kMax && small::class_size(k) % align == 0)
      if (RootCache *c = root_cache())
        if (void *p = small::pop(c, k)) return p;
  }
  Heap *r = root();
  RootLock lock;
  return heap_memalign(r, align, n);
}

void *root_realloc(void *p, size_t n) {
  if (!small::owns(p)) {
    RootLock lock;
    return heap_realloc(root_heap(), p, n);
  }
  size_t old = small::usable_size(p);
  if (n <= old && small::class_of(n) == small::class_of(old)) return p;
  void *q = root_malloc(n);
  if (!q) return nullptr;
  memcpy(q, p, n < old ? n : old);
  root_free(p);
  return q;
}

size_t root_usable_size(const void *p) {
  if (small::owns(p)) return small::usable_size(p);
  RootLock lock;
  return heap_usable_size(root_heap(), p);
}

// The heap of the domain running on this thread, or nullptr for root.
// Under PKU, root rights (root code, or runtime code elevated in a gate or
// a handler) always mean the root heap: t_heap is TLS that a domain on any
// thread can overwrite, and must never steer root's allocations.
inline Heap *domain_heap() {
  Heap *h = t_heap;
  if (h && g_shared.pku && rdpkru_raw() == 0) return nullptr;
  return h;
}

void *do_malloc(size_t n) {
  if (Heap *h = domain_heap()) return heap_malloc(h, n);
  if (shared_mode()) return shared_malloc(n);
  void *p = root_malloc(n);
  // A root thread inside fopen & co.: the FILE it opens is one of its
  // blocks (file_record.cpp, the stream-list walk meanwhile).
  if (__builtin_expect(g_file_opening.load(std::memory_order_relaxed) != 0, 0)) file_record_alloc(p, n);
  return p;
}

void do_free(void *p, const char *what) {
  if (!p) return;
  if (Heap *h = domain_heap()) {
    if (!heap_contains(h, p)) domain_foreign_free();
    heap_free(h, p);
    return;
  }
  if (!in_root_heap(p)) {
    if (shared_heap_contains(p)) return shared_free(p);
    root_refuse(what, p);
    return;
  }
  root_free(p);
}

void *do_memalign(size_t align, size_t n) {
  if (Heap *h = domain_heap()) return heap_memalign(h, align, n);
  if (shared_mode()) return shared_memalign(align, n);
  return root_memalign(align, n);
}

}  // namespace

namespace sdrad {

void malloc_install_hooks() { small::area_init(); }

}  // namespace sdrad

extern "C" {

SDRAD_EXPORT void *malloc(size_t n) { return do_malloc(n); }

SDRAD_EXPORT void free(void *p) { do_free(p, "free"); }

SDRAD_EXPORT void *calloc(size_t n, size_t m) {
  size_t total;
  if (__builtin_mul_overflow(n, m, &total)) {
    errno = ENOMEM;
    return nullptr;
  }
  void *p = do_malloc(total);
  // Fresh top memory is already zero, but reused chunks are not.
  if (p) memset(p, 0, total);
  return p;
}

SDRAD_EXPORT void *realloc(void *p, size_t n) {
  if (!p) return do_malloc(n);
  if (n == 0) {
    do_free(p, "realloc");
    return nullptr;
  }
  if (Heap *h = domain_heap()) {
    if (!heap_contains(h, p)) domain_foreign_free();
    return heap_realloc(h, p, n);
  }
  if (!in_root_heap(p)) {
    if (shared_heap_contains(p)) return shared_realloc(p, n);
    root_refuse("realloc", p);
    errno = EINVAL;
    return nullptr;
  }
  return root_realloc(p, n);
}

SDRAD_EXPORT void *reallocarray(void *p, size_t n, size_t m) {
  size_t total;
  if (__builtin_mul_overflow(n, m, &total)) {
    errno = ENOMEM;
    return nullptr;
  }
  return realloc(p, total);
}

SDRAD_EXPORT int posix_memalign(void **out, size_t align, size_t n) {
  if (align < sizeof(void *) || (align & (align - 1))) return EINVAL;
  void *p = do_memalign(align, n);
  if (!p) return ENOMEM;
  *out = p;
  return 0;
}

SDRAD_EXPORT void *aligned_alloc(size_t align, size_t n) {
  if (align == 0 || (align & (align - 1))) {
    errno = EINVAL;
    return nullptr;
  }
  return do_memalign(align, n);
}

SDRAD_EXPORT void *memalign(size_t align, size_t n) { return aligned_alloc(align, n); }
SDRAD_EXPORT void *valloc(size_t n) { return do_memalign(kPage, n); }
SDRAD_EXPORT void *pvalloc(size_t n) { return do_memalign(kPage, align_up(n ? n : 1, kPage)); }

SDRAD_EXPORT size_t malloc_usable_size(void *p) {
  if (!p) return 0;
  if (Heap *h = domain_heap()) {
    if (!heap_contains(h, p)) domain_foreign_free();
    return heap_usable_size(h, p);
  }
  if (!in_root_heap(p)) return shared_heap_contains(p) ? shared_usable_size(p) : 0;
  return root_usable_size(p);
}

}  // extern "C"

// C++ allocation goes through the same heaps.  At a domain's heap limit,
// the std::bad_alloc object comes from the heap's reserve (heap.h).
[[noreturn]] static void throw_bad_alloc() {
  if (domain_heap()) heap_use_reserve();
  throw std::bad_alloc();
}
SDRAD_EXPORT void *operator new(size_t n) {
  void *p = do_malloc(n ? n : 1);
  if (!p) throw_bad_alloc();
  return p;
}
SDRAD_EXPORT void *operator new[](size_t n) { return operator new(n); }
SDRAD_EXPORT void *operator new(size_t n, const std::nothrow_t &) noexcept { return do_malloc(n ? n : 1); }
SDRAD_EXPORT void *operator new[](size_t n, const std::nothrow_t &) noexcept { return do_malloc(n ? n : 1); }
SDRAD_EXPORT void *operator new(size_t n, std::align_val_t a) {
  void *p = do_memalign((size_t)a, n ? n : 1);
  if (!p) throw_bad_alloc();
  return p;
}
SDRAD_EXPORT void *operator new[](size_t n, std::align_val_t a) { return operator new(n, a); }
SDRAD_EXPORT void *operator new(size_t n, std::align_val_t a, const std::nothrow_t &) noexcept {
  return do_memalign((size_t)a, n ? n : 1);
}
SDRAD_EXPORT void *operator new[](size_t n, std::align_val_t a, const std::nothrow_t &) noexcept {
  return do_memalign((size_t)a, n ? n : 1);
}
SDRAD_EXPORT void operator delete(void *p) noexcept { do_free(p, "operator delete"); }
SDRAD_EXPORT void operator delete[](void *p) noexcept { do_free(p, "operator delete[]"); }
SDRAD_EXPORT void operator delete(void *p, size_t) noexcept { do_free(p, "operator delete"); }
SDRAD_EXPORT void operator delete[](void *p, size_t) noexcept { do_free(p, "operator delete[]"); }
SDRAD_EXPORT void operator delete(void *p, std::align_val_t) noexcept { do_free(p, "operator delete"); }
SDRAD_EXPORT void operator delete[](void *p, std::align_val_t) noexcept { do_free(p, "operator delete[]"); }
SDRAD_EXPORT void operator delete(void *p, size_t, std::align_val_t) noexcept { do_free(p, "operator delete"); }
SDRAD_EXPORT void operator delete[](void *p, size_t, std::align_val_t) noexcept { do_free(p, "operator delete[]"); }
SDRAD_EXPORT void operator delete(void *p, const std::nothrow_t &) noexcept { do_free(p, "operator delete"); }
SDRAD_EXPORT void operator delete[](void *p, const std::nothrow_t &) noexcept { do_free(p, "operator delete[]"); }
