// The SDRaD-compatible API (sdrad_api.h) on top of the native runtime.
// Compat domains are found by udi; their instances are per thread.
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "unwind_ranges.h"
#include "sdrad/abi.h"
#include "sdrad_api.h"

namespace sdrad {
Frame *push_compat_frame(ThreadState *ts, Instance *in, int64_t handle, uintptr_t root_rsp);
void pop_compat_frame(ThreadState *ts);
}  // namespace sdrad

using namespace sdrad;

// Implementations behind the API gates (copy.cpp, call.cpp): called
// directly here because this code already runs elevated.
extern "C" void *sdrad_impl_block_alloc(int64_t handle, size_t size);
extern "C" void sdrad_impl_block_free(int64_t handle, void *p);
extern "C" int32_t sdrad_impl_call(int64_t handle, void (*entry)(void *), void *block);

namespace {

// Runs fn with malloc & co. directed at the root heap (root callers only).
template <class F>
auto on_root_heap(F fn) {
  Heap *saved = t_heap;
  t_heap = nullptr;
  auto r = fn();
  t_heap = saved;
  return r;
}

bool flags_ok(long flags) {
  bool exec = flags & SDRAD_EXECUTION_DOMAIN, data = flags & SDRAD_DATA_DOMAIN;
  if (exec == data) return false;
  if ((flags & SDRAD_ISOLATED_DOMAIN) && (flags & SDRAD_NONISOLATED_DOMAIN)) return false;
  if ((flags & SDRAD_SYSCALLS_EPERM) && (flags & SDRAD_SYSCALLS_ANY)) return false;
  long known = SDRAD_EXECUTION_DOMAIN | SDRAD_DATA_DOMAIN | SDRAD_ISOLATED_DOMAIN |
               SDRAD_NONISOLATED_DOMAIN | SDRAD_RETURN_TO_PARENT | SDRAD_RETURN_TO_CURRENT |
               SDRAD_SYSCALLS_EPERM | SDRAD_SYSCALLS_ANY;
  return (flags & ~known) == 0;
}

// The calling thread's instance of a compat domain; nullptr if none.
Instance *compat_instance(uint64_t udi, int64_t *handle_out) {
  int64_t h = domain_find_udi(udi);
  if (h <= 0) return nullptr;
  ThreadState *ts = thread_state();
  if (!ts) return nullptr;
  int err;
  Instance *in = instance_get(ts, h, &err);
  if (handle_out) *handle_out = h;
  return in;
}


struct CallBlock {
  int32_t (*fn)(void *);
  void *arg;
  int32_t ret;
};

void call_entry(void *p) {
  auto *b = (CallBlock *)p;
  b->ret = b->fn(b->arg);
}

// Domain heaps are used directly (no block headers), under the corruption
// guard: a heap the domain corrupted fails the call instead of the caller.
template <class R, class F>
R on_domain_heap(Instance *in, R failed, F fn) {
  R r = failed;
  if (!guarded(in, [&] { r = fn(in->heap); })) return failed;
  return r;
}

// The heap of compat domain `udi` for a heap call (sdrad_malloc & co.),
// or nullptr.  Root may use any domain's heap.  A domain may use its own
// and those of data domains it was granted write access to
// (sdrad_dprotect); anything else, the root heap included, is refused as
// a fault of the calling domain.
Instance *heap_target(ThreadState *ts, uint64_t udi, const char *what) {
  const Instance *caller = calling_instance(ts);
  if (caller && udi == SDRAD_ROOT_DOMAIN) gate_refuse(ts, what, nullptr);
  Instance *in = compat_instance(udi, nullptr);
  if (!in || !caller || in == caller) return in;
  int idx = handle_index(domain_handle_of(in->dom));
  if (caller->dom->grant_rw[idx / 64] >> (idx % 64) & 1) return in;
  gate_refuse(ts, what, (void *)(uintptr_t)udi);
}

// The function a return address lies in (its FDE's start), or 0.
// The function a return address lies in, from the runtime's own copy of the
// unwind tables' ranges (unwind_ranges.cpp): libgcc's registry of frame
// info is key-0 data a domain can add a forged FDE to.
uintptr_t function_of(uintptr_t ret) { return ret ? function_start_of(ret - 1) : 0; }

// sdrad_exit's address as the program's calls reach it: its canonical
// address (a non-PIE executable's PLT entry) or the code itself.
extern "C" char sdrad_exit_code[] SDRAD_HIDDEN;
bool is_sdrad_exit(uintptr_t a) { return a == (uintptr_t)&sdrad_exit || a == (uintptr_t)sdrad_exit_code; }

// The function a PLT entry at `t` jumps to (through its GOT slot), or 0:
// [endbr64] [bnd] jmp *disp32(%rip).  Read only where the unwind tables
// know the code (the entry lies in a mapped, read-only text segment).
uintptr_t plt_target(uintptr_t t) {
  if (!function_start_of(t) || !function_start_of(t + 10)) return 0;
  const uint8_t *p = (const uint8_t *)t;
  if (p[0] == 0xf3 && p[1] == 0x0f && p[2] == 0x1e && p[3] == 0xfa) p += 4;
  if (p[0] == 0xf2) ++p;
  if (p[0] != 0xff || p[1] != 0x25) return 0;
  int32_t disp;
  memcpy(&disp, p + 2, 4);
  return *(const uintptr_t *)(p + 6 + disp);
}

// sdrad_exit's return address must follow a call of sdrad_exit in the
// function that entered (`fn`): `call rel32` to it or to a PLT entry that
// jumps to it, or `call *disp32(%rip)` through a GOT slot that holds it
// (-fno-plt).  A chosen address that merely lies in that function, or
// right after its end (function_of looks at ret - 1: the first
// instruction of the next function), is not one.
bool follows_exit_call(uintptr_t ret, uintptr_t fn) {
  if (ret < fn + 5) return false;
  const uint8_t *p = (const uint8_t *)ret;  // [fn, ret) is the function's code
  int32_t disp;
  if (p[-5] == 0xe8) {
    memcpy(&disp, p - 4, 4);
    uintptr_t t = ret + (intptr_t)disp;
    if (is_sdrad_exit(t) || is_sdrad_exit(plt_target(t))) return true;
  }
  if (ret >= fn + 6 && p[-6] == 0xff && p[-5] == 0x15) {
    memcpy(&disp, p - 4, 4);
    if (is_sdrad_exit(*(const uintptr_t *)(ret + (intptr_t)disp))) return true;
  }
  return false;
}

}  // namespace

bool sdrad::runtime_entry(void (*entry)(void *)) { return entry == call_entry; }

extern "C" {

SDRAD_HIDDEN int32_t sdrad_impl_init(uint64_t udi, long flags, const JmpCtx *ctx) {
  ensure_initialized();
  if (udi == SDRAD_ROOT_DOMAIN || !flags_ok(flags)) return SDRAD_ERROR_WRONG_CONFIG;
  ThreadState *ts = thread_state();
  if (!ts) return SDRAD_ERROR_NO_EC;
  bool is_data = flags & SDRAD_DATA_DOMAIN;
  int64_t h = domain_find_udi(udi);
  int32_t result = SDRAD_SUCCESSFUL_RETURNED;
  if (h <= 0) {
    char name[32];
    snprintf(name, sizeof(name), "udi-%llu", (unsigned long long)udi);
    h = domain_register(name, SDRAD_POLICY_INTEGRITY, udi, (uint32_t)flags, is_data);
    if (h == SDRAD_E_NO_KEY) return SDRAD_ERROR_NO_PKEY;
    if (h < 0) return SDRAD_ERROR_WRONG_CONFIG;
    Domain *d = domain_at(h);
    d->isolated = (flags & SDRAD_ISOLATED_DOMAIN) != 0;
    d->creator = ts->depth > 0 ? ts->frames[ts->depth - 1].handle : 0;
  } else {
    Domain *d = domain_at(h);
    if ((d->is_data != 0) != is_data) return SDRAD_ERROR_WRONG_CONFIG;
  }
  Domain *d = domain_at(h);
  int err;
  Instance *in = instance_get(ts, h, &err);
  if (!in) return err == SDRAD_E_NO_MEMORY ? SDRAD_ERROR_NO_EC : SDRAD_ERROR_NO_DOMAIN;
  if (in->compat_state == 1) return SDRAD_ERROR_DOMAIN_ALREADY_INIT;
  if (in->compat_state == 2) result = SDRAD_WARNING_SAVE_EC;
  in->compat_state = 1;
  if (!is_data) {
    in->init_ctx = *ctx;
    in->init_ctx.pkru = ts->cur_pkru;
    in->init_depth = ts->depth;
    in->has_init_ctx = true;
  }
  // An isolated domain's memory is closed to its parent (this thread).
  if (d->isolated && in->key > 0 && ts->depth == 0) ts->cur_pkru |= pkru_bits(in->key, false, false);
  return result;
}

SDRAD_HIDDEN int64_t sdrad_impl_enter(uint64_t udi, uintptr_t *ret_slot) {
  int64_t h;
  Instance *in = compat_instance(udi, &h);
  if (!in || in->dom->is_data || in->compat_state != 1) return SDRAD_ERROR_NO_DOMAIN;
  if (in->active) return SDRAD_ERROR_DOMAIN_ALREADY_INIT;
  ThreadState *ts = thread_state();
  // A fault rewinds to where sdrad_init saved its context: that must be
  // code running with the rights and at the depth of whoever enters now.
  // (A domain could otherwise initialise a udi before root does and catch
  // root's rewind in its own code.)
  if (in->init_depth != ts->depth || in->init_ctx.pkru != ts->cur_pkru) {
    if (calling_instance(ts)) gate_refuse(ts, "sdrad_enter", (void *)(uintptr_t)udi);
    say("sdrad_enter(%llu) refused: the domain was initialised by other code (another domain) than the "
        "one entering it", (unsigned long long)udi);
    return SDRAD_ERROR_NO_DOMAIN;
  }
  // From inside a domain, only into a domain it created itself: entering
  // another would take over that domain's rights (and dprotect grants).
  if (const Instance *caller = calling_instance(ts); caller && in->dom->creator != domain_handle_of(caller->dom))
    gate_refuse(ts, "sdrad_enter", (void *)(uintptr_t)udi);
  // sdrad_exit must return into the function that called sdrad_enter.
  uintptr_t fn = function_of(*ret_slot);
  if (!fn) {
    say("sdrad_enter(%llu) refused: no unwind information for its caller (compile with "
        "-fasynchronous-unwind-tables, the default on x86-64)", (unsigned long long)udi);
    return SDRAD_ERROR_NO_DOMAIN;
  }
  Frame *f = push_compat_frame(ts, in, h, (uintptr_t)(ret_slot + 1));
  if (!f) return SDRAD_ERROR_NO_EC;
  f->compat_enter_fn = fn;
  // The caller resumes on the domain stack: its return address goes on top.
  uintptr_t sp = in->stack_hi - 64 - 8;
  *(uintptr_t *)sp = *ret_slot;
  return (int64_t)sp;
}

SDRAD_HIDDEN int64_t sdrad_impl_exit(uintptr_t *ret_slot) {
  ThreadState *ts = thread_state_if_any();
  if (!ts || ts->depth == 0 || ts->frames[ts->depth - 1].kind != kFrameCompat) {
    say("sdrad_exit() without a matching sdrad_enter(): ignored");
    return SDRAD_ERROR_NO_DOMAIN;
  }
  Frame *f = &ts->frames[ts->depth - 1];
  uintptr_t sp = f->compat_root_rsp - 8;
  // The return address is on the domain's stack: it may only lead back
  // into the function that entered, which then runs with the parent's
  // rights again.
  uintptr_t ret = *ret_slot;
  if (function_of(ret) != f->compat_enter_fn || !follows_exit_call(ret, f->compat_enter_fn))
    gate_refuse(ts, "sdrad_exit", (void *)ret);
  if (!stack_canary_ok(f->inst)) {
    sdrad_fault fl;
    fault_fill(fl, SDRAD_FAULT_CANARY, ts);
    rewind_innermost(ts, fl);
  }
  bool libc = libc_check_needed(f->inst);
  if (!root_state_restore(f, libc) || (libc && !stdio_streams_ok())) {
    sdrad_fault fl;
    fault_fill(fl, SDRAD_FAULT_ROOT_STATE, ts);
    rewind_innermost(ts, fl);
  }
  pop_compat_frame(ts);
  *(uintptr_t *)sp = ret;
  return (int64_t)sp;
}

// The domain running on this thread (0: root).
static int64_t calling_domain() {
  ThreadState *ts = thread_state_if_any();
  return ts && ts->depth > 0 ? ts->frames[ts->depth - 1].handle : 0;
}

// Root manages every domain; a domain only those it created itself.
static bool may_manage(int64_t h, const char *what, uint64_t udi) {
  int64_t caller = calling_domain();
  if (caller == 0 || domain_at(h)->creator == caller) return true;
  say("%s(%llu) refused: a domain may only manage domains it created", what, (unsigned long long)udi);
  return false;
}

SDRAD_HIDDEN int32_t sdrad_impl_deinit(uint64_t udi) {
  int64_t h;
  Instance *in = compat_instance(udi, &h);
  if (!in) return SDRAD_ERROR_NO_DOMAIN;
  if (!may_manage(h, "sdrad_deinit", udi)) return SDRAD_ERROR_WRONG_CONFIG;
  if (in->active) return SDRAD_ERROR_WRONG_CONFIG;
  in->compat_state = 2;  // memory kept; sdrad_init saves a context again
  return 0;
}

SDRAD_HIDDEN int32_t sdrad_impl_destroy(uint64_t udi, int32_t options) {
  if (options & SDRAD_HEAP_MERGE) {
    say("sdrad_destroy: SDRAD_HEAP_MERGE is not supported (domain heaps live in the domain's "
        "own region); use SDRAD_NO_HEAP_MERGE");
    return SDRAD_ERROR_WRONG_CONFIG;
  }
  int64_t h = domain_find_udi(udi);
  if (h <= 0) return SDRAD_ERROR_NO_DOMAIN;
  if (!may_manage(h, "sdrad_destroy", udi)) return SDRAD_ERROR_WRONG_CONFIG;
  ThreadState *ts = thread_state();
  int idx = handle_index(h);
  Instance *mine = ts->inst[idx];
  if (mine && mine->active) return SDRAD_ERROR_WRONG_CONFIG;
  Domain *d = domain_at(h);
  if (d->isolated && mine && mine->key > 0) ts->cur_pkru &= ~pkru_bits(mine->key, false, false);
  instance_release(ts, idx);
  domain_destroy(h);
  return 0;
}

SDRAD_HIDDEN int32_t sdrad_impl_dprotect(uint64_t target, uint64_t source, int32_t access) {
  if (access < SDRAD_NO_ACCESS || access > SDRAD_WRITE_ACCESS) return SDRAD_ERROR_WRONG_CONFIG;
  // Access is granted by root: a domain must not widen its own (or any
  // other domain's) rights.
  if (ThreadState *ts = thread_state_if_any(); ts && ts->depth > 0) {
    say("sdrad_dprotect(%llu, %llu) refused: only root code may grant access to a data domain",
        (unsigned long long)target, (unsigned long long)source);
    return SDRAD_ERROR_WRONG_CONFIG;
  }
  int64_t hs = domain_find_udi(source);
  if (hs <= 0) return SDRAD_ERROR_NO_DOMAIN;
  if (target == SDRAD_ROOT_DOMAIN) return 0;  // root reaches every domain
  int64_t ht = domain_find_udi(target);
  if (ht <= 0) return SDRAD_ERROR_NO_DOMAIN;
  Domain *t = domain_at(ht), *s = domain_at(hs);
  int si = handle_index(hs);
  uint64_t bit = s->key > 0 ? 1ull << s->key : 0;
  t->allow_rw &= ~bit;
  t->allow_ro &= ~bit;
  t->deny &= ~bit;
  t->grant_rw[si / 64] &= ~(1ull << (si % 64));
  t->grant_ro[si / 64] &= ~(1ull << (si % 64));
  if (access == SDRAD_WRITE_ACCESS) {
    t->allow_rw |= bit;
    t->grant_rw[si / 64] |= 1ull << (si % 64);
  } else if (access == SDRAD_READ_ACCESS) {
    t->allow_ro |= bit;
    t->grant_ro[si / 64] |= 1ull << (si % 64);
  } else {
    t->deny |= bit;  // closed: neither read nor write, regardless of policy
  }
  __atomic_add_fetch(&t->grants_gen, 1, __ATOMIC_RELEASE);
  return 0;
}

SDRAD_HIDDEN void *sdrad_impl_malloc(uint64_t udi, size_t size) {
  ThreadState *ts = thread_state();
  if (udi == SDRAD_ROOT_DOMAIN && !calling_instance(ts)) return on_root_heap([&] { return malloc(size); });
  Instance *in = heap_target(ts, udi, "sdrad_malloc");
  if (!in) return nullptr;
  return on_domain_heap(in, (void *)nullptr, [&](Heap *h) { return heap_malloc(h, size); });
}

SDRAD_HIDDEN void *sdrad_impl_calloc(uint64_t udi, size_t n, size_t m) {
  size_t total;
  if (__builtin_mul_overflow(n, m, &total)) return nullptr;
  ThreadState *ts = thread_state();
  if (udi == SDRAD_ROOT_DOMAIN && !calling_instance(ts)) return on_root_heap([&] { return calloc(n, m); });
  Instance *in = heap_target(ts, udi, "sdrad_calloc");
  if (!in) return nullptr;
  return on_domain_heap(in, (void *)nullptr, [&](Heap *h) {
    void *p = heap_malloc(h, total);
    if (p) memset(p, 0, total);
    return p;
  });
}

SDRAD_HIDDEN void sdrad_impl_free(uint64_t udi, void *p) {
  if (!p) return;
  ThreadState *ts = thread_state();
  if (udi == SDRAD_ROOT_DOMAIN && !calling_instance(ts)) {
    on_root_heap([&] { free(p); return 0; });
    return;
  }
  Instance *in = heap_target(ts, udi, "sdrad_free");
  if (!in || !heap_contains(in->heap, p)) {
    say("sdrad_free(%llu, %p) refused: %s", (unsigned long long)udi, p,
        in ? "not in that domain's heap" : "no such domain");
    return;
  }
  on_domain_heap(in, 0, [&](Heap *h) { heap_free(h, p); return 0; });
}

SDRAD_HIDDEN void *sdrad_impl_realloc(uint64_t udi, void *p, size_t size) {
  ThreadState *ts = thread_state();
  if (udi == SDRAD_ROOT_DOMAIN && !calling_instance(ts)) return on_root_heap([&] { return realloc(p, size); });
  Instance *in = heap_target(ts, udi, "sdrad_realloc");
  if (!in) return nullptr;
  if (p && !heap_contains(in->heap, p)) {
    say("sdrad_realloc(%llu, %p) refused: not in that domain's heap", (unsigned long long)udi, p);
    return nullptr;
  }
  return on_domain_heap(in, (void *)nullptr, [&](Heap *h) {
    if (!p) return heap_malloc(h, size);
    if (size == 0) {
      heap_free(h, p);
      return (void *)nullptr;
    }
    return heap_realloc(h, p, size);
  });
}

SDRAD_HIDDEN int sdrad_impl_memalign(uint64_t udi, void **out, size_t align, size_t size) {
  if (!out) return SDRAD_ERROR_WRONG_CONFIG;
  ThreadState *ts = thread_state();
  check_caller_write(ts, "sdrad_memalign", out, sizeof(*out));
  if (udi == SDRAD_ROOT_DOMAIN && !calling_instance(ts))
    return on_root_heap([&] { return posix_memalign(out, align, size); });
  Instance *in = heap_target(ts, udi, "sdrad_memalign");
  if (!in) return SDRAD_ERROR_NO_DOMAIN;
  if (align < sizeof(void *) || (align & (align - 1))) return EINVAL;
  void *p = on_domain_heap(in, (void *)nullptr, [&](Heap *h) { return heap_memalign(h, align, size); });
  if (!p) return ENOMEM;
  *out = p;
  return 0;
}

// Creates the compat domain `udi` for sdrad_call (as SDRaD's sdrad_call
// does through sdrad_init: an execution domain, not isolated).  Returns its
// handle or a negative SDRaD error.
static int64_t compat_create_for_call(uint64_t udi) {
  ThreadState *ts = thread_state();
  if (!ts) return SDRAD_ERROR_NO_EC;
  char name[32];
  snprintf(name, sizeof(name), "udi-%llu", (unsigned long long)udi);
  int64_t h = domain_register(name, SDRAD_POLICY_INTEGRITY, udi,
                              (uint32_t)(SDRAD_EXECUTION_DOMAIN | SDRAD_NONISOLATED_DOMAIN), false);
  if (h == SDRAD_E_NO_KEY) return SDRAD_ERROR_NO_PKEY;
  if (h < 0) return SDRAD_ERROR_WRONG_CONFIG;
  domain_at(h)->creator = ts->depth > 0 ? ts->frames[ts->depth - 1].handle : 0;
  return h;
}

// Runs fn(copy of arg) in domain h; SDRAD_SUCCESSFUL_RETURNED, the udi
// after an abnormal exit, or an error.
static int32_t compat_run(uint64_t udi, int64_t h, int32_t (*fn)(), void *arg, size_t arg_size, int32_t *ret) {
  auto *blk = (CallBlock *)sdrad_impl_block_alloc(h, sizeof(CallBlock));
  if (!blk) return SDRAD_ERROR_NO_EC;
  void *copy = arg;
  if (arg && arg_size) {
    copy = sdrad_impl_block_alloc(h, arg_size);
    if (!copy) return SDRAD_ERROR_NO_EC;
    memcpy(copy, arg, arg_size);
  }
  blk->fn = (int32_t(*)(void *))(void *)fn;  // SDRaD passes the argument block
  blk->arg = copy;
  int32_t st = sdrad_impl_call(h, call_entry, blk);
  if (st > 0) return (int32_t)udi;
  if (st < 0) return SDRAD_ERROR_NO_DOMAIN;
  if (ret) *ret = blk->ret;
  if (copy != arg) {
    if (arg) memcpy(arg, copy, arg_size);  // results written into the argument
    sdrad_impl_block_free(h, copy);
  }
  sdrad_impl_block_free(h, blk);
  return SDRAD_SUCCESSFUL_RETURNED;
}

// As SDRaD: a udi with no domain (never initialised, or destroyed) gets a
// domain for this call only, destroyed afterwards (also after a fault).
// A de-initialised domain runs the call and is destroyed too (SDRaD's
// sdrad_init accepts it again).  An initialised domain (sdrad_init without
// sdrad_deinit) runs the call and is kept: SDRaD refuses that case with
// SDRAD_ERROR_DOMAIN_ALREADY_INIT (docs/sdrad-api.md, differences).
SDRAD_HIDDEN int32_t sdrad_impl_sdrad_call(uint64_t udi, int32_t (*fn)(), void *arg, size_t arg_size,
                                           int32_t *ret) {
  ensure_initialized();
  if (udi == SDRAD_ROOT_DOMAIN || !fn) return SDRAD_ERROR_WRONG_CONFIG;
  ThreadState *ts = thread_state();
  if (!ts) return SDRAD_ERROR_NO_EC;
  if (arg && arg_size) check_caller_write(ts, "sdrad_call", arg, arg_size);
  if (ret) check_caller_write(ts, "sdrad_call", ret, sizeof(*ret));
  int64_t h = domain_find_udi(udi);
  bool temporary = h <= 0;
  if (temporary) {
    h = compat_create_for_call(udi);
    if (h < 0) return (int32_t)h;
  } else if (!may_manage(h, "sdrad_call", udi)) {
    return SDRAD_ERROR_WRONG_CONFIG;
  }
  Instance *in = compat_instance(udi, nullptr);
  if (!in || in->dom->is_data) {
    if (temporary) sdrad_impl_destroy(udi, SDRAD_NO_HEAP_MERGE);
    return in ? SDRAD_ERROR_WRONG_CONFIG : SDRAD_ERROR_NO_DOMAIN;
  }
  if (in->active) return SDRAD_ERROR_DOMAIN_ALREADY_INIT;
  if (in->compat_state == 2) temporary = true;
  int32_t st = compat_run(udi, h, fn, arg, arg_size, ret);
  if (temporary) sdrad_impl_destroy(udi, SDRAD_NO_HEAP_MERGE);
  return st;
}

}  // extern "C"
