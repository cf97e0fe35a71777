// What the code that called a gate may touch.
//
// Gates run with root rights on values a domain chose: pointers to copy
// from or into, handles, names.  Before the runtime reads or writes memory
// on a caller's behalf it checks, against runtime-owned bounds, that the
// caller could have done it itself: a domain writes only its own instance
// (heap, stack, argument area) and instances it was granted write access
// to; it reads anything under `integrity` (an unmapped address then faults
// in the gate, which is the caller's fault too) and only what it may write
// or was granted read access to under `confidentiality`.  Root code may do
// anything.  A refusal is a fault of the calling domain, never an action.
#include <string.h>

#include "internal.h"

namespace sdrad {

namespace {

bool range_in(uintptr_t a, size_t n, uintptr_t lo, uintptr_t hi) {
  return lo < hi && a >= lo && a <= hi && n <= hi - a;
}

bool in_instance(const Instance *in, uintptr_t a, size_t n) {
  if (!in || in->slot < 0) return false;
  return range_in(a, n, in->heap_lo, in->heap_hi) || range_in(a, n, in->stack_lo, in->stack_hi) ||
         range_in(a, n, in->arena_lo, in->arena_hi);
}

// Instances on this thread of the domains `d` was granted (sdrad_dprotect).
bool in_granted(const ThreadState *ts, const Domain *d, bool write, uintptr_t a, size_t n) {
  for (int w = 0; w < kMaxDomains / 64; ++w) {
    uint64_t bits = d->grant_rw[w] | (write ? 0 : d->grant_ro[w]);
    while (bits) {
      int idx = w * 64 + __builtin_ctzll(bits);
      bits &= bits - 1;
      const Instance *in = ts->inst[idx];
      if (in && in_instance(in, a, n)) return true;
    }
  }
  return false;
}

}  // namespace

const Instance *calling_instance(const ThreadState *ts) {
  return ts && ts->depth > 0 ? ts->frames[ts->depth - 1].inst : nullptr;
}

bool caller_may_write(const ThreadState *ts, const void *p, size_t n) {
  const Instance *in = calling_instance(ts);
  if (!in) return true;
  uintptr_t a = (uintptr_t)p;
  return in_instance(in, a, n) || in_granted(ts, in->dom, true, a, n);
}

bool caller_may_read(const ThreadState *ts, const void *p, size_t n) {
  const Instance *in = calling_instance(ts);
  if (!in || in->dom->policy == SDRAD_POLICY_INTEGRITY) return true;
  uintptr_t a = (uintptr_t)p;
  return in_instance(in, a, n) || in_granted(ts, in->dom, false, a, n);
}

// strlen of a string the caller hands over, read only where it may read;
// -1 if it may not read all of it.
ssize_t caller_strlen(const ThreadState *ts, const char *s, size_t max) {
  if (!s) return -1;
  const Instance *in = calling_instance(ts);
  if (!in || in->dom->policy == SDRAD_POLICY_INTEGRITY) return (ssize_t)strnlen(s, max);
  // Confidentiality: byte by byte, each one checked (names are short).
  for (size_t i = 0; i < max; ++i) {
    if (!caller_may_read(ts, s + i, 1)) return -1;
    if (!s[i]) return (ssize_t)i;
  }
  return (ssize_t)max;
}

// A gate elevated for a caller running with `caller` as its PKRU.  The
// thread state was found by the FS base, which a domain with code execution
// sets itself (WRFSBASE: no system call, nothing confinement sees).  With a
// root thread's FS base, the state says depth 0 and the gate would act for
// root: every caller check passes (row rt11_wrfsbase_root_thread_copy_out_to_root:
// __sdrad_copy_out wrote a root global).  With the FS base of a thread inside
// a domain, the gate would act with that domain's rights (row
// rt11_wrfsbase_domain_thread_copy_out_to_its_domain: its heap written).  A
// thread inside a domain calls gates with the PKRU the runtime installed for
// it (cur_pkru: push_frame, pop_frame, the libc key's opening, the compat
// API keep it with every WRPKRU; program signal handlers run elevated and
// elevate no gate).  At depth 0, a caller that may not write root memory on
// a state that may is not that state's thread (or a thread started inside a
// domain, without confinement).  Either way the gate refuses (0).  Nothing
// can be reported here: the thread's own state is unknown, and its system
// calls meet its selector ("block") with a foreign state, so the refusal is
// the gate's error, SDRAD_E_BAD_ARGUMENT.  Instances that share a key (keys
// ran out) are not told apart.
extern "C" SDRAD_HIDDEN int sdrad_gate_state_fits_caller(uint32_t caller) {
  const ThreadState *ts = thread_state_if_any();
  if (!ts) return 1;
  if (ts->depth > 0) return caller == ts->cur_pkru;
  uint32_t wd = g_shared.root_wd_bits;
  return (caller & wd) != wd || (ts->cur_pkru & wd) == wd;
}

// DROP_AND_RUN's return (switch.S), elevated from `from`: the state the FS
// base names must be inside a call whose domain runs with exactly that PKRU.
// A domain that took another thread's FS base (WRFSBASE) would otherwise pop
// that thread's frame and run its root code on this thread (rows
// rt11_wrfsbase_domain_thread_then_return, ..._slow_return); at depth 0 (a
// root thread's FS base) the return has no call to end.
extern "C" SDRAD_HIDDEN int sdrad_domain_return_fits(uint32_t from) {
  const ThreadState *ts = thread_state_if_any();
  return ts && ts->depth > 0 && from == ts->cur_pkru;
}

// The calling domain handed a gate something it may not use: rewind it.
[[noreturn]] void gate_refuse(ThreadState *ts, const char *what, const void *p) {
  sdrad_fault f;
  fault_fill(f, SDRAD_FAULT_GATE, ts);
  f.addr = (uintptr_t)p;
  f.pc = (uintptr_t)__builtin_return_address(0);
  log_line("%s refused for domain '%s': %p is not the caller's to use", what, f.domain, p);
  rewind_innermost(ts, f);
}

void check_caller_write_slow(ThreadState *ts, const char *what, const void *p, size_t n) {
  if (!caller_may_write(ts, p, n)) gate_refuse(ts, what, p);
}

void check_caller_read_slow(ThreadState *ts, const char *what, const void *p, size_t n) {
  if (!caller_may_read(ts, p, n)) gate_refuse(ts, what, p);
}

}  // namespace sdrad
