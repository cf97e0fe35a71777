// bench/thunk.h - hand-written domain entry thunks that follow the thunk
// contract of runtime/include/sdrad/abi.h step by step (what the plugin
// generates for an [[sdrad::isolate]] function).  They let the benchmarks
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

// Runs fn(Block*) isolated; Block must have a field `ret`.  Returns the
// call status (0 ok, >0 fault kind, <0 error); on success *ret is filled.
// The block is built in the caller's memory and copied in, the result
// copied out (abi.h since c4aa414: the caller never touches domain memory
// itself, so that nested calls work under PKU).
template <class Block, class Ret>
inline int32_t isolated_call(__sdrad_domain_ref &ref, void (*entry)(void *), const Block &args,
                             Ret *ret) {
  int64_t h = domain_handle(ref);
  if (__builtin_expect(h < 0, 0)) return (int32_t)h;
  Block tmp = args;
  Block *blk = (Block *)__sdrad_copy_in(h, &tmp, sizeof tmp);
  if (__builtin_expect(!blk, 0)) return SDRAD_E_NO_MEMORY;
  int32_t st = __sdrad_call(h, entry, blk);
  if (st == 0) st = __sdrad_copy_check(h, blk);
  if (__builtin_expect(st != 0, 0)) return st;
  __sdrad_copy_out(h, &tmp.ret, &blk->ret, sizeof tmp.ret);
  *ret = tmp.ret;
  __sdrad_block_free(h, blk);
  return 0;
}

}  // namespace bench
