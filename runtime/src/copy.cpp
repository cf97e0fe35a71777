// Argument blocks and canary-guarded buffer copies for compiler thunks.
//
// These run in the caller's context (root, or a parent domain through the
// API gate) on the callee's heap, whose metadata the callee may have
// corrupted during an earlier call.  Heap operations therefore run under a
// guard: a corruption report discards the instance and fails the operation
// instead of taking the caller down.
#include <setjmp.h>
#include <string.h>

#include "internal.h"
#include "switch.h"
#include "sdrad/abi.h"

namespace sdrad {

__thread jmp_buf *t_guard __attribute__((tls_model("initial-exec")));
__thread Heap *t_guard_heap __attribute__((tls_model("initial-exec")));

namespace {

// Sits right before a block's data; the canary is adjacent to the data so
// that an underflow hits it.  `adj` is how far the header was moved up so
// that a copy has the same alignment modulo 64 as its source (memcpy is
// much slower when source and destination differ by a small amount mod
// the page size).
struct CopyHeader {
  uint64_t adj;
  uint64_t unused;
  uint64_t size;
  uint64_t canary;
};
constexpr size_t kAlignSlack = 64;

uint64_t canary_at(const void *data) { return g_shared.canary_secret ^ (uintptr_t)data ^ 0xc0a7; }

// The calling thread's instance of `handle`, if the domain is live and
// is the target of a call being prepared or finished: never one that is
// active on this thread (the caller itself or a domain below it), nor a
// data domain.
// The thread state (validated once per gate) is handed back in *tsp.
[[gnu::noinline]] Instance *instance_for_slow(int64_t handle, ThreadState **tsp) {
  ThreadState *ts = *tsp = thread_state();
  int err;
  Instance *in = ts ? instance_get(ts, handle, &err) : nullptr;
  // Active at depth 0: maybe a call a signal handler left (siglongjmp) abandoned.
  if (in && in->active) park_reap_left(ts, (uintptr_t)__builtin_frame_address(0));
  return in && !in->active && !in->dom->is_data ? in : nullptr;
}
__attribute__((always_inline)) inline Instance *instance_for(int64_t handle, ThreadState **tsp) {
  ThreadState *ts = t_ts;
  if (__builtin_expect(ts && ts_valid(ts), 1)) {
    Instance *in = instance_cached(ts, handle);
    if (__builtin_expect(in && !in->active & !in->dom->is_data, 1)) {
      *tsp = ts;
      return in;
    }
  }
  return instance_for_slow(handle, tsp);
}

}  // namespace

namespace {

bool range_in(uintptr_t a, size_t bytes, uintptr_t lo, uintptr_t hi) {
  return a >= lo && a <= hi && bytes <= hi - a;
}

// Is [p, p+bytes) inside the instance's heap or argument arena?
bool copy_in_bounds(const Instance *in, const void *p, size_t bytes) {
  uintptr_t a = (uintptr_t)p;
  // the argument arena first: copies come from there unless it was full
  return (in->arena_lo && range_in(a, bytes, in->arena_lo, in->arena_hi)) ||
         range_in(a, bytes, in->heap_lo, in->heap_hi);
}

// Argument arena: a bump pointer per instance, reset when the last block
// is freed.  Every block carries a CopyHeader; its canary doubles as the
// "allocated here and not yet freed" mark.
uint8_t *arena_alloc(Instance *in, size_t payload, bool *fresh) {
  if (!in->arena_lo) return nullptr;
  size_t need = align_up(sizeof(CopyHeader) + payload + 8, 16);
  if (need > in->arena_hi - in->arena_top) return nullptr;
  uint8_t *raw = (uint8_t *)in->arena_top;
  *fresh = in->arena_top >= in->arena_dirty;  // never used: still zero
  in->arena_top += need;
  if (in->arena_top > in->arena_dirty) in->arena_dirty = in->arena_top;
  in->arena_live++;
  return raw;
}

bool copy_registered(const Instance *in, const void *p) {
  for (uint32_t i = 0; i < in->n_copies; ++i)
    if (in->copies[i] == p) return true;
  return false;
}

// False if `p` was not registered (already released).
bool copy_unregister(Instance *in, const void *p) {
  for (uint32_t i = 0; i < in->n_copies; ++i)
    if (in->copies[i] == p) {
      in->copies[i] = in->copies[--in->n_copies];
      return true;
    }
  return false;
}

bool arena_owns(const Instance *in, const void *p) {
  return (uintptr_t)p >= in->arena_lo + sizeof(CopyHeader) && (uintptr_t)p < in->arena_top;
}

void arena_free(Instance *in, void *data) {
  auto *hdr = (CopyHeader *)((uint8_t *)data - sizeof(CopyHeader));
  if (hdr->canary != canary_at(data)) {
    say("__sdrad_block_free(%p) refused: not a live argument block", data);
    return;
  }
  hdr->canary = 0;
  copy_unregister(in, data);
  if (--in->arena_live == 0) in->arena_top = in->arena_lo;
}

// A block with header and trailing canary, from the arena or else the heap.
// The heap path out of line: its jmp_buf (guarded) would make every
// caller's frame large.
[[gnu::noinline]] uint8_t *block_from_heap(Instance *in, size_t payload) {
  uint8_t *raw = nullptr;
  if (!guarded(in, [&] { raw = (uint8_t *)heap_malloc(in->heap, sizeof(CopyHeader) + payload + 8); }))
    return nullptr;
  return raw;
}
uint8_t *block_raw(Instance *in, size_t payload, bool *fresh) {
  *fresh = false;
  if (payload > ((size_t)1 << 46)) return nullptr;
  if (uint8_t *raw = arena_alloc(in, payload, fresh)) return raw;
  return block_from_heap(in, payload);
}

void *make_copy(Instance *in, const void *src, size_t bytes) {
  if (in->n_copies == Instance::kMaxCopies) {
    log_line("more than %d live argument copies in domain '%s'", Instance::kMaxCopies, in->dom->name);
    return nullptr;
  }
  bool fresh;
  // Before the slack is added: SIZE_MAX (a thunk's saturated count) must
  // not wrap to a small block that the copy then overruns.
  if (bytes > ((size_t)1 << 46)) return nullptr;
  size_t slack = src && bytes >= 1024 ? kAlignSlack : 0;
  uint8_t *raw = block_raw(in, bytes + slack, &fresh);
  if (!raw) return nullptr;
  size_t adj = slack ? (((uintptr_t)src - (uintptr_t)(raw + sizeof(CopyHeader))) & (kAlignSlack - 1)) : 0;
  uint8_t *data = raw + adj + sizeof(CopyHeader);
  auto *hdr = (CopyHeader *)(raw + adj);
  hdr->adj = adj;
  hdr->size = bytes;
  hdr->canary = canary_at(data);
  if (src) memcpy(data, src, bytes);
  else if (!fresh) memset(data, 0, bytes);
  uint64_t back = canary_at(data + bytes);
  __builtin_memcpy(data + bytes, &back, 8);  // inline (the runtime is built -fno-builtin)
  in->copies[in->n_copies++] = data;
  return data;
}

// A live copy's header and both canaries, inside the instance.
bool copy_intact(const Instance *in, const void *copy) {
  const uint8_t *data = (const uint8_t *)copy;
  if (!copy_in_bounds(in, data - sizeof(CopyHeader), sizeof(CopyHeader))) return false;
  const CopyHeader *hdr = (const CopyHeader *)(data - sizeof(CopyHeader));
  uint64_t size = hdr->size, back;
  if (hdr->canary != canary_at(data) || !copy_in_bounds(in, data, size + 8)) return false;
  __builtin_memcpy(&back, data + size, 8);
  return back == canary_at(data + size);
}

// Only a copy made for this call can be found corrupted (and the callee
// discarded for it); any other pointer is the caller's mistake.
[[gnu::cold, gnu::noinline]] int32_t refuse_unknown_copy(ThreadState *ts, const char *what, const void *copy, int64_t handle) {
  if (calling_instance(ts)) gate_refuse(ts, what, copy);
  say("%s(%p) refused: not a live copy of domain handle %lld", what, copy, (long long)handle);
  return SDRAD_E_BAD_ARGUMENT;
}

[[gnu::cold, gnu::noinline]] void refuse_copy_out(ThreadState *ts, const void *copy, size_t bytes) {
  if (calling_instance(ts)) gate_refuse(ts, "__sdrad_copy_out", copy);
  say("__sdrad_copy_out refused: %p+%zu is not a live copy of the domain", copy, bytes);
}

// `copy` is a registered copy of the instance: at most its size, into a
// destination the caller may write.
void copy_back(ThreadState *ts, void *dst, const void *copy, size_t bytes) {
  const CopyHeader *hdr = (const CopyHeader *)((const uint8_t *)copy - sizeof(CopyHeader));
  if (bytes > hdr->size) return refuse_copy_out(ts, copy, bytes);
  check_caller_write(ts, "__sdrad_copy_out", dst, bytes);
  memcpy(dst, copy, bytes);
}

// Frees a block or copy of `in` (or of the caller's arena, a nested call's
// block); a foreign pointer is refused with a message.
void block_release(ThreadState *ts, Instance *in, void *p, int64_t handle) {
  if (ts->depth > 0 && arena_owns(ts->frames[ts->depth - 1].inst, p))
    return arena_free(ts->frames[ts->depth - 1].inst, p);
  if (arena_owns(in, p)) return arena_free(in, p);
  if (!heap_contains(in->heap, p) || (uintptr_t)p < in->heap_lo + sizeof(CopyHeader)) {
    say("__sdrad_block_free(%p) refused: not in the heap of domain handle %lld", p, (long long)handle);
    return;
  }
  // Heap blocks (the arena was full) start `adj` bytes before their header.
  auto *hdr = (CopyHeader *)((uint8_t *)p - sizeof(CopyHeader));
  if (hdr->canary != canary_at(p) || hdr->adj >= kAlignSlack) {
    say("__sdrad_block_free(%p) refused: not a block of this domain", p);
    return;
  }
  hdr->canary = 0;
  copy_unregister(in, p);
  uint8_t *raw = (uint8_t *)hdr - hdr->adj;
  guarded(in, [&] { heap_free(in->heap, raw); });
}

}  // namespace

// If `blk` is a live block in the arena of the domain running on this
// thread (a nested call's block), its size; otherwise 0.
size_t caller_block_size(ThreadState *ts, const void *blk) {
  if (ts->depth == 0) return 0;
  const Instance *cur = ts->frames[ts->depth - 1].inst;
  if (!arena_owns(cur, blk)) return 0;
  const auto *hdr = (const CopyHeader *)((const uint8_t *)blk - sizeof(CopyHeader));
  if (hdr->canary != canary_at(blk) || hdr->size > (size_t)(cur->arena_top - (uintptr_t)blk)) return 0;
  return hdr->size;
}

// Called by heap_error() before it reports a domain-heap fault.
bool heap_guard_catch(Heap *h) {
  if (t_guard && h == t_guard_heap) longjmp(*t_guard, 1);
  return false;
}

}  // namespace sdrad

using namespace sdrad;

// Called from inside a domain (a nested call), the block is allocated in
// the caller's own argument arena, which the caller may write; __sdrad_call
// then carries it into the callee and back (see caller_block_size).
extern "C" SDRAD_HIDDEN void *sdrad_impl_block_alloc(int64_t handle, size_t size) {
  ThreadState *ts;
  Instance *in = instance_for(handle, &ts);
  if (!in) return nullptr;
  if (ts->depth > 0 && ts->frames[ts->depth - 1].inst->arena_lo)
    return make_copy(ts->frames[ts->depth - 1].inst, nullptr, size);
  return make_copy(in, nullptr, size);
}

extern "C" SDRAD_HIDDEN void sdrad_impl_block_free(int64_t handle, void *p) {
  if (!p) return;
  ThreadState *ts;
  Instance *in = instance_for(handle, &ts);
  if (!in) {
    say("__sdrad_block_free(%p) refused: bad domain handle %lld", p, (long long)handle);
    return;
  }
  block_release(ts, in, p, handle);
}

extern "C" SDRAD_HIDDEN void *sdrad_impl_copy_in(int64_t handle, const void *src, size_t bytes) {
  ThreadState *ts;
  Instance *in = instance_for(handle, &ts);
  if (!in) return nullptr;
  if (src) check_caller_read(ts, "__sdrad_copy_in", src, bytes);
  return make_copy(in, src, bytes);
}

extern "C" SDRAD_HIDDEN char *sdrad_impl_copy_string(int64_t handle, const char *src) {
  if (!src) return nullptr;
  ThreadState *ts;
  Instance *in = instance_for(handle, &ts);
  if (!in) return nullptr;
  ssize_t n = caller_strlen(ts, src, SIZE_MAX);
  if (n < 0) gate_refuse(ts, "__sdrad_copy_string", src);
  return (char *)make_copy(in, src, (size_t)n + 1);
}

extern "C" SDRAD_HIDDEN int32_t sdrad_impl_copy_check(int64_t handle, const void *copy) {
  if (!copy) return 0;
  ThreadState *ts;
  Instance *in = instance_for(handle, &ts);
  if (!in) return SDRAD_E_BAD_HANDLE;
  if (!copy_registered(in, copy)) return refuse_unknown_copy(ts, "__sdrad_copy_check", copy, handle);
  if (copy_intact(in, copy)) return 0;
  fault_discard(in, SDRAD_FAULT_CANARY, (uintptr_t)copy);
  return SDRAD_FAULT_CANARY;
}

// An entry found a buffer carried in its block overrun (the canary after
// it changed): a fault of the domain running it, rewound like a broken
// stack protector.  Outside every domain: reported, then abort().
extern "C" SDRAD_EXPORT void __sdrad_copy_fault(void) { sdrad_soft_fault_gate(SDRAD_FAULT_CANARY); }

extern "C" SDRAD_HIDDEN void sdrad_impl_copy_out(int64_t handle, void *dst, const void *copy, size_t bytes) {
  ThreadState *ts;
  Instance *in = instance_for(handle, &ts);
  if (!in || !dst || !copy_registered(in, copy)) return refuse_copy_out(ts, copy, bytes);
  copy_back(ts, dst, copy, bytes);
}

namespace {

// A malformed __sdrad_copies_end array (too long, or NULL with entries).
[[gnu::cold, gnu::noinline]] int32_t refuse_copies_end(ThreadState *ts, const __sdrad_copy_end *v, size_t n) {
  if (calling_instance(ts)) gate_refuse(ts, "__sdrad_copies_end", v);
  say("__sdrad_copies_end(%p, %zu) refused: not an array of at most %d copies", (const void *)v, n, Instance::kMaxCopies);
  return SDRAD_E_BAD_ARGUMENT;
}

// From inside a domain, the array is the caller's memory: a snapshot,
// which another thread of that domain cannot change between the checks
// and the copies.
[[gnu::noinline]] const __sdrad_copy_end *copies_end_snapshot(ThreadState *ts, const __sdrad_copy_end *v, size_t n,
                                                              __sdrad_copy_end *snap) {
  check_caller_read_slow(ts, "__sdrad_copies_end", v, n * sizeof *v);
  return (const __sdrad_copy_end *)memcpy(snap, v, n * sizeof *v);
}

// Releases a copy that copies_end has just found registered and intact:
// in the instance's arena, it is unregistered and the arena's count
// dropped without checking the canary again (block_release's checks are
// for pointers of unknown origin); a heap copy takes block_release.  A
// copy named twice is released once (the second time it is no longer
// registered).
inline void release_verified(ThreadState *ts, Instance *in, void *copy, int64_t handle) {
  if (__builtin_expect(!arena_owns(in, copy), 0)) return block_release(ts, in, copy, handle);
  if (__builtin_expect(!copy_unregister(in, copy), 0)) return;
  ((CopyHeader *)((uint8_t *)copy - sizeof(CopyHeader)))->canary = 0;
  if (--in->arena_live == 0) in->arena_top = in->arena_lo;
}

}  // namespace

// The end of a successful call's copies in one gate crossing (the thunk's
// copy_check / copy_out / block_free of each copy): all canaries first, so
// that a broken one leaves every caller buffer untouched.
extern "C" SDRAD_HIDDEN int32_t sdrad_impl_copies_end(int64_t handle, const __sdrad_copy_end *v, size_t n) {
  ThreadState *ts;
  Instance *in = instance_for(handle, &ts);
  if (__builtin_expect(n > (size_t)Instance::kMaxCopies || (n && !v), 0)) return refuse_copies_end(ts, v, n);
  if (!in) return SDRAD_E_BAD_HANDLE;
  const __sdrad_copy_end *e = v;
  __sdrad_copy_end snap[Instance::kMaxCopies];
  if (ts->depth > 0) e = copies_end_snapshot(ts, v, n, snap);
  for (size_t i = 0; i < n; ++i)
    if (e[i].copy && !copy_registered(in, e[i].copy)) return refuse_unknown_copy(ts, "__sdrad_copies_end", e[i].copy, handle);
  for (size_t i = 0; i < n; ++i)
    if (e[i].copy && !copy_intact(in, e[i].copy)) {
      fault_discard(in, SDRAD_FAULT_CANARY, (uintptr_t)e[i].copy);
      return SDRAD_FAULT_CANARY;
    }
  for (size_t i = 0; i < n; ++i) {
    if (!e[i].copy) continue;
    if (e[i].dst) copy_back(ts, e[i].dst, e[i].copy, e[i].bytes);
    release_verified(ts, in, e[i].copy, handle);
  }
  return 0;
}
