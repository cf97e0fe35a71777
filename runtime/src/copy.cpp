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
#include "sdrad/abi.h"

namespace sdrad {

thread_local jmp_buf *t_guard __attribute__((tls_model("initial-exec")));
thread_local Heap *t_guard_heap __attribute__((tls_model("initial-exec")));

namespace {

struct CopyHeader {
  uint64_t size;
  uint64_t canary;
};

uint64_t canary_at(const void *data) { return g_shared.canary_secret ^ (uintptr_t)data ^ 0xc0a7; }

Instance *instance_for(int64_t handle) {
  ThreadState *ts = thread_state();
  if (!ts) return nullptr;
  int err;
  Instance *in = instance_get(ts, handle, &err);
  return in;  // data domains too: sdrad_malloc works on them
}

void discard_after_corruption(Instance *in) {
  ThreadState *ts = thread_state_if_any();
  sdrad_fault f;
  fault_fill(f, SDRAD_FAULT_HEAP_CORRUPTION, nullptr);
  f.handle = domain_handle_of(in->dom);
  strncpy(f.domain, in->dom->name, sizeof(f.domain) - 1);
  if (ts) record_fault(ts, f);
  in->dom->faults.fetch_add(1);
  instance_discard(in);
}

// Runs fn() on in's heap; false if the heap reported corruption.
template <class F>
bool guarded(Instance *in, F fn) {
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

bool copy_in_bounds(const Instance *in, const void *p, size_t bytes) {
  uintptr_t a = (uintptr_t)p;
  return a >= in->heap_lo && a <= in->heap_hi && bytes <= in->heap_hi - a;
}

void *make_copy(Instance *in, const void *src, size_t bytes) {
  if (bytes > ((size_t)1 << 46)) return nullptr;
  uint8_t *raw = nullptr;
  if (!guarded(in, [&] { raw = (uint8_t *)heap_malloc(in->heap, sizeof(CopyHeader) + bytes + 8); }))
    return nullptr;
  if (!raw) return nullptr;
  uint8_t *data = raw + sizeof(CopyHeader);
  auto *hdr = (CopyHeader *)raw;
  hdr->size = bytes;
  hdr->canary = canary_at(data);
  if (src) memcpy(data, src, bytes);
  else memset(data, 0, bytes);
  uint64_t back = canary_at(data + bytes);
  memcpy(data + bytes, &back, 8);
  return data;
}

}  // namespace

// Called by heap_error() before it reports a domain-heap fault.
bool heap_guard_catch(Heap *h) {
  if (t_guard && h == t_guard_heap) longjmp(*t_guard, 1);
  return false;
}

}  // namespace sdrad

using namespace sdrad;

extern "C" SDRAD_HIDDEN void *sdrad_impl_block_alloc(int64_t handle, size_t size) {
  Instance *in = instance_for(handle);
  if (!in) return nullptr;
  void *p = nullptr;
  if (!guarded(in, [&] { p = heap_malloc(in->heap, size ? size : 1); })) return nullptr;
  if (p) memset(p, 0, size);
  return p;
}

extern "C" SDRAD_HIDDEN void sdrad_impl_block_free(int64_t handle, void *p) {
  if (!p) return;
  Instance *in = instance_for(handle);
  if (!in || !heap_contains(in->heap, p)) {
    say("__sdrad_block_free(%p) refused: not in the heap of domain handle %lld", p, (long long)handle);
    return;
  }
  if (arena_contains(p) && (uintptr_t)p >= in->heap_lo + sizeof(CopyHeader)) {
    // A copy's allocation starts at its header.
    uint8_t *raw = (uint8_t *)p - sizeof(CopyHeader);
    auto *hdr = (CopyHeader *)raw;
    if ((uintptr_t)raw >= in->heap_lo && hdr->canary == canary_at(p)) p = raw;
  }
  guarded(in, [&] { heap_free(in->heap, p); });
}

extern "C" SDRAD_HIDDEN void *sdrad_impl_copy_in(int64_t handle, const void *src, size_t bytes) {
  Instance *in = instance_for(handle);
  if (!in) return nullptr;
  return make_copy(in, src, bytes);
}

extern "C" SDRAD_HIDDEN char *sdrad_impl_copy_string(int64_t handle, const char *src) {
  if (!src) return nullptr;
  Instance *in = instance_for(handle);
  if (!in) return nullptr;
  return (char *)make_copy(in, src, strlen(src) + 1);
}

extern "C" SDRAD_HIDDEN int32_t sdrad_impl_copy_check(int64_t handle, const void *copy) {
  if (!copy) return 0;
  Instance *in = instance_for(handle);
  if (!in) return SDRAD_E_BAD_HANDLE;
  const uint8_t *data = (const uint8_t *)copy;
  bool ok = copy_in_bounds(in, data - sizeof(CopyHeader), sizeof(CopyHeader));
  uint64_t size = 0, back = 0;
  if (ok) {
    const CopyHeader *hdr = (const CopyHeader *)(data - sizeof(CopyHeader));
    size = hdr->size;
    ok = hdr->canary == canary_at(data) && copy_in_bounds(in, data, size + 8);
  }
  if (ok) {
    memcpy(&back, data + size, 8);
    ok = back == canary_at(data + size);
  }
  if (ok) return 0;
  ThreadState *ts = thread_state();
  sdrad_fault f;
  fault_fill(f, SDRAD_FAULT_CANARY, nullptr);
  f.handle = handle;
  f.udi = in->dom->udi;
  f.addr = (uintptr_t)copy;
  strncpy(f.domain, in->dom->name, sizeof(f.domain) - 1);
  if (ts) record_fault(ts, f);
  in->dom->faults.fetch_add(1);
  instance_discard(in);
  return SDRAD_FAULT_CANARY;
}

extern "C" SDRAD_HIDDEN void sdrad_impl_copy_out(int64_t handle, void *dst, const void *copy, size_t bytes) {
  Instance *in = instance_for(handle);
  if (!in || !dst || !copy_in_bounds(in, copy, bytes)) {
    say("__sdrad_copy_out refused: %p+%zu is not in the domain's heap", copy, bytes);
    return;
  }
  memcpy(dst, copy, bytes);
}
