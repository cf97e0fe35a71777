// A boundary-tag allocator with segregated free lists (TLSF-like bins).
//
// All of its state lives inside the region it manages, so a domain that
// corrupts its heap corrupts only its own memory.  Every pointer it follows
// is checked against the region before use: corrupted metadata is reported
// through heap_error() instead of being trusted.
//
// Layout: [Heap header][chunk][chunk]...[top: untouched wilderness .. limit)
// Chunk:  prev_size (valid when the previous chunk is free) | head (size |
// flags) | payload.  Free chunks keep fd/bk links in the payload and their
// size in the next chunk's prev_size.
#include <string.h>
#include <errno.h>

#include "internal.h"

namespace sdrad {

namespace {

constexpr uint64_t kHeapMagic = 0x5344526144486561ull;  // "SDRaDHea"
constexpr size_t kHdr = 16;           // chunk header
constexpr size_t kMinChunk = 32;
constexpr size_t kInUse = 1;
constexpr size_t kPrevInUse = 2;
constexpr size_t kFlags = 15;
constexpr int kSmallBins = 64;        // exact classes of 16 bytes below 1024
constexpr int kLargeFirstLog = 10;
constexpr int kSubBins = 4;
constexpr int kBins = kSmallBins + (48 - kLargeFirstLog) * kSubBins;
constexpr int kScanLimit = 32;        // chunks tried in the request's own bin
constexpr int kCacheClasses = 64;     // front cache: chunk sizes 32 .. 1040
constexpr int kCacheDepth = 32;       // chunks per size

struct Chunk {
  size_t prev_size;
  size_t head;
  Chunk *fd;
  Chunk *bk;
};

inline size_t csize(const Chunk *c) { return c->head & ~kFlags; }
inline Chunk *chunk_of(const void *p) { return (Chunk *)((uintptr_t)p - kHdr); }
inline void *payload(Chunk *c) { return (void *)((uintptr_t)c + kHdr); }
inline Chunk *next_chunk(Chunk *c) { return (Chunk *)((uintptr_t)c + csize(c)); }

int bin_index(size_t size) {
  if (size < 1024) return (int)(size >> 4);
  int fl = 63 - __builtin_clzll(size);
  if (fl > 47) fl = 47;
  int sl = (int)((size >> (fl - 2)) & (kSubBins - 1));
  return kSmallBins + (fl - kLargeFirstLog) * kSubBins + sl;
}

}  // namespace

struct Heap {
  uint64_t magic;
  uintptr_t first;      // first chunk
  uintptr_t top;        // wilderness start
  uintptr_t limit;      // end of the region
  uintptr_t region;     // region base (header address)
  size_t in_use;
  size_t high_water;
  size_t cap;           // heap limit in bytes from region (0: the region)
  uint64_t bitmap[(kBins + 63) / 64];
  Chunk *bins[kBins];
  // Front cache: freed chunks of the small sizes, kept in use (boundary
  // tags untouched) on per-size LIFO lists and handed out again first.
  uint8_t cached[kCacheClasses];
  Chunk *cache[kCacheClasses];
};

namespace {

inline bool in_chunks(const Heap *h, const void *p) {
  uintptr_t a = (uintptr_t)p;
  return a >= h->first && a < h->top && (a & 15) == 0;
}

}  // namespace

bool heap_bounds_ok(const Heap *h, uintptr_t lo, uintptr_t hi) {
  return (uintptr_t)h == lo && h->magic == kHeapMagic && h->region == lo && h->limit == hi &&
         h->first == align_up(lo + sizeof(Heap), 16) && h->top >= h->first && h->top <= hi;
}

namespace {

void check_header(Heap *h) {
  if (h->magic != kHeapMagic || h->first != align_up(h->region + sizeof(Heap), 16) ||
      h->top < h->first || h->top > h->limit)
    heap_error(h, HeapError::Corrupted, nullptr);
}

// A free chunk must be inside the heap, sized sanely, and not in use.
void check_free_chunk(Heap *h, Chunk *c) {
  if (!in_chunks(h, c)) heap_error(h, HeapError::Corrupted, c);
  size_t s = csize(c);
  if (s < kMinChunk || (s & 15) || (uintptr_t)c + s > h->top || (c->head & kInUse))
    heap_error(h, HeapError::Corrupted, c);
}

void bin_insert(Heap *h, Chunk *c) {
  int b = bin_index(csize(c));
  Chunk *head = h->bins[b];
  c->fd = head;
  c->bk = nullptr;
  if (head) head->bk = c;
  h->bins[b] = c;
  h->bitmap[b / 64] |= 1ull << (b % 64);
}

void bin_unlink(Heap *h, Chunk *c) {
  int b = bin_index(csize(c));
  Chunk *fd = c->fd, *bk = c->bk;
  // Safe unlinking: neighbours must point back at c.
  if (fd && (!in_chunks(h, fd) || fd->bk != c)) heap_error(h, HeapError::Corrupted, c);
  if (bk) {
    if (!in_chunks(h, bk) || bk->fd != c) heap_error(h, HeapError::Corrupted, c);
    bk->fd = fd;
  } else {
    if (h->bins[b] != c) heap_error(h, HeapError::Corrupted, c);
    h->bins[b] = fd;
    if (!fd) h->bitmap[b / 64] &= ~(1ull << (b % 64));
  }
  if (fd) fd->bk = bk;
}

// Marks c (size s) in use and fixes the next chunk's PREV_INUSE.
void set_in_use(Heap *h, Chunk *c, size_t s) {
  c->head = s | kInUse | (c->head & kPrevInUse);
  uintptr_t n = (uintptr_t)c + s;
  if (n < h->top) ((Chunk *)n)->head |= kPrevInUse;
}

// Turns c into a free chunk of size s, linked in a bin.
void make_free(Heap *h, Chunk *c, size_t s) {
  c->head = s | (c->head & kPrevInUse);
  Chunk *n = (Chunk *)((uintptr_t)c + s);
  if ((uintptr_t)n < h->top) {
    n->prev_size = s;
    n->head &= ~kPrevInUse;
  }
  bin_insert(h, c);
}

// Splits the tail of in-use chunk c beyond `want` into a free chunk.
void split_tail(Heap *h, Chunk *c, size_t want) {
  size_t s = csize(c);
  if (s - want < kMinChunk) return;
  c->head = want | (c->head & (kInUse | kPrevInUse));
  Chunk *rest = (Chunk *)((uintptr_t)c + want);
  rest->head = (s - want) | kPrevInUse;
  Chunk *n = next_chunk(rest);
  if ((uintptr_t)n < h->top && !(n->head & kInUse)) {
    // merge with a following free chunk
    check_free_chunk(h, n);
    bin_unlink(h, n);
    rest->head = (csize(rest) + csize(n)) | kPrevInUse;
  }
  if ((uintptr_t)rest + csize(rest) == h->top) {
    h->top = (uintptr_t)rest;
    return;
  }
  make_free(h, rest, csize(rest));
}

bool request_size(size_t n, size_t *out) {
  if (n > ((size_t)1 << 47)) return false;
  size_t s = align_up(n + kHdr, 16);
  *out = s < kMinChunk ? kMinChunk : s;
  return true;
}

// The end the heap may hand out memory up to.  A domain heap's is in
// root-owned memory (heap_limit.cpp; its header holds no limit), less the
// exception reserve unless heap_use_reserve() was just called.  The root
// heap's is its `cap`.
__thread bool t_use_reserve __attribute__((tls_model("initial-exec")));

inline uintptr_t top_end(const Heap *h) {
  if (in_slot_region(h)) {
    uintptr_t e = heap_limit_end(h);
    if (!t_use_reserve) e = e > kHeapReserve ? e - kHeapReserve : 0;
    return e < h->limit ? e : h->limit;
  }
  return h->cap && h->cap < h->limit - h->region ? h->region + h->cap : h->limit;
}

// Whether [c, c + s) is below that end: free chunks above it (a limit
// lowered while the heap held them, or forged ones) are not handed out.
inline bool below_end(const Heap *h, const Chunk *c, size_t s) {
  uintptr_t e = top_end(h);
  return (uintptr_t)c <= e && e - (uintptr_t)c >= s;
}

Chunk *take_from_bins(Heap *h, size_t s) {
  int b = bin_index(s);
  // First fit within the request's own bin.
  int tries = 0;
  for (Chunk *c = h->bins[b]; c && tries < kScanLimit; c = c->fd, ++tries) {
    check_free_chunk(h, c);
    if (csize(c) >= s && below_end(h, c, csize(c))) {
      bin_unlink(h, c);
      return c;
    }
  }
  // Any chunk of a larger bin fits.
  for (int i = b + 1; i < kBins; ) {
    uint64_t word = h->bitmap[i / 64] >> (i % 64);
    if (!word) {
      i = (i / 64 + 1) * 64;
      continue;
    }
    i += __builtin_ctzll(word);
    if (i >= kBins) break;
    Chunk *c = h->bins[i];
    check_free_chunk(h, c);
    if (!below_end(h, c, csize(c))) return nullptr;  // beyond the limit: the allocation fails
    bin_unlink(h, c);
    return c;
  }
  return nullptr;
}

Chunk *take_from_top(Heap *h, size_t s) {
  if (top_end(h) < h->top || top_end(h) - h->top < s) {
    if (h->cap && h == root_heap())
      log_line("root heap: its large-block half (%zu bytes, SDRAD_ROOT_HEAP_SIZE / 2) is full: an allocation of %zu bytes fails", (size_t)(top_end(h) - h->region), s);
    else if (in_slot_region(h))
      log_line("domain heap limit of %zu bytes reached: an allocation of %zu bytes fails", (size_t)(top_end(h) - (uintptr_t)h), s);
    return nullptr;
  }
  Chunk *c = (Chunk *)h->top;
  h->top += s;
  c->head = s | kInUse | kPrevInUse;  // the chunk below top is always in use
  return c;
}

void account_alloc(Heap *h, size_t s) {
  h->in_use += s;
  if (h->in_use > h->high_water) h->high_water = h->in_use;
}

inline int cache_class(size_t chunk) { return (int)(chunk >> 4) - 2; }
inline uint64_t cache_tag(const void *p) { return g_shared.canary_secret ^ (uintptr_t)p ^ 0xcac4e; }

// Validates a pointer handed back by the program.
Chunk *checked_chunk(Heap *h, const void *p) {
  Chunk *c = chunk_of(p);
  if (!in_chunks(h, c)) heap_error(h, HeapError::InvalidPointer, p);
  size_t s = csize(c);
  if (s < kMinChunk || (s & 15) || (uintptr_t)c + s > h->top)
    heap_error(h, HeapError::Corrupted, p);
  if (!(c->head & kInUse)) heap_error(h, HeapError::DoubleFree, p);
  if (s <= kCacheClasses * 16 + 16 && ((const uint64_t *)p)[1] == cache_tag(p))
    heap_error(h, HeapError::DoubleFree, p);  // in the front cache
  return c;
}

}  // namespace

Heap *heap_create(void *base, size_t size) {
  Heap *h = (Heap *)base;
  memset(h, 0, sizeof(Heap));
  h->magic = kHeapMagic;
  h->region = (uintptr_t)base;
  h->first = align_up((uintptr_t)base + sizeof(Heap), 16);
  h->top = h->first;
  h->limit = (uintptr_t)base + size;
  // A domain heap hands out nothing until root opens it (heap_limit_open).
  if (in_slot_region(h)) heap_limit_set_end(h, h->first);
  return h;
}

namespace {

void *malloc_core(Heap *h, size_t n) {
  size_t s;
  if (!request_size(n, &s)) {
    errno = ENOMEM;
    return nullptr;
  }
  Chunk *c = take_from_bins(h, s);
  if (c) {
    set_in_use(h, c, csize(c));
    split_tail(h, c, s);
  } else {
    c = take_from_top(h, s);
    if (!c) {
      errno = ENOMEM;
      return nullptr;
    }
  }
  account_alloc(h, csize(c));
  return payload(c);
}

void free_core(Heap *h, Chunk *c) {
  const void *p = payload(c);
  size_t s = csize(c);
  h->in_use -= s;
  Chunk *n = (Chunk *)((uintptr_t)c + s);
  if ((uintptr_t)n < h->top && !(n->head & kPrevInUse)) heap_error(h, HeapError::Corrupted, p);
  // Coalesce backwards.
  if (!(c->head & kPrevInUse)) {
    Chunk *prev = (Chunk *)((uintptr_t)c - c->prev_size);
    check_free_chunk(h, prev);
    if (csize(prev) != c->prev_size) heap_error(h, HeapError::Corrupted, p);
    bin_unlink(h, prev);
    prev->head = (csize(prev) + s) | (prev->head & kPrevInUse);
    c = prev;
    s = csize(c);
  }
  // Coalesce forwards.
  if ((uintptr_t)n < h->top && !(n->head & kInUse)) {
    check_free_chunk(h, n);
    bin_unlink(h, n);
    s += csize(n);
    c->head = s | (c->head & kPrevInUse);
  }
  if ((uintptr_t)c + s == h->top) {
    h->top = (uintptr_t)c;  // give it back to the wilderness
    return;
  }
  c->head &= ~kInUse;
  make_free(h, c, s);
}

// --- front cache ------------------------------------------------------------
// A cached chunk is marked by a tag in its second payload word (its first
// holds the list link), so that a second free of it is still caught.

// The chunk at the head of class k's list, checked like any chunk the heap
// hands out: inside the heap, of the class's size, in use and tagged.
Chunk *cache_pop(Heap *h, int k) {
  Chunk *c = h->cache[k];
  if (!in_chunks(h, c) || c->head != ((size_t)(k + 2) << 4 | kInUse | (c->head & kPrevInUse)) ||
      (uintptr_t)c + csize(c) > h->top || ((uint64_t *)payload(c))[1] != cache_tag(payload(c)))
    heap_error(h, HeapError::Corrupted, c);
  h->cache[k] = *(Chunk **)payload(c);
  h->cached[k]--;
  ((uint64_t *)payload(c))[1] = 0;
  return c;
}

// Returns how many chunks went back.
int cache_flush(Heap *h) {
  int n = 0;
  for (int k = 0; k < kCacheClasses; ++k)
    for (; h->cached[k]; ++n) {
      Chunk *c = cache_pop(h, k);
      h->in_use += csize(c);
      free_core(h, c);
    }
  return n;
}

void *malloc_front(Heap *h, size_t n) {
  check_header(h);
  if (n <= kCacheClasses * 16) {
    int k = cache_class(n + kHdr < kMinChunk ? kMinChunk : align_up(n + kHdr, 16));
    if (h->cached[k] && below_end(h, h->cache[k], (size_t)(k + 2) << 4)) {
      Chunk *c = cache_pop(h, k);
      account_alloc(h, csize(c));
      return payload(c);
    }
  }
  void *p = malloc_core(h, n);
  // Out of memory: what the cache holds may make room.
  if (!p && cache_flush(h)) p = malloc_core(h, n);
  return p;
}

}  // namespace

void heap_use_reserve() { t_use_reserve = true; }

void *heap_malloc(Heap *h, size_t n) {
  if (__builtin_expect(t_use_reserve, 0)) {  // one allocation only
    void *p = malloc_front(h, n);
    t_use_reserve = false;
    return p;
  }
  return malloc_front(h, n);
}

void heap_free(Heap *h, void *p) {
  if (!p) return;
  check_header(h);
  Chunk *c = checked_chunk(h, p);
  size_t s = csize(c);
  if (s <= kCacheClasses * 16 + 16) {
    int k = cache_class(s);
    if (h->cached[k] < kCacheDepth) {
      ((uint64_t *)p)[1] = cache_tag(p);
      *(Chunk **)p = h->cache[k];
      h->cache[k] = c;
      h->cached[k]++;
      h->in_use -= s;
      return;
    }
  }
  free_core(h, c);
}

void heap_trim_cache(Heap *h) {
  check_header(h);
  cache_flush(h);
}

void *heap_realloc(Heap *h, void *p, size_t n) {
  if (!p) return heap_malloc(h, n);
  check_header(h);
  Chunk *c = checked_chunk(h, p);
  size_t s;
  if (!request_size(n, &s)) {
    errno = ENOMEM;
    return nullptr;
  }
  size_t cur = csize(c);
  if (cur >= s) {
    h->in_use -= cur;
    split_tail(h, c, s);
    account_alloc(h, csize(c));
    return p;
  }
  uintptr_t end = (uintptr_t)c + cur;
  if (end == h->top && top_end(h) > (uintptr_t)c && top_end(h) - (uintptr_t)c >= s) {  // grow into top
    h->top = (uintptr_t)c + s;
    c->head = s | kInUse | (c->head & kPrevInUse);
    h->in_use += s - cur;
    if (h->in_use > h->high_water) h->high_water = h->in_use;
    return p;
  }
  if (end < h->top) {
    Chunk *nx = (Chunk *)end;
    if (!(nx->head & kInUse)) {
      check_free_chunk(h, nx);
      if (cur + csize(nx) >= s && below_end(h, c, cur + csize(nx))) {
        bin_unlink(h, nx);
        size_t merged = cur + csize(nx);
        h->in_use -= cur;
        set_in_use(h, c, merged);
        split_tail(h, c, s);
        account_alloc(h, csize(c));
        return p;
      }
    }
  }
  void *q = heap_malloc(h, n);
  if (!q) return nullptr;
  memcpy(q, p, cur - kHdr);
  heap_free(h, p);
  return q;
}

void *heap_memalign(Heap *h, size_t align, size_t n) {
  if (align <= 16) return heap_malloc(h, n);
  if (align & (align - 1)) {
    errno = EINVAL;
    return nullptr;
  }
  if (n > ((size_t)1 << 46) || align > ((size_t)1 << 40)) {
    errno = ENOMEM;
    return nullptr;
  }
  check_header(h);
  uint8_t *raw = (uint8_t *)malloc_core(h, n + align + kMinChunk);
  if (!raw) return nullptr;
  uintptr_t p = align_up((uintptr_t)raw, align);
  if (p == (uintptr_t)raw) return raw;
  while (p - (uintptr_t)raw < kMinChunk) p += align;
  Chunk *c = chunk_of(raw);
  size_t total = csize(c);
  size_t front = p - (uintptr_t)raw;
  Chunk *a = chunk_of((void *)p);
  // Cut the front off as a chunk of its own and free it (it coalesces with
  // a free predecessor); `a` keeps the rest.
  a->head = (total - front) | kInUse | kPrevInUse;
  c->head = front | kInUse | (c->head & kPrevInUse);
  free_core(h, c);  // in_use drops by `front`
  size_t want;
  request_size(n, &want);
  h->in_use -= csize(a);
  split_tail(h, a, want);
  account_alloc(h, csize(a));
  return (void *)p;
}

size_t heap_usable_size(Heap *h, const void *p) {
  if (!p) return 0;
  Chunk *c = checked_chunk(h, p);
  return csize(c) - kHdr;
}

bool heap_contains(const Heap *h, const void *p) {
  uintptr_t a = (uintptr_t)p;
  return a >= h->first && a < h->limit;
}

size_t heap_in_use(const Heap *h) { return h->in_use; }
size_t heap_high_water(const Heap *h) { return h->high_water; }
size_t heap_touched(const Heap *h) { return h->top - h->region; }
uintptr_t heap_first_chunk(uintptr_t base) { return align_up(base + sizeof(Heap), 16); }
void heap_set_cap(Heap *h, size_t bytes) { h->cap = bytes; }

bool heap_check(Heap *h) {
  if (h->magic != kHeapMagic || h->top > h->limit) return false;
  size_t used = 0;
  bool prev_in_use = true;
  for (uintptr_t a = h->first; a < h->top;) {
    Chunk *c = (Chunk *)a;
    size_t s = csize(c);
    if (s < kMinChunk || (s & 15) || a + s > h->top) return false;
    if (((c->head & kPrevInUse) != 0) != prev_in_use) return false;
    if (!(c->head & kInUse)) {
      if (!prev_in_use) return false;  // two free neighbours: not coalesced
      if (a + s < h->top && ((Chunk *)(a + s))->prev_size != s) return false;
    } else {
      used += s;
    }
    prev_in_use = c->head & kInUse;
    a += s;
  }
  if (!prev_in_use) return false;  // free chunk next to top: not merged
  // Cached chunks are in use for the boundary tags, free for in_use.
  for (int k = 0; k < kCacheClasses; ++k) {
    Chunk *c = h->cache[k];
    for (int i = 0; i < h->cached[k]; ++i) {
      if (!in_chunks(h, c) || csize(c) != (size_t)(k + 2) << 4 || !(c->head & kInUse)) return false;
      used -= csize(c);
      c = *(Chunk **)payload(c);
    }
  }
  return used == h->in_use;
}

}  // namespace sdrad
