// bench/thunk.h - hand-written domain entry thunks that follow the thunk
// contract of runtime/include/sdrad/abi.h step by step (what the plugin
// generates for an [[sdrad::isolate]] function): the fused form
// __sdrad_call_with, the same with buffer copies ended by one
// __sdrad_copies_end, and the block form for comparison.  They let the benchmarks
// measure the runtime's share of an isolated call independently of the
// plugin; bench_call additionally measures plugin-generated calls when the
// plugin is built (bench/plugin_targets.cpp).
#pragma once

#include <sdrad/abi.h>
#include <sdrad/sdrad.h>

namespace bench {

inline int64_t domain_handle(__sdrad_domain_ref &ref) {
  int64_t h = ref.handle;
  if (__builtin_expect(h <= 0, 0)) h = __sdrad_domain_handle(&ref);
  return h;
}

// Runs fn(Block*) isolated with the fused call (__sdrad_call_with: the
// block travels on the domain stack, one gate crossing; the form abi.h
// recommends for thunks).  Block must have a field `ret`.  Returns the call
// status (0 ok, >0 fault kind, <0 error); on success *ret is filled.
template <class Block, class Ret>
inline int32_t isolated_call(__sdrad_domain_ref &ref, void (*entry)(void *), const Block &args,
                             Ret *ret) {
  int64_t h = domain_handle(ref);
  if (__builtin_expect(h < 0, 0)) return (int32_t)h;
  Block blk = args;
  int32_t st = __sdrad_call_with(h, entry, &blk, sizeof blk);
  if (__builtin_expect(st != 0, 0)) return st;
  *ret = blk.ret;
  return 0;
}

// One buffer argument of isolated_call_copies: `src` is copied in (NULL:
// an out buffer, zero-filled; `string`: a NUL-terminated string, `bytes`
// unused), and at the end `bytes` (or what the call's `back` says) are
// copied back to `dst` (NULL: nothing copied back).
struct CopyArg {
  const void *src;
  void *dst;
  size_t bytes;
  bool string = false;
};

// Bytes copied back into args[i].dst: by default all of them.
struct AllBack {
  template <class Block>
  size_t operator()(const Block &, size_t, const CopyArg &a) const {
    return a.bytes;
  }
};

// The end of a call with copies: one __sdrad_copies_end for all copies
// (every canary checked before anything is copied back; the copies freed).
template <class Block, size_t N, class Back>
inline int32_t end_copies(int64_t h, const Block &blk, const CopyArg (&args)[N], void *const *copies, Back back) {
  __sdrad_copy_end ends[N];
  for (size_t i = 0; i < N; ++i)
    ends[i] = {copies[i], args[i].dst, args[i].dst ? back(blk, i, args[i]) : 0};
  return __sdrad_copies_end(h, ends, N);
}

// Runs fn(Block*) isolated with buffer copies, as the plugin's thunks do:
// __sdrad_copy_in (or __sdrad_copy_string) per buffer, place(blk, copies)
// stores the copies into the block, __sdrad_call_with, then one
// __sdrad_copies_end for all copies.  Returns the call status (0 ok, >0
// fault kind, <0 error); on success the block's `ret` and every `dst` are
// filled.
template <class Block, size_t N, class Place, class Back = AllBack>
inline int32_t isolated_call_copies(__sdrad_domain_ref &ref, void (*entry)(void *), Block &blk,
                                         const CopyArg (&args)[N], Place place, Back back = {}) {
  int64_t h = domain_handle(ref);
  if (__builtin_expect(h < 0, 0)) return (int32_t)h;
  void *copies[N];
  bool lost = false;
  for (size_t i = 0; i < N; ++i) {
    copies[i] = args[i].string ? __sdrad_copy_string(h, (const char *)args[i].src)
                               : __sdrad_copy_in(h, args[i].src, args[i].bytes);
    lost |= !copies[i];
  }
  if (__builtin_expect(lost, 0)) {
    for (size_t i = 0; i < N; ++i)
      if (copies[i]) __sdrad_block_free(h, copies[i]);
    return SDRAD_E_NO_MEMORY;
  }
  place(blk, copies);
  int32_t st = __sdrad_call_with(h, entry, &blk, sizeof blk);
  if (__builtin_expect(st != 0, 0)) return st;  // discarded: the copies are gone
  return end_copies(h, blk, args, copies, back);
}

// The same with the block form of the contract (__sdrad_block_alloc,
// __sdrad_call, read the block, __sdrad_block_free).
template <class Block, class Ret>
inline int32_t isolated_call_blk(__sdrad_domain_ref &ref, void (*entry)(void *), const Block &args,
                                 Ret *ret) {
  int64_t h = domain_handle(ref);
  if (__builtin_expect(h < 0, 0)) return (int32_t)h;
  Block *blk = (Block *)__sdrad_block_alloc(h, sizeof(Block));
  if (__builtin_expect(!blk, 0)) return SDRAD_E_NO_MEMORY;
  *blk = args;
  int32_t st = __sdrad_call(h, entry, blk);
  if (__builtin_expect(st != 0, 0)) return st;
  *ret = blk->ret;
  __sdrad_block_free(h, blk);
  return 0;
}

}  // namespace bench
