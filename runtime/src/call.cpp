// Entering and leaving domains: the thunk ABI's __sdrad_call(_with), the
// normal return path, and the rewind path shared by signals and software
// faults.
//
// The call path, in order (file: function), for the fused no-argument call
// from root -- three hops into assembly and back, each for something C++
// cannot do (switch PKRU, switch stacks, jump to a saved context):
//
//   thunk (plugin / bench/thunk.h)       block on the caller's stack
//   switch.S: __sdrad_call_with          the common case from root (existing
//                                        instance, no time limit or init due,
//                                        rights and heap limit current, block
//                                        0 or 8-64 bytes): the checks and the
//                                        frame below in assembly, the thunk's
//                                        context saved in the frame, then the
//                                        drop (DROP_AND_RUN) itself; the
//                                        return copies the block back (the
//                                        frame's copy_dst/src/size) and jumps
//                                        straight to the thunk; otherwise:
//   switch.S: GATE sdrad_call_with_gate  no PKU: jump to the impl; PKU: RDPKRU,
//                                        elevate only when called from a domain
//   call.cpp: sdrad_impl_call_with       thread state (validated), enterable(),
//                                        caller checks (nested calls only),
//                                        block copied to the top of the domain
//                                        stack, run_call(): frame + push_frame()
//                                        (liveness, TLS canary/guard, exit-list
//                                        head, depth, t_heap, PKRU, selector)
//   switch.S: sdrad_enter_and_run        save context in the frame, domain
//                                        stack, WRPKRU(domain) + check
//   switch.S: (DROP_AND_RUN)             entry(block), an escaping exception
//                                        caught (its LSDA: catch (...))
//   switch.S: (after the call)           ELEVATE; a successful return from
//                                        root (depth 1): RETURN_FAST makes the
//                                        checks below as compares, pops the
//                                        frame and jumps back itself; any
//                                        difference or other case:
//   call.cpp: sdrad_domain_returned      thread state again (registers and the
//                                        domain stack are the domain's), stack
//                                        canary, root_state_restore, stdio
//                                        check; success: a fast-path block
//                                        copied back, pop_frame() and
//   switch.S: sdrad_jump                 back into sdrad_impl_call_with after
//                                        sdrad_enter_and_run, PKRU of the frame
//   call.cpp: sdrad_impl_call_with       block copied back
//   switch.S: GATE epilogue              PKU from a domain: WRPKRU(caller) + check
//
// A fault status (an escaped exception or a failed check) or a rewind
// (signals.cpp, sdrad_soft_fault_impl, liveness.cpp) goes through
// rewind_innermost -> finish_frame, which moves below the entry's stack
// pointer (sdrad_call_on_stack) because the discard wipes the domain stack,
// then finish_frame_here: discard (memory.cpp), pop_frame, sdrad_jump with
// the fault kind.  Fault reports: fault.cpp.
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"
#include "sdrad/abi.h"

namespace sdrad {

// Offsets the assembly uses: asm_offsets.h, checked in shared_page.h and state.h.
static_assert(offsetof(Frame, ctx) == 0, "switch.S: a Frame starts with its JmpCtx");
static_assert(offsetof(SharedPage, canary_secret) == SP_CANARY_SECRET && offsetof(SharedPage, avx2) == SP_AVX2,
              "asm_offsets.h: SharedPage (switch.S's return path)");
static_assert(F_POINTER_GUARD == F_TLS_CANARY + 8 && F_EXIT_HEAD == F_TLS_CANARY + 16 && F_DEADLINE == F_TLS_CANARY + 24 &&
                  sizeof(Frame::deadline_ms) == 8,
              "switch.S's return path compares these 32 bytes of a Frame at once");

namespace {

uint64_t canary_for(const Instance *in) { return g_shared.canary_secret ^ in->stack_hi; }

// The domain-visible state of the thread changes only here (and in
// finish_frame): the malloc target and the PKRU gates drop back to.
// switch.S's __sdrad_call_with fast path does what run_call and this do
// for its case: a change here must be made there too.
__attribute__((always_inline)) inline void push_frame(ThreadState *ts, Frame *f, Instance *in) {
  // liveness_on_entry (deadline, heap limit) for the common case inline: a
  // call from root into a domain without a time limit has no deadline; the
  // heap limit is opened from root-owned settings when it changed (state.h).
  const Domain *d = in->dom;
  if (__builtin_expect(!d->liveness.timeout_ms && ts->depth == 0, 1)) {
    f->deadline_ms = 0;
    heap_limit_current(in);
  } else {
    liveness_on_entry(ts, f, in);
  }
  f->tls_canary = tls_word(kTlsCanary);
  f->pointer_guard = tls_word(kTlsPointerGuard);
  tls_watched_save(f->tls_watched);
  if (g_shared.exit_head_addr) f->exit_head = *(const uintptr_t *)g_shared.exit_head_addr;
  f->parent_inside = t_runtime.inside;
  t_runtime.inside = 0;  // the domain's own code runs next
  // cur_pkru before depth (and the reverse in pop_frame): a signal handler
  // returns through the PKRU cur_pkru names, and one that found depth > 0
  // with root's PKRU there took it for a gate violation (switch.S,
  // SIGNAL_ENTRY; seen under a signal storm, per-call confinement).
  ts->cur_pkru = instance_pkru(in);
  __atomic_signal_fence(__ATOMIC_SEQ_CST);
  ts->depth++;
  in->active = true;
  in->dom->calls.fetch_add(1, std::memory_order_relaxed);
  t_heap = in->heap;
  confine_sync(ts);
}

// Pops the innermost frame: the thread is back in its caller's domain (or
// root), with the caller's malloc target, PKRU and syscall selector.
// switch.S's RETURN_FAST does the same for a root call: keep them in step.
__attribute__((always_inline)) inline void pop_frame(ThreadState *ts, Frame *f) {
  f->inst->active = false;
  t_heap = f->parent_heap;
  ts->depth--;
  __atomic_signal_fence(__ATOMIC_SEQ_CST);
  ts->cur_pkru = f->parent_pkru;
  t_runtime.inside = f->parent_inside;
  confine_sync(ts);
}

}  // namespace

// The TLS canary and pointer guard are key-0 memory the domain can write;
// root's next function return (canary) or atexit/setjmp (guard) depends on
// them; so does exit on libc's exit-handler list head (libc_state.cpp),
// the thread's end on glibc's thread_local destructor list head, and
// toupper & co. on the thread's locale and ctype table pointers.
// Put back on every exit; a change is a fault of the domain.
// libc's part only if `libc` (libc_check_needed: the domain may have
// written libc's data; always on a fault's way out).
__attribute__((always_inline)) inline bool root_state_restore_here(const Frame *f, bool libc) {
  bool same = tls_word(kTlsCanary) == f->tls_canary && tls_word(kTlsPointerGuard) == f->pointer_guard;
  if (!same) {
    tls_word_set(kTlsCanary, f->tls_canary);
    tls_word_set(kTlsPointerGuard, f->pointer_guard);
  }
  // a forged thread_local destructor (rows rt9b_tls_dtor_*), a locale of
  // the domain's (row rt9b_tls_locale_toupper)
  if (!tls_watched_restore(f->tls_watched)) same = false;
  if (!libc) return same;
  if (uintptr_t h = g_shared.exit_head_addr; h && *(const uintptr_t *)h != f->exit_head && !exit_head_ok(f->exit_head))
    same = false;
  if (!stdio_io_list_ok(f->inst)) same = false;
  if (!exit_handlers_ok()) same = false;
  return same;
}
bool root_state_restore(const Frame *f, bool libc) { return root_state_restore_here(f, libc); }

namespace {

}  // namespace

void stack_canary_place(Instance *in) {
  if (in->stack_hi) *(uint64_t *)(in->stack_hi - 16) = canary_for(in);
}

bool stack_canary_ok(const Instance *in) {
  return !in->stack_hi || *(const uint64_t *)(in->stack_hi - 16) == canary_for(in);
}

extern "C" [[noreturn]] void sdrad_call_on_stack(void (*fn)(void *, int32_t), void *a, int32_t b,
                                                  uintptr_t sp);

// Pops the innermost frame and jumps back to where it was entered.  A
// non-zero status discards the instance: its heap and stack are wiped.
// An asynchronous cancellation that waits for this rewind ends every call
// of the thread, innermost first; the outermost lands in root (cancel.cpp).
static bool rewind_ends_every_call(const ThreadState *ts, int32_t status) {
  return ts->cancel_due == kCancelWaiting && status != 0;
}

[[noreturn]] static void finish_frame_here(void *tsv, int32_t status) {
  ThreadState *ts = (ThreadState *)tsv;
  bool cancelled = rewind_ends_every_call(ts, status);
  if (cancelled)
    while (ts->depth > 1) {
      Frame *g = &ts->frames[ts->depth - 1];
      Instance *gi = g->inst;
      gi->dom->faults.fetch_add(1, std::memory_order_relaxed);
      instance_discard(gi);
      pop_frame(ts, g);
      liveness_after_discard(gi);
    }
  Frame *f = &ts->frames[ts->depth - 1];
  Instance *in = f->inst;
  int64_t value = status;
  const JmpCtx *ctx = &f->ctx;
  if (status != 0) {
    root_state_restore(f);  // the normal return checked them already
    in->dom->faults.fetch_add(1, std::memory_order_relaxed);
    instance_discard(in);
    if (f->kind == kFrameCompat) {
      // SDRaD semantics: control comes back out of sdrad_init with the udi.
      in->compat_state = 0;
      ctx = &in->init_ctx;
      value = (int32_t)in->dom->udi;
    }
  }
  // A re-arm a handler left due in the abandoned context never runs: the
  // next one must not take it for in flight (syscall_confine.cpp).
  ts->sud_pending = 0;
  // Before depth 0: from here the landing acts, not the watchdog.
  if (cancelled) ts->cancel_due = kCancelLanding;
  pop_frame(ts, f);
  // A compat rewind lands in sdrad_init's caller, outside every gate.
  if (ctx != &f->ctx) t_runtime.inside = 0;
  // An asynchronous cancellation waited for this: it acts from root's
  // frames (cancel.cpp).  The popped frame's context is dead: changed in place.
  if (cancelled) ctx = cancel_landing_arm(ts, &f->ctx, ctx);
  if (status != 0) liveness_after_discard(in);  // epoch, after-discard hook
  // Into a confined domain's code (a compat rewind into its parent): the
  // drop checks the selector pop_frame blocked (syscall_rearm.S).
  uintptr_t selector = ctx->pkru ? jump_selector(ts) : 0;
  mark_dom_code(ts, ctx->pkru);  // into a domain's code only for compat contexts
  if (selector) sdrad_jump_to_domain(ctx, value, selector);
  sdrad_jump(ctx, value);
}

// We may be running on the domain's own stack (software faults, the normal
// return path): move below the entry's saved stack pointer first, where
// nothing live remains, since the discard wipes the domain stack.
[[noreturn]] static void finish_frame(ThreadState *ts, int32_t status) {
  ts->frames[ts->depth - 1].deadline_ms = 0;  // leaving: no time limit applies any more
  // A cancellation leaves every call (finish_frame_here): root's stack.
  const Frame *f = &ts->frames[rewind_ends_every_call(ts, status) ? 0 : ts->depth - 1];
  uintptr_t sp = f->kind == kFrameCompat ? f->compat_root_rsp : f->ctx.rsp;
  if (f->kind == kFrameCompat && f->inst->init_ctx.rsp < sp) sp = f->inst->init_ctx.rsp;
  sp = (sp - 1024) & ~(uintptr_t)15;
  sdrad_call_on_stack(finish_frame_here, ts, status, sp);
}

[[noreturn]] void rewind_innermost(ThreadState *ts, const sdrad_fault &f) {
  ts->dom_code = 0;  // the runtime runs until the jump (signals.cpp)
  record_fault(ts, f);
  finish_frame(ts, f.kind);
}

__thread RuntimeMark t_runtime __asm__("sdrad_t_runtime") __attribute__((tls_model("initial-exec"))) = {0, 0};

bool timeout_deferred(ThreadState *ts) {
  if (g_shared.pku) return false;
  // In a gate, or in another of the runtime's signal handlers (the SIGSYS
  // handler under syscall confinement; sig_depth counts this one too),
  // which returns to the domain without a gate exit: the watchdog's next
  // signal fires it then.
  if (!t_runtime.inside && ts->sig_depth <= 1) return false;
  t_runtime.timeout_pending = 1;  // the frame keeps its deadline: the watchdog also retries
  return true;
}

namespace {
// Nested calls from a domain run runtime code (instance creation, locks)
// before and after the callee: marked like any other gate's.  Calls from
// root skip it (no timeout applies at depth 0).
struct RuntimeScope {
  int saved = -1;
  explicit RuntimeScope(const ThreadState *ts) {
    if (__builtin_expect(ts->depth > 0, 0)) {
      saved = t_runtime.inside;
      t_runtime.inside = 1;
    }
  }
  ~RuntimeScope() {
    if (__builtin_expect(saved < 0, 1)) return;
    t_runtime.inside = (uint8_t)saved;
    if (!saved && t_runtime.timeout_pending) sdrad_runtime_left();
  }
};
}  // namespace

}  // namespace sdrad

using namespace sdrad;

// The entry returned with a fault status, or a check on its return failed.
[[noreturn, gnu::noinline, gnu::cold]] static void domain_returned_fault(ThreadState *ts, int32_t status) {
  sdrad_fault fl;
  fault_fill(fl, status, ts);
  record_fault(ts, fl);
  finish_frame(ts, status);
}

static void frame_copy_back(const Frame *f);

// Reached (elevated) from sdrad_enter_and_run when the entry returned and
// switch.S's RETURN_FAST did not finish the return itself (a fault status,
// a nested frame, anything that differs from its last valid value).  It
// never returns, so it need not preserve the caller's registers: with
// preserve_none (clang >= 19) the prologue saves none, and the status
// arrives in r12 (switch.S passes it in both edi and r12d).
#if defined(__clang__) && __has_attribute(preserve_none)
#define SDRAD_NO_SAVES __attribute__((preserve_none))
#else
#define SDRAD_NO_SAVES
#endif
extern "C" SDRAD_HIDDEN [[noreturn]] SDRAD_NO_SAVES void sdrad_domain_returned(int32_t status) {
  ThreadState *ts = thread_state_if_any();
  if (!ts || ts->depth == 0) fatal("domain return without an active domain");
  Frame *f = &ts->frames[ts->depth - 1];
  f->deadline_ms = 0;  // returned: a late watchdog signal must not rewind it
  if (__builtin_expect(status == 0, 1)) {
    if (!stack_canary_ok(f->inst)) domain_returned_fault(ts, SDRAD_FAULT_CANARY);
    // stdio.cpp: the standard streams only when the TLS words and the
    // exit-list head were intact
    bool libc = libc_check_needed(f->inst);
    if (!root_state_restore_here(f, libc) || (libc && !stdio_streams_ok()))
      domain_returned_fault(ts, SDRAD_FAULT_ROOT_STATE);
    // Nothing to wipe: the block back to a fast-path caller (switch.S,
    // __sdrad_call_with), then pop and jump back from here (still on the
    // domain stack, elevated; the context is in the runtime's state region).
    frame_copy_back(f);
    pop_frame(ts, f);
    mark_dom_code(ts, f->ctx.pkru);
    sdrad_jump(&f->ctx, 0);
  }
  domain_returned_fault(ts, status);
}

// A timeout arrived while runtime code ran for the innermost frame (see
// switch.h); that code has now returned to the domain's.  Not in signal
// context: the rewind runs from here as a software fault does.
extern "C" SDRAD_HIDDEN void sdrad_runtime_left() {
  t_runtime.timeout_pending = 0;
  ThreadState *ts = thread_state_if_any();
  if (!ts || ts->depth == 0) return;
  Frame *f = &ts->frames[ts->depth - 1];
  timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  uint64_t now_ms = (uint64_t)now.tv_sec * 1000 + (uint64_t)now.tv_nsec / 1000000;
  if (!f->deadline_ms || now_ms < f->deadline_ms) return;  // returned, or another frame
  f->deadline_ms = 0;
  sdrad_fault fl;
  fault_fill(fl, SDRAD_FAULT_TIMEOUT, ts);
  fl.pc = (uintptr_t)__builtin_return_address(0);
  rewind_innermost(ts, fl);
}

extern "C" SDRAD_HIDDEN [[noreturn]] void sdrad_soft_fault_impl(int32_t kind) {
  ThreadState *ts = thread_state_if_any();
  if (ts && ts->depth > 0) {
    sdrad_fault f;
    fault_fill(f, kind, ts);
    f.pc = (uintptr_t)__builtin_return_address(0);
    Instance *in = ts->frames[ts->depth - 1].inst;
    uintptr_t sp = (uintptr_t)__builtin_frame_address(0);
    if (sp >= in->stack_lo && sp < in->stack_hi) in->fault_sp = sp;
    rewind_innermost(ts, f);
  }
  // Root: behave as the program would without us.
  if (kind == SDRAD_FAULT_STACK_PROTECTOR) {
    static const char msg[] = "*** stack smashing detected ***: terminated\n";
    ssize_t r = write(2, msg, sizeof(msg) - 1);
    (void)r;
  } else {
    say("fatal: %s outside any domain", sdrad_fault_kind_name(kind));
  }
  abort();
}

extern "C" SDRAD_HIDDEN uint32_t sdrad_gate_caller_pkru() {
  ThreadState *ts = thread_state_if_any();
  return ts ? ts->cur_pkru : g_shared.root_pkru;
}

// ELEVATE_MARKED (gate_macros.inc) when t_ts did not name this thread's
// state: found (and t_ts repaired) by the FS base.
extern "C" SDRAD_HIDDEN void sdrad_mark_runtime_slow() {
  if (ThreadState *ts = thread_state_if_any()) ts->dom_code = 0;
}

// The same, right before a drop into the domain's code (syscall_rearm.S).
extern "C" SDRAD_HIDDEN uint32_t sdrad_gate_domain_pkru() {
  ThreadState *ts = thread_state_if_any();
  if (!ts) return g_shared.root_pkru;
  uint32_t pkru = ts->cur_pkru;
  mark_dom_code(ts, pkru);
  return pkru;
}

// A rights gate was entered with `entry` as PKRU.  A thread the runtime
// believes is root (depth 0) but that runs with fewer rights (a thread
// started from inside a domain inherits its PKRU) keeps what it has.
extern "C" SDRAD_HIDDEN void sdrad_gate_entry_pkru(uint32_t entry) {
  ThreadState *ts = thread_state();
  if (!ts || ts->depth > 0 || entry == ts->cur_pkru) return;
  uint32_t wd = g_shared.root_wd_bits;
  if ((entry & wd) == wd && (ts->cur_pkru & wd) != wd) {
    log_line("thread %d runs with a domain's rights outside any domain: it keeps them", ts->tid);
    ts->cur_pkru = entry;
  }
}

extern "C" SDRAD_HIDDEN void sdrad_gate_assert_root() {
  ThreadState *ts = thread_state_if_any();
  if (ts && ts->depth > 0) sdrad_gate_violation();
}

namespace {

// The calling thread's instance of `handle` if it may be entered now;
// otherwise nullptr with *err set.
Instance *enterable(ThreadState *ts, int64_t handle, int32_t *err) {
  if (ts->depth >= kMaxDepth) {
    *err = SDRAD_E_NESTING;
    return nullptr;
  }
  int e = 0;
  Instance *in = instance_lookup(ts, handle, &e);  // checks the domain is live
  if (__builtin_expect(in != nullptr, 1) && __builtin_expect(!in->active & !in->dom->is_data, 1)) return in;
  // Active at depth 0: maybe a call a signal handler left (siglongjmp) abandoned.
  if (in && in->active && park_reap_left(ts, (uintptr_t)__builtin_frame_address(0)) && !in->active &&
      !in->dom->is_data)
    return in;
  *err = !in ? e : in->active ? SDRAD_E_NESTING : SDRAD_E_BAD_HANDLE;
  return nullptr;
}

// Pushes a call frame and runs entry(arg) on the instance's stack from sp.
__attribute__((always_inline)) inline int32_t run_call(ThreadState *ts, Instance *in, int64_t handle, void (*entry)(void *), void *arg,
                 uintptr_t sp) {
  Frame *f = &ts->frames[ts->depth];
  f->inst = in;
  f->handle = handle;
  f->kind = kFrameCall;
  f->parent_pkru = ts->cur_pkru;
  f->parent_heap = t_heap;
  f->ctx.pkru = current_pkru();  // elevated here: back to the caller of run_call
  f->copy_size = 0;              // the caller copies its block back itself
  if (__builtin_expect(!in->init_done, 0) && in->dom->liveness.init_fn) {
    uintptr_t blk = liveness_wrap_init(in, entry, arg, sp);  // init function first
    entry = liveness_init_entry;
    arg = (void *)blk;
    sp = blk - 64;
  }
  push_frame(ts, f, in);
  return sdrad_enter_and_run(f, sp, in->pkru, entry, arg, &ts->dom_code);
}

}  // namespace

namespace {
// From inside a domain, only an entry the plugin generated for the domain
// entered (entries.cpp), or the runtime's own.
inline void check_caller_entry(ThreadState *ts, void (*entry)(void *), const Instance *in) {
  if (__builtin_expect(ts->depth == 0, 1)) return;
  if (!runtime_entry(entry) && !entry_registered_for(entry, in->dom))
    gate_refuse(ts, "nested call with an entry not generated for that domain", (void *)entry);
}

// Blocks are small (a few scalars): fixed-size moves that overlap at the
// end instead of a byte loop; memcpy beyond 64 bytes.
template <size_t W>
__attribute__((always_inline)) inline void copy_span(uint8_t *d, const uint8_t *s, size_t n) {
  // W <= n <= 2W: the first W bytes and the last W bytes
  uint8_t a[W], b[W];
  __builtin_memcpy(a, s, W);
  __builtin_memcpy(b, s + n - W, W);
  __builtin_memcpy(d, a, W);
  __builtin_memcpy(d + n - W, b, W);
}
__attribute__((always_inline)) inline void copy_block(void *dst, const void *src, size_t n) {
  uint8_t *d = (uint8_t *)dst;
  const uint8_t *s = (const uint8_t *)src;
  if (__builtin_expect(n >= 8 && n <= 16, 1)) copy_span<8>(d, s, n);
  else if (n > 16 && n <= 32) copy_span<16>(d, s, n);
  else if (n > 32 && n <= 64) copy_span<32>(d, s, n);
  else if (n > 64) memcpy(d, s, n);
  else if (n >= 4) copy_span<4>(d, s, n);
  else
    for (; n; --n) *d++ = *s++;
}
}  // namespace

// A successful return of a frame switch.S's call fast path pushed: its
// block from the top of the domain stack (ending at the canary) back to
// the caller's (8..4096 bytes there).  RETURN_FAST (switch.S) does the same: keep them in step.
static void frame_copy_back(const Frame *f) {
  size_t n = f->copy_size;
  if (f->kind != kFrameCall || !n) return;
  if (n < 8 || n > SDRAD_MAX_INLINE_BLOCK) fatal("call frame with a block of %zu bytes to copy back", n);
  copy_block(f->copy_dst, f->copy_src, n);
}

// The fused form: the block travels on the domain stack, between the stack
// canary and the entry's first frame, so a call with no buffers crosses one
// gate and allocates nothing.  An overflow of the block upwards hits the
// canary; on success the block (with the entry's results) is copied back.
extern "C" SDRAD_HIDDEN int32_t sdrad_impl_call_with(int64_t handle, void (*entry)(void *), void *blk,
                                                    size_t size) {
  ThreadState *ts = thread_state();
  if (!ts) return SDRAD_E_TOO_MANY_DOMAINS;
  RuntimeScope scope(ts);
  if (__builtin_expect((size > SDRAD_MAX_INLINE_BLOCK) | (size && !blk) | !entry, 0))
    return ts->last_error = SDRAD_E_BAD_ARGUMENT;
  int32_t err;
  Instance *in = enterable(ts, handle, &err);
  if (!in) return ts->last_error = err;
  check_caller_entry(ts, entry, in);
  // A nested call's block must be the calling domain's own memory: it is
  // read now and written back after the call with root rights.
  check_caller_write(ts, "__sdrad_call_with", blk, size);
  // Active from the copy on (push_frame sets it again): a signal handler's
  // call into it meanwhile would write over the copy (signals.cpp, park).
  in->active = true;
  uintptr_t copy = in->stack_hi - 16 - align_up(size, 16);  // ends at the canary
  copy_block((void *)copy, blk, size);
  int32_t st = run_call(ts, in, handle, entry, (void *)copy, copy - 64);
  if (st == 0) copy_block(blk, (void *)copy, size);
  return st;
}

extern "C" SDRAD_HIDDEN int32_t sdrad_impl_call(int64_t handle, void (*entry)(void *), void *block) {
  ThreadState *ts = thread_state();
  if (!ts) return SDRAD_E_TOO_MANY_DOMAINS;
  RuntimeScope scope(ts);
  if (!entry) return ts->last_error = SDRAD_E_BAD_ARGUMENT;
  // A nested call's block lives in the caller's memory (see
  // __sdrad_block_alloc): carry it into the callee and back.
  if (size_t size = caller_block_size(ts, block)) return sdrad_impl_call_with(handle, entry, block, size);
  int32_t err;
  Instance *in = enterable(ts, handle, &err);
  if (!in) return ts->last_error = err;
  check_caller_entry(ts, entry, in);
  return run_call(ts, in, handle, entry, block, in->stack_hi - 64);
}

// Used by the SDRaD API (sdrad_enter): a compat frame keeps running in
// the caller's function, so only the frame bookkeeping happens here.
namespace sdrad {
Frame *push_compat_frame(ThreadState *ts, Instance *in, int64_t handle, uintptr_t root_rsp) {
  if (ts->depth >= kMaxDepth) return nullptr;
  Frame *f = &ts->frames[ts->depth];
  f->inst = in;
  f->handle = handle;
  f->kind = kFrameCompat;
  f->parent_pkru = ts->cur_pkru;
  f->parent_heap = t_heap;
  f->compat_root_rsp = root_rsp;
  f->copy_size = 0;
  push_frame(ts, f, in);
  return f;
}

void pop_compat_frame(ThreadState *ts) { pop_frame(ts, &ts->frames[ts->depth - 1]); }
}  // namespace sdrad
