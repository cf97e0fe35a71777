// Fault signals: a per-thread alternate stack, the handler that rewinds a
// faulting domain, and faithful chaining for faults outside every domain.
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>
#include <unwind.h>

#include "internal.h"
#include "sdrad/abi.h"

extern "C" void sdrad_signal_entry(int, siginfo_t *, void *) SDRAD_HIDDEN;
// Root memory (runtime data), set once at start-up; read by the entries.
extern "C" SDRAD_HIDDEN uintptr_t sdrad_alt_arena_base, sdrad_alt_arena_size;
uintptr_t sdrad_alt_arena_base, sdrad_alt_arena_size;

namespace sdrad {

namespace {

constexpr int kSignals[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP, SIGABRT};
struct sigaction g_previous[NSIG];
bool g_fault_signals_installed;
constexpr size_t kAltStack = 64 * 1024;  // outside the arena (no PKU, or arena full)
constexpr size_t kAltBlock = 128 * 1024;  // signal_stack.S: ALT_BLOCK
constexpr size_t kAltRoot = 64 * 1024;    // signal_stack.S: ALT_ROOT
#ifndef SEGV_PKUERR
#define SEGV_PKUERR 4
#endif

int kind_of(int sig, const siginfo_t *info, const ThreadState *ts, uintptr_t sp) {
  switch (sig) {
    case SIGSEGV: {
      if (info->si_code == SEGV_PKUERR) return SDRAD_FAULT_KEY_VIOLATION;
      const Instance *in = ts->frames[ts->depth - 1].inst;
      uintptr_t a = (uintptr_t)info->si_addr;
      // The guard page between heap and stack: a stack overflow if the
      // stack pointer has reached it, else a heap overrun (a plain segv).
      if (in->stack_lo && a < in->stack_lo && a >= in->heap_hi && sp < in->stack_lo + kPage)
        return SDRAD_FAULT_STACK_OVERFLOW;
      return SDRAD_FAULT_SEGV;
    }
    case SIGBUS: return SDRAD_FAULT_BUS;
    case SIGILL: return SDRAD_FAULT_ILL;
    case SIGFPE: return SDRAD_FAULT_FPE;
    case SIGTRAP: return SDRAD_FAULT_TRAP;
    case SIGABRT: return SDRAD_FAULT_ABORT;
  }
  return SDRAD_FAULT_SEGV;
}

int pkey_of(const siginfo_t *info) {
  // si_pkey follows si_addr and si_addr_lsb/bounds in the kernel's layout.
  struct Layout {
    int signo, errno_, code, pad;
    void *addr;
    uint64_t lsb_pad;
    uint32_t pkey;
  };
  return (int)((const Layout *)info)->pkey;
}

// Outside every domain: do what would have happened without us.
void chain(int sig, siginfo_t *info, void *uc) {
  const struct sigaction &old = g_previous[sig];
  if (old.sa_flags & SA_SIGINFO) {
    if (old.sa_sigaction) {
      old.sa_sigaction(sig, info, uc);
      return;
    }
  } else if (old.sa_handler == SIG_IGN) {
    if (sig != SIGSEGV && sig != SIGBUS && sig != SIGILL && sig != SIGFPE) return;
  } else if (old.sa_handler != SIG_DFL) {
    old.sa_handler(sig);
    return;
  }
  // Default action: restore it; a hardware fault re-executes and kills the
  // process with the original signal, a sent or trap signal is raised again
  // (it stays pending until this handler returns).
  struct sigaction dfl;
  memset(&dfl, 0, sizeof(dfl));
  dfl.sa_handler = SIG_DFL;
  real_sigaction(sig, &dfl, nullptr);
  if (info->si_code <= 0 || sig == SIGTRAP || sig == SIGABRT) raise(sig);
}

}  // namespace

// Alternate stacks.  Under PKU each thread's is one block of an arena the
// runtime reserves at start-up, aligned to its size:
//   [base, base + kAltRoot)          root-keyed: the handlers' stack
//   [base + kAltRoot, base + kAltBlock) key 0: where the kernel writes the
//                                       signal frame (it writes it with the
//                                       interrupted PKRU, which always
//                                       allows key 0)
// The whole block is the sigaltstack, so the kernel puts frames at its top.
// The signal entries (switch.S, signal_stack.S) see from the stack pointer
// alone, without a load from domain-writable memory, that they run on the
// key-0 part, copy the frame just below the root part's top and run the
// handler there: a domain on another thread can race the kernel's frame
// (it is validated before use) but no longer the handler's own frames.
// Blocks of exited threads are reused by the next threads.
namespace {
std::atomic<int> g_alt_lock{0};
void *g_alt_free[64];
int g_alt_count;
struct AltLock : SpinGuard {
  AltLock() : SpinGuard(g_alt_lock) {}
};
constexpr size_t kArenaBlocks = 1024;  // 128 MiB of address space, committed per thread
uintptr_t g_arena_next;                 // next unused block
void *g_arena_free[kArenaBlocks];       // blocks of exited threads
size_t g_arena_free_count;
bool g_arena_warned;

bool in_arena(const void *p) {
  return (uintptr_t)p - sdrad_alt_arena_base < sdrad_alt_arena_size;
}

void arena_reserve() {
  if (!g_shared.pku) return;
  size_t len = (kArenaBlocks + 1) * kAltBlock;
  void *m = mmap(nullptr, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (m == MAP_FAILED) {
    say("cannot reserve the signal stack arena: signal handlers run on key-0 stacks");
    return;
  }
  uintptr_t base = align_up((uintptr_t)m, kAltBlock);
  g_arena_next = base;
  sdrad_alt_arena_base = base;
  sdrad_alt_arena_size = kArenaBlocks * kAltBlock;
}

// A fresh block: root-keyed handler part, key-0 frame part.
void *arena_take() {
  uintptr_t b;
  {
    AltLock lock;
    if (!sdrad_alt_arena_size || g_arena_next >= sdrad_alt_arena_base + sdrad_alt_arena_size) return nullptr;
    b = g_arena_next;
    g_arena_next += kAltBlock;
  }
  if (tag_memory((void *)b, kAltRoot, PROT_READ | PROT_WRITE, g_shared.root_key) != 0 ||
      mprotect((void *)(b + kAltRoot), kAltBlock - kAltRoot, PROT_READ | PROT_WRITE) != 0)
    return nullptr;
  return (void *)b;
}
}  // namespace

void altstack_put(void *p) {
  {
    AltLock lock;
    if (in_arena(p)) {  // always fits: one entry per block
      g_arena_free[g_arena_free_count++] = p;
      return;
    }
    if (g_alt_count < 64) {
      g_alt_free[g_alt_count++] = p;
      return;
    }
  }
  munmap(p, kAltStack);
}

void thread_altstack_ensure(ThreadState *ts) {
  if (ts->altstack) return;
  void *p = nullptr;
  {
    AltLock lock;
    if (g_arena_free_count) p = g_arena_free[--g_arena_free_count];
  }
  if (!p && g_shared.pku) p = arena_take();
  if (!p) {
    AltLock lock;
    if (g_alt_count) p = g_alt_free[--g_alt_count];
  }
  size_t size = kAltStack;
  if (p && in_arena(p)) {
    size = kAltBlock;
  } else if (!p) {
    if (g_shared.pku && !g_arena_warned) {
      g_arena_warned = true;
      say("signal stack arena exhausted (%zu threads): further threads' fault handlers run on key-0 "
          "stacks that domains on other threads can write", kArenaBlocks);
    }
    // Key 0: the kernel writes the signal frame with the interrupted PKRU.
    p = mmap(nullptr, kAltStack, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) return;
  }
  stack_t ss{};
  ss.ss_sp = p;
  ss.ss_size = size;
  if (sigaltstack(&ss, nullptr) != 0) {
    altstack_put(p);
    return;
  }
  ts->altstack = p;
  ts->altstack_size = size;
}

void signals_install() {
  arena_reserve();
  for (int sig : kSignals) {
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_sigaction = sdrad_signal_entry;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
    // No asynchronous signal nests in the entry's copy of the frame (while
    // the thread's record still says a domain's code runs, a nested
    // handler would resume it with the domain's PKRU: a key violation in
    // the copy, seen in the signal-storm test under PKU).  The handler's
    // return restores the interrupted mask; a rewind sets it (below).
    sigfillset(&sa.sa_mask);
    for (int s : kSignals) sigdelset(&sa.sa_mask, s);
    sigdelset(&sa.sa_mask, SIGSYS);
    real_sigaction(sig, &sa, &g_previous[sig]);
  }
  g_fault_signals_installed = true;
}

}  // namespace sdrad

// --- the program's handlers run as root code ------------------------------
//
// A program's handler is root code, whatever it interrupted: a domain's
// code, root's, or the runtime's own call path in the middle of a call or
// a return (switch.S: __sdrad_call_with before it sets the depth to 1,
// RETURN_FAST after it set it to 0 and before it read the frame's saved
// context; the same in call.cpp).  The runtime tells a call from root by
// the depth (0) and, under PKU, the gate's PKRU (0, elevated).  So that an
// isolated call the handler makes is root's call (row
// rt10_signal_storm_handler_calls_other_domain) and leaves the interrupted
// one as it was, the thread's call state is parked for the handler's
// duration: the frames up to and including the one being pushed or popped,
// the depth, the recorded PKRU, dom_code, the malloc target, the runtime
// mark and the syscall selector the runtime wants are saved in root memory
// (a pool of slots here: never on the handler's stack, which may be the
// interrupted domain's), the thread is root at depth 0 while the handler
// runs, and all of it is put back before the handler returns.  Instances
// the interrupted context still uses without being marked active (the one
// whose stack it runs on, in a return; the one the call fast path is
// entering, r9 there) are marked active meanwhile: a handler's call into
// them fails with SDRAD_E_NESTING, as one into an active instance does.
// A domain that reaches the entry itself (a forged signal) gets root's
// handler run, as before; it controls the ucontext, which here can only
// make instances refuse calls.
namespace sdrad {
namespace {
struct Park {
  std::atomic<ThreadState *> owner;
  uint64_t seq;          // park order (g_park_seq): a thread's parks nest in this order
  uintptr_t handler_sp;  // the dispatcher's frame: the handler runs below it
  // The handler's signal level (ThreadState::sig_depth when it parked),
  // and whether the jump that left it gave that level back already.
  uint32_t sig_level;
  bool level_given;
  int32_t depth;
  uint32_t cur_pkru, dom_code, sud_want, sud_on;
  Heap *heap;
  RuntimeMark mark;
  uint8_t sud_block;
  // The interrupted context's TLS words root depends on (canary, pointer
  // guard, the watched words), put back when the handler returns.
  uint64_t tls_canary, pointer_guard;
  uintptr_t tls_watched[kTlsWatched];
  uint8_t gate_open[kMaxDepth + 1];
  int n_frames, n_held;
  Instance *held[kMaxDomains];
  Frame frames[kMaxDepth];
};
constexpr int kParkSlots = 64;  // handlers running at once (nested or on other threads)
Park g_park[kParkSlots];
std::atomic<bool> g_park_warned{false};
std::atomic<uint64_t> g_park_seq{1};

Park *park_claim_free(ThreadState *ts) {
  for (Park &p : g_park) {
    ThreadState *none = nullptr;
    if (p.owner.load(std::memory_order_relaxed) == nullptr &&
        p.owner.compare_exchange_strong(none, ts, std::memory_order_acquire))
      return &p;
  }
  return nullptr;
}

// --- parks whose handler was left without returning (siglongjmp) ----------
// Such a handler never unparks: its slot stays claimed and the calls it
// interrupted stay "active" (every later call into those instances is
// refused as nesting).  A park is live while the thread runs inside its
// handler, i.e. somewhere below the handler's frame on the same stack.
// The stacks are told apart by what the runtime knows of the thread: its
// alternate-stack block, its instances' stacks, or else its own stack.
uintptr_t stack_region(const ThreadState *ts, uintptr_t a) {
  uintptr_t alt = (uintptr_t)ts->altstack;
  if (alt && a - alt < ts->altstack_size) return alt;
  for (const Instance *in : ts->inst)
    if (in && in->stack_hi && a >= in->stack_lo && a < in->stack_hi) return in->stack_lo;
  return 1;  // the thread's own stack (or one the runtime does not know)
}

bool park_encloses(const ThreadState *ts, const Park &p, uintptr_t pos) {
  return pos && pos < p.handler_sp && stack_region(ts, pos) == stack_region(ts, p.handler_sp);
}

// The parks of `ts` that no position of the running thread lies inside,
// newer than the newest one some position does (parks nest: a handler
// left by a jump leaves all newer ones too).  Erring towards "live": a
// live park taken for a left one would be given to another handler, a
// left one taken for live only keeps its slot.
uint64_t park_newest_live(const ThreadState *ts, const uintptr_t *pos, int n_pos) {
  uint64_t newest = 0;
  for (const Park &p : g_park) {
    if (p.owner.load(std::memory_order_acquire) != ts || p.seq <= newest) continue;
    for (int i = 0; i < n_pos; ++i)
      if (park_encloses(ts, p, pos[i])) newest = p.seq;
  }
  return newest;
}

// The signal level (confine_signal_enter's count) the left handler took
// is given back.  `own_level`: a handler that is running now counted its
// own level last; its recorded PKRU moves down with it.
void sig_level_drop(ThreadState *ts, bool own_level) {
  uint32_t d = ts->sig_depth;
  if (d == 0 || (own_level && d == 1)) return;
  if (own_level && d <= 8) {
    ts->sig_pkru[d - 2] = ts->sig_pkru[d - 1];
    ts->sig_frame[d - 2] = ts->sig_frame[d - 1];
  }
  ts->sig_depth = d - 1;
}

// A left park: the calls it interrupted were abandoned by the jump; they
// end as a fault would end them (instance wiped, no longer active), and so
// does the hold on the instances the interrupted context used.
void park_abandon(Park &p) {
  for (int i = 0; i < p.n_held; ++i) p.held[i]->active = false;
  int calls = p.depth < p.n_frames ? p.depth : p.n_frames;
  for (int i = calls - 1; i >= 0; --i) {
    Instance *in = p.frames[i].inst;
    if (!in) continue;
    in->active = false;
    in->dom->faults.fetch_add(1, std::memory_order_relaxed);
    instance_discard(in);
  }
  log_line("a signal handler that interrupted %d isolated calls was left without returning: the calls are "
           "abandoned, their instances wiped", calls);
  p.owner.store(nullptr, std::memory_order_release);
}

int park_reap(ThreadState *ts, const uintptr_t *pos, int n_pos, bool in_handler) {
  uint64_t live = park_newest_live(ts, pos, n_pos);
  int reaped = 0;
  for (Park &p : g_park)
    if (p.owner.load(std::memory_order_acquire) == ts && p.seq > live) {
      bool given = p.level_given;
      park_abandon(p);
      if (!given) sig_level_drop(ts, in_handler);  // 0 when nothing counts levels
      ++reaped;
    }
  if (reaped && !in_handler) ts->sud_pending = 0;  // as a rewind does (call.cpp): no re-arm of theirs runs
  return reaped;
}

Park *park_claim(ThreadState *ts, const ucontext_t *uc, uintptr_t here) {
  Park *p = park_claim_free(ts);
  if (!p) {
    uintptr_t pos[3] = {here, uc ? (uintptr_t)uc->uc_mcontext.gregs[REG_RSP] : 0,
                        ts->depth > 0 ? ts->frames[0].ctx.rsp : 0};
    if (park_reap(ts, pos, 3, true)) p = park_claim_free(ts);
  }
  if (p) {
    p->seq = g_park_seq.fetch_add(1, std::memory_order_relaxed);
    p->handler_sp = here;
    p->sig_level = ts->sig_depth;
    p->level_given = false;
  }
  return p;
}

void park_hold(Park *p, Instance *in) {
  if (!in || in->active) return;
  for (int i = 0; i < p->n_held; ++i)
    if (p->held[i] == in) return;
  in->active = true;
  p->held[p->n_held++] = in;
}

// The interrupted context's instances that are not marked active: the one
// whose stack it (or this handler) runs on, and the one the call fast path
// is entering.  Only this thread's instances are considered.
void park_hold_in_use(Park *p, ThreadState *ts, const ucontext_t *uc) {
  uintptr_t sp = uc ? (uintptr_t)uc->uc_mcontext.gregs[REG_RSP] : 0;
  uintptr_t rip = uc ? (uintptr_t)uc->uc_mcontext.gregs[REG_RIP] : 0;
  uintptr_t here = (uintptr_t)__builtin_frame_address(0);
  bool entering = rip >= (uintptr_t)&__sdrad_call_with && rip <= (uintptr_t)sdrad_fast_path_drop;
  Instance *r9 = entering ? (Instance *)uc->uc_mcontext.gregs[REG_R9] : nullptr;
  for (Instance *in : ts->inst) {
    if (!in) continue;
    bool on_stack = in->stack_hi && ((sp >= in->stack_lo && sp < in->stack_hi) || (here >= in->stack_lo && here < in->stack_hi));
    if (on_stack || in == r9) park_hold(p, in);
  }
}
// While a domain's code runs (depth > 0 and, under PKU, dom_code: the
// runtime's record, which no domain can write) the handler runs where the
// kernel put it: on that domain's stack, or on the root part of the
// thread's alternate-stack block.  Anywhere else (the domain aimed its
// stack pointer at other memory, or called the entry itself with it there)
// the handler's frames are in memory that the domain its call enters may
// write (key 0) while root's handler runs: not parked, its calls are the
// interrupted domain's (refused, as before: that domain is faulted).  The
// runtime's own code (dom_code 0) runs on stacks the runtime chose.
// Without PKU nothing is enforced anyway.
bool park_stack_ok(const ThreadState *ts, uintptr_t here) {
  if (!g_shared.pku || ts->depth == 0 || !ts->dom_code) return true;
  uintptr_t alt = (uintptr_t)ts->altstack;
  if (alt && in_arena(ts->altstack) && here - alt < kAltRoot) return true;
  for (int i = 0; i < ts->depth && i < kMaxDepth; ++i) {
    const Instance *in = ts->frames[i].inst;
    if (in && in->stack_hi && here >= in->stack_lo && here < in->stack_hi) return true;
  }
  return false;
}

// Inside a domain the thread's key-0 TLS words are the domain's to write:
// a handler (root code) must not run with a pointer guard, canary or
// locale the domain chose (row rt12_handler_runs_with_domains_locale:
// root's toupper('a') was '!').  Root's, as its outermost call saved them
// (root memory), while the handler runs; the interrupted ones after.
void park_root_tls(Park *p, ThreadState *ts) {
  p->tls_canary = tls_word(kTlsCanary);
  p->pointer_guard = tls_word(kTlsPointerGuard);
  tls_watched_save(p->tls_watched);
  if (ts->depth <= 0) return;
  const Frame &root = ts->frames[0];
  tls_word_set(kTlsCanary, root.tls_canary);
  tls_word_set(kTlsPointerGuard, root.pointer_guard);
  tls_watched_restore(root.tls_watched);
}

Park *park_thread(ThreadState *ts, const ucontext_t *uc, uintptr_t here) {
  if (!park_stack_ok(ts, here)) {
    log_line("a signal handler runs on a stack that is not the interrupted domain's: its isolated calls are "
             "that domain's");
    return nullptr;
  }
  Park *p = park_claim(ts, uc, here);
  if (!p) {
    if (!g_park_warned.exchange(true))
      say("more than %d signal handlers at once: an isolated call from a handler that interrupted a domain is "
          "taken for that domain's", kParkSlots);
    return nullptr;
  }
  int32_t depth = ts->depth;
  p->depth = depth;
  p->n_frames = depth < kMaxDepth ? depth + 1 : kMaxDepth;  // the one being pushed or popped too
  memcpy(p->frames, ts->frames, sizeof(Frame) * p->n_frames);
  memcpy(p->gate_open, ts->gate_open, sizeof p->gate_open);
  p->cur_pkru = ts->cur_pkru;
  p->dom_code = ts->dom_code;
  p->sud_want = ts->sud_want;
  p->sud_on = ts->sud_on;
  p->heap = t_heap;
  p->mark = t_runtime;
  p->sud_block = t_sud_block;
  p->n_held = 0;
  park_hold_in_use(p, ts, uc);
  park_root_tls(p, ts);
  // Root at depth 0 from here (the order of pop_frame: depth last).
  ts->dom_code = 0;
  t_runtime = RuntimeMark{0, 0};
  if (depth > 0) {
    t_heap = ts->frames[0].parent_heap;
    ts->cur_pkru = ts->frames[0].parent_pkru;
  }
  if (g_shared.confine) {
    ts->sud_want = kSudAllow;  // confine_signal_enter set the selector
    t_sud_block = kSudAllow;
  }
  __atomic_signal_fence(__ATOMIC_SEQ_CST);
  ts->depth = 0;
  return p;
}

void unpark_thread(ThreadState *ts, Park *p, uint64_t seq) {
  if (ts->depth != 0) fatal("a signal handler left %d isolated calls unfinished", ts->depth);
  if (p->owner.load(std::memory_order_acquire) != ts || p->seq != seq)
    fatal("a signal handler's parked call state was taken for left while it ran");
  memcpy(ts->frames, p->frames, sizeof(Frame) * p->n_frames);
  memcpy(ts->gate_open, p->gate_open, sizeof p->gate_open);
  if (p->depth > 0) {  // the interrupted context's words (park_root_tls)
    tls_word_set(kTlsCanary, p->tls_canary);
    tls_word_set(kTlsPointerGuard, p->pointer_guard);
    tls_watched_restore(p->tls_watched);
  }
  for (int i = 0; i < p->n_held; ++i) p->held[i]->active = false;
  if (p->sud_on && !ts->sud_on) confine_thread_enable(ts);  // per-call confinement turned it off
  t_heap = p->heap;
  t_runtime = p->mark;
  t_sud_block = p->sud_block;
  ts->sud_want = p->sud_want;
  ts->cur_pkru = p->cur_pkru;
  __atomic_signal_fence(__ATOMIC_SEQ_CST);
  ts->depth = p->depth;
  ts->dom_code = p->dom_code;
  p->owner.store(nullptr, std::memory_order_release);
  // A SIGCANCEL that came while the handler ran (sdrad_dispatch_user_signal)
  if (ts->cancel_due == kCancelAfterHandler && ts->depth > 0) cancel_defer(ts);
}

}  // namespace

// call.cpp: a call from root into an instance still marked active.  If a
// signal handler that interrupted calls was left by a jump (siglongjmp)
// and root runs outside it, those calls are abandoned: true if any ended.
bool park_reap_left(ThreadState *ts, uintptr_t sp) {
  if (ts->depth != 0) return false;
  return park_reap(ts, &sp, 1, false) > 0;
}

namespace {
// Where a jmp_buf sends the stack pointer (glibc mangles it: rol 17 of
// sp ^ the thread's pointer guard).
uintptr_t jump_target_sp(const uint64_t *jmpbuf) {
  uint64_t m = jmpbuf[6];  // JB_RSP
  return ((m >> 17) | (m << 47)) ^ tls_word(kTlsPointerGuard);
}

// Root's TLS words put back for the parks the jump leaves.  Returns where
// the jump lands, decoded with root's pointer guard (put back first).
uintptr_t parks_left_by_jump(ThreadState *ts, const uint64_t *jmpbuf) {
  // Root's TLS words at the outermost call a handler of this thread
  // interrupted (root memory; the same for every such call).
  const Park *first = nullptr;
  bool any = false;
  for (Park &p : g_park) {
    if (p.owner.load(std::memory_order_acquire) != ts) continue;
    any = true;
    if (p.depth > 0 && (!first || p.seq < first->seq)) first = &p;
  }
  if (!any) return jump_target_sp(jmpbuf);
  const Frame *root = first ? &first->frames[0] : nullptr;
  // The guard first: glibc demangles the target with it (and so do we).
  if (root && tls_word(kTlsPointerGuard) != root->pointer_guard) {
    tls_word_set(kTlsPointerGuard, root->pointer_guard);
    log_line("a jump out of a signal handler found a domain's pointer guard: root's put back");
  }
  uintptr_t sp = jump_target_sp(jmpbuf);
  uint64_t live = park_newest_live(ts, &sp, 1);
  // The oldest park left with calls holds root's state at its outermost one.
  Park *oldest = nullptr;
  for (Park &p : g_park)
    if (p.owner.load(std::memory_order_acquire) == ts && p.seq > live && p.depth > 0 &&
        (!oldest || p.seq < oldest->seq))
      oldest = &p;
  if (oldest && !root_state_restore(&oldest->frames[0]))
    log_line("a jump out of a signal handler found root's TLS or libc state changed by the abandoned domain: put back");
  // The parks themselves are ended later (park_reap_left, park_claim): the
  // handler may be running on the abandoned instance's stack, which ending
  // the call wipes.
  return sp;
}
}  // namespace

// The signal levels (confine_signal_enter's count) of the handlers a root
// jump leaves are given back now: a handler the runtime chains a root
// fault to has no park to give its level back later, and every level left
// counted made the next ones unrecorded (after 8: no PKRU check on a
// handler's way out, no libc-key write grant; without PKU, timeouts
// deferred as if the runtime's own handler ran).  Levels nest: the newest
// go first, while the jump lands outside their frames.  Erring towards
// "live", as parks do (a level without a record stays).
void signal_handlers_left_by_jump(ThreadState *ts, const uint64_t *jmpbuf) {
  uintptr_t sp = parks_left_by_jump(ts, jmpbuf);
  uint32_t d = ts->sig_depth;
  while (d > 0 && d <= 8) {
    uintptr_t frame = ts->sig_frame[d - 1];
    if (sp < frame && stack_region(ts, sp) == stack_region(ts, frame)) break;  // lands inside it
    --d;
  }
  if (d == ts->sig_depth) return;
  ts->sig_depth = d;
  for (Park &p : g_park)
    if (p.owner.load(std::memory_order_acquire) == ts && p.sig_level > d) p.level_given = true;
}

bool handler_over_domain(ThreadState *ts) {
  park_reap_left(ts, (uintptr_t)__builtin_frame_address(0));  // not handlers left by a jump
  for (const Park &p : g_park)
    if (p.owner.load(std::memory_order_acquire) == ts && p.depth > 0) return true;
  return false;
}

void handler_left_by_unwind(const char *how) {
  fatal("%s left a signal handler that had interrupted an isolated call: unwinding it would run the domain's "
        "frames with root's rights, so the process ends (docs/threat-model.md, \"An exception or a thread "
        "exit out of a signal handler\")",
        how);
}

void park_release_thread(ThreadState *ts) {
  for (Park &p : g_park)
    if (p.owner.load(std::memory_order_acquire) == ts) {
      for (int i = 0; i < p.n_held; ++i) p.held[i]->active = false;
      p.owner.store(nullptr, std::memory_order_release);
    }
}

namespace {
// A domain stack that must grow while a handler runs on it parked (the
// thread is at depth 0 for the runtime meanwhile).
bool park_grow_stack(ThreadState *ts, uintptr_t addr) {
  for (Park &p : g_park) {
    if (p.owner.load(std::memory_order_acquire) != ts) continue;
    for (int i = 0; i < p.depth && i < p.n_frames; ++i)
      if (instance_grow_stack(p.frames[i].inst, addr)) return true;
    for (int i = 0; i < p.n_held; ++i)
      if (instance_grow_stack(p.held[i], addr)) return true;
  }
  return false;
}
}  // namespace
}  // namespace sdrad

using namespace sdrad;


extern "C" SDRAD_HIDDEN void sdrad_signal_handler(int sig, siginfo_t *info, void *ucv) {
  ThreadState *ts = confine_signal_enter(ucv);
  if (ts && ts->depth == 0 && sig == SIGSEGV && info->si_code == SEGV_ACCERR &&
      park_grow_stack(ts, (uintptr_t)info->si_addr)) {
    confine_signal_leave(ts, ucv);
    return;  // a parked domain's stack that a program's handler runs on grew
  }
  if (!ts || ts->depth == 0) {
    // A thread outside every domain but with a domain's rights (started
    // from inside a domain, around the runtime): nothing to rewind to, and
    // not root code either.  Only this thread ends.
    uint32_t wd = g_shared.root_wd_bits;
    if (g_shared.pku && ucv && (interrupted_pkru((const ucontext_t *)ucv) & wd) == wd && info->si_code > 0) {
      say("fault in a thread that runs with a domain's rights outside any domain (signal %d): the thread "
          "is ended", sig);
      syscall(SYS_exit, 0);
    }
    chain(sig, info, ucv);
    confine_signal_leave(ts, ucv);
    return;
  }
  auto *uc = (ucontext_t *)ucv;
  Instance *cur = ts->frames[ts->depth - 1].inst;
  if (sig == SIGSEGV && info->si_code == SEGV_ACCERR && instance_grow_stack(cur, (uintptr_t)info->si_addr)) {
    confine_signal_leave(ts, ucv);
    return;  // the domain's stack grew; retry the access
  }
  if (sig == SIGSEGV && info->si_code == SEGV_PKUERR && g_shared.libc_key > 0 && pkey_of(info) == g_shared.libc_key &&
      libc_write_grant(ts, cur, info, ucv)) {
    confine_signal_leave(ts, ucv);
    return;  // the domain's first write to libc's data; retry it (libc_data_key.cpp)
  }
  confine_signal_abandon(ts);
  sdrad_fault f;
  fault_fill(f, kind_of(sig, info, ts, uc ? (uintptr_t)uc->uc_mcontext.gregs[REG_RSP] : 0), ts);
  f.signo = sig;
  f.si_code = info->si_code;
  if (sig == SIGSEGV || sig == SIGBUS || sig == SIGILL || sig == SIGFPE)
    f.addr = (uintptr_t)info->si_addr;
  if (sig == SIGSEGV && info->si_code == SEGV_PKUERR) f.pkey = pkey_of(info);
  if (uc) {
    f.pc = uc->uc_mcontext.gregs[REG_RIP];
    Instance *in = ts->frames[ts->depth - 1].inst;
    uintptr_t sp = uc->uc_mcontext.gregs[REG_RSP];
    if (sp >= in->stack_lo && sp < in->stack_hi) in->fault_sp = sp;
    // Leave with the signal mask the domain had (the kernel blocked more),
    // never with a fault signal blocked.
    sigset_t mask = uc->uc_sigmask;
    unblock_fault_signals(&mask);
    syscall(SYS_rt_sigprocmask, SIG_SETMASK, &mask, nullptr, _NSIG / 8);
  }
  rewind_innermost(ts, f);
}

// The stack protector's failure hook, for domains and for root alike.
extern "C" SDRAD_EXPORT void __stack_chk_fail(void) { sdrad_soft_fault_gate(SDRAD_FAULT_STACK_PROTECTOR); }
extern "C" SDRAD_EXPORT void __wrap___stack_chk_fail(void) { sdrad_soft_fault_gate(SDRAD_FAULT_STACK_PROTECTOR); }

// --- the program's own signal handlers ----------------------------------
//
// sigaction()/signal() are interposed for two reasons:
//  - the fault signals stay with the runtime: a handler the program installs
//    for them becomes the one the runtime chains to for faults outside every
//    domain (so a later sigaction cannot silently turn recovery off);
//  - under PKU the kernel starts handlers with only key 0 accessible, so a
//    program handler that touches a global would itself fault.  Handlers
//    are installed behind sdrad_user_signal_entry, which restores full
//    rights first (and drops to key-0-only rights before returning to the
//    kernel's sigreturn, which restores the interrupted PKRU);
//  - in every backend, a handler is root code whatever it interrupted: its
//    isolated calls are root's (park_thread, above).

extern "C" void sdrad_user_signal_entry(int, siginfo_t *, void *) SDRAD_HIDDEN;
extern "C" void sdrad_call_handler_fenced(void (*)(int, siginfo_t *, void *), int, siginfo_t *, void *) SDRAD_HIDDEN;

// handler_fence.S: an exception or a thread exit left a program's handler
// that interrupted an isolated call.  Its unwind would go on into the
// domain's frames with root's rights; it cannot be carried to root's
// frames below the call either (they are reached only through the
// domain's).  Ended here, loudly: docs/threat-model.md.
extern "C" SDRAD_HIDDEN [[noreturn]] void sdrad_handler_unwound(_Unwind_Exception *e) {
  // "GNUCC++" and a last byte 0 or 1: a C++ exception (a dependent one for
  // std::rethrow_exception); anything else here is a forced unwind.
  bool cxx = e && (e->exception_class >> 8) == (0x474e5543432b2b00ULL >> 8);
  sdrad::handler_left_by_unwind(cxx ? "an exception" : "a thread exit (a cancellation)");
}

namespace sdrad {
namespace {
struct sigaction g_user[NSIG];   // what the program asked for (trampolined signals)
bool g_trampolined[NSIG];

bool is_fault_signal(int sig) {
  for (int s : kSignals)
    if (s == sig) return true;
  return false;
}

bool has_function(const struct sigaction *a) {
  return (a->sa_flags & SA_SIGINFO) ? a->sa_sigaction != nullptr
                                    : (a->sa_handler != SIG_DFL && a->sa_handler != SIG_IGN);
}
}  // namespace
}  // namespace sdrad

extern "C" SDRAD_HIDDEN void sdrad_dispatch_user_signal(int sig, siginfo_t *info, void *uc) {
  if (sig <= 0 || sig >= NSIG) return;
  ThreadState *ts = confine_signal_enter(uc);
  // glibc's handler would unwind into the domain's frames as root.
  if (sig == kSigCancel && ts && ts->depth > 0 && cancel_defer(ts)) return confine_signal_leave(ts, uc);
  if (sig == kSigCancel && ts && ts->depth == 0 && handler_over_domain(ts)) {
    ts->cancel_due = kCancelAfterHandler;  // unpark_thread: deferred as inside the domain
    return confine_signal_leave(ts, uc);
  }
  // A handler that interrupted an isolated call: no unwind out of it may
  // walk on into the domain's frames (handler_fence.S).  glibc's SIGSETXID
  // handler never unwinds (and SIGCANCEL does not get here inside one).
  bool fenced = ts && ts->depth > 0 && sig != kSigSetxid;
  Park *park = ts ? park_thread(ts, (const ucontext_t *)uc, (uintptr_t)__builtin_frame_address(0)) : nullptr;
  uint64_t seq = park ? park->seq : 0;
  const struct sigaction &a = g_user[sig];
  void (*fn)(int, siginfo_t *, void *) = nullptr;
  if (a.sa_flags & SA_SIGINFO)
    fn = a.sa_sigaction;
  else if (a.sa_handler != SIG_DFL && a.sa_handler != SIG_IGN)
    fn = (void (*)(int, siginfo_t *, void *))(void (*)(void))a.sa_handler;  // extra arguments ignored (SysV ABI)
  if (fn && fenced)
    sdrad_call_handler_fenced(fn, sig, info, uc);
  else if (fn)
    fn(sig, info, uc);
  if (park) unpark_thread(ts, park, seq);
  confine_signal_leave(ts, uc);
}

// glibc's own signals, SIGCANCEL (32) and SIGSETXID (33), have handlers
// glibc installs itself with rt_sigaction, not through sigaction():
// SIGSETXID's when the process first starts a thread, SIGCANCEL's at
// pthread_cancel.  Under PKU the kernel starts a handler with only key 0
// open, and these read libc's data (the libc key) and the setxid caller's
// command on its root-keyed stack: a setuid() in a threaded program (a
// server dropping privileges) killed every other thread.  Without PKU,
// under syscall confinement, a confined domain's thread ran SIGSETXID's
// handler with its selector on "block".  They go behind the entry of the
// program's handlers, which elevates and allows system calls first.  Called after
// glibc may have installed one (pthread_create, pthread_cancel: threads.cpp).
namespace sdrad {
namespace {
struct KernelAction {  // the kernel's struct sigaction (rt_sigaction)
  void *handler;
  unsigned long flags;
  void *restorer;
  uint64_t mask;
};
bool is_libc_signal(int sig) { return sig == kSigCancel || sig == kSigSetxid; }
std::atomic_flag g_libc_wrap_lock = ATOMIC_FLAG_INIT;
}  // namespace

void signals_wrap_libc_handler(int sig) {
  // Also without PKU: the entry sets the confinement's selector to "allow"
  // (a setxid's system call from a confined domain's thread was refused,
  // and setuid() waited for that thread for ever), and SIGCANCEL inside a
  // domain is deferred (cancel.cpp).
  while (g_libc_wrap_lock.test_and_set(std::memory_order_acquire)) __builtin_ia32_pause();
  KernelAction now{};
  // Once wrapped, nothing to read again: glibc installs each handler once.
  if (!g_trampolined[sig] && raw_syscall6(SYS_rt_sigaction, sig, 0, (long)&now, 8, 0, 0) == 0 &&
      (uintptr_t)now.handler > 1 && now.handler != (void *)sdrad_user_signal_entry) {
    struct sigaction user{};
    user.sa_sigaction = (void (*)(int, siginfo_t *, void *))now.handler;
    user.sa_flags = (int)now.flags;
    memcpy(&user.sa_mask, &now.mask, sizeof now.mask);
    g_user[sig] = user;
    KernelAction k = now;
    k.handler = (void *)sdrad_user_signal_entry;
    k.flags |= SA_SIGINFO;
    if (raw_syscall6(SYS_rt_sigaction, sig, (long)&k, 0, 8, 0, 0) == 0)
      g_trampolined[sig] = true;
    else
      say("cannot put glibc's handler of signal %d behind the runtime's entry", sig);
  }
  g_libc_wrap_lock.clear(std::memory_order_release);
}

}  // namespace sdrad

extern "C" SDRAD_EXPORT int sigaction(int sig, const struct sigaction *act, struct sigaction *old) {
  ensure_initialized();
  // A handler set from inside a domain would run with root rights (on a
  // root fault, or for any other signal): only root sets actions.
  if (act && in_domain()) refuse_in_domain("sigaction");
  if (sig <= 0 || sig >= NSIG || is_libc_signal(sig)) return real_sigaction(sig, act, old);  // glibc: EINVAL
  if (is_fault_signal(sig) && g_fault_signals_installed) {
    // The runtime keeps the signal; the program's handler is chained to.
    struct sigaction prev = g_previous[sig];
    if (act) g_previous[sig] = *act;
    if (old) *old = prev;
    return 0;
  }
  // Trampolined: under PKU for the rights, under confinement for the
  // selector, and always for the thread's call state (parked while the
  // handler runs, so that its isolated calls are root's: park_thread).
  if (sig == SIGSYS && g_shared.confine) {
    // SIGSYS carries the confinement: the program's handler is not installed.
    if (old) memset(old, 0, sizeof(*old));
    errno = EINVAL;
    return -1;
  }
  struct sigaction prev_user = g_user[sig];
  bool was = g_trampolined[sig];
  int r;
  if (act && has_function(act)) {
    struct sigaction k = *act;
    k.sa_flags |= SA_SIGINFO;
    k.sa_sigaction = sdrad_user_signal_entry;
    g_user[sig] = *act;
    g_trampolined[sig] = true;
    r = real_sigaction(sig, &k, old);
  } else {
    if (act) g_trampolined[sig] = false;
    r = real_sigaction(sig, act, old);
  }
  if (r == 0 && old && was) *old = prev_user;
  return r;
}

extern "C" SDRAD_EXPORT sighandler_t signal(int sig, sighandler_t handler) {
  struct sigaction a, old;
  memset(&a, 0, sizeof(a));
  a.sa_handler = handler;
  a.sa_flags = SA_RESTART;  // glibc's BSD semantics for signal()
  sigemptyset(&a.sa_mask);
  if (sigaction(sig, &a, &old) != 0) return SIG_ERR;
  return (old.sa_flags & SA_SIGINFO) ? (sighandler_t)(void *)old.sa_sigaction : old.sa_handler;
}

// signal_stack.S: the handler runs on the root-keyed copy of the kernel's
// frame, and the interrupted context is resumed by rt_sigreturn from that
// copy (never from the key-0 frame, which a domain on another thread can
// rewrite at any time).  The copy was read from key-0 memory, so what the
// kernel wrote may already have been rewritten in the few instructions
// between the kernel's write and the copy (docs/threat-model.md, "Signal
// frames"): everything rt_sigreturn will act on is checked or set here.
namespace sdrad {
namespace {
constexpr uint32_t kXstateMagic1 = 0x46505853u, kXstateMagic2 = 0x46505845u;
constexpr size_t kXsaveHeader = 512, kXsaveMin = 576;

// The copy's XSAVE area, if it is one the kernel could have written: in
// the copied frame, aligned, with both magics, and holding PKRU.  The
// fields rt_sigreturn's XRSTOR faults on are reset (a #GP there would be
// a forced SIGSEGV in the interrupted context).
uint8_t *checked_xsave(uintptr_t copy_lo, uintptr_t copy_hi, uintptr_t fp) {
  uint32_t pkru_off = g_shared.xsave_pkru_off;
  if (!pkru_off || fp < copy_lo || fp >= copy_hi || (fp & 63) || copy_hi - fp < kXsaveMin) return nullptr;
  auto *x = (uint8_t *)fp;
  uint32_t magic1, xstate_size, magic2;
  memcpy(&magic1, x + 464, 4);
  memcpy(&xstate_size, x + 480, 4);
  if (magic1 != kXstateMagic1 || xstate_size < pkru_off + 4 || xstate_size < kXsaveMin ||
      xstate_size + 4 > copy_hi - fp)
    return nullptr;
  memcpy(&magic2, x + xstate_size, 4);
  if (magic2 != kXstateMagic2) return nullptr;
  uint64_t xfeatures;
  memcpy(&xfeatures, x + 472, 8);
  xfeatures |= 1ull << 9;  // PKRU is restored from the frame
  memcpy(x + 472, &xfeatures, 8);
  uint64_t bv;
  memcpy(&bv, x + kXsaveHeader, 8);
  bv |= 1ull << 9;  // never PKRU's init value (0: every key)
  memcpy(x + kXsaveHeader, &bv, 8);
  memset(x + kXsaveHeader + 8, 0, 56);  // XCOMP_BV and the reserved header: standard form
  uint32_t mxcsr;
  memcpy(&mxcsr, x + 24, 4);
  mxcsr &= 0xffffu;  // reserved bits
  memcpy(x + 24, &mxcsr, 4);
  return x;
}

// Without a system call (the interrupted domain's syscall selector may
// still say "block"): the thread's state if t_ts names it, else nullptr.
ThreadState *thread_state_quick() {
  ThreadState *ts = t_ts;
  uintptr_t off = (uintptr_t)ts - g_shared.ts_base;
  if (off >= g_shared.ts_size || off % sizeof(ThreadState) || g_shared.bind_threads == 2) return nullptr;
  return ts_valid(ts) ? ts : nullptr;
}

// Where each ELEVATE_MARKED (gate_macros.inc) starts, if `rip` lies
// between that start and its dom_code store; else 0.
extern "C" const int32_t __start_sdrad_elev_ranges[] SDRAD_HIDDEN;
extern "C" const int32_t __stop_sdrad_elev_ranges[] SDRAD_HIDDEN;
uintptr_t elevation_restart(uintptr_t rip) {
  for (const int32_t *e = __start_sdrad_elev_ranges; e + 2 <= __stop_sdrad_elev_ranges; e += 2) {
    uintptr_t lo = (uintptr_t)&e[0] + e[0], hi = (uintptr_t)&e[1] + e[1];
    if (rip > lo && rip <= hi) return lo;
  }
  return 0;
}

// A frame that cannot be the kernel's: the interrupted domain is rewound,
// in root it is fatal.
[[noreturn]] void tampered_frame(int sig, ucontext_t *uc) {
  uc->uc_mcontext.fpregs = nullptr;
  ThreadState *ts = confine_signal_enter(uc);
  if (ts && ts->depth > 0) {
    confine_signal_abandon(ts);
    log_line("signal %d: its frame on the alternate stack was rewritten before the handler ran", sig);
    sdrad_fault f;
    fault_fill(f, SDRAD_FAULT_ROOT_STATE, ts);
    f.signo = sig;
    sigset_t mask = uc->uc_sigmask;
    unblock_fault_signals(&mask);
    syscall(SYS_rt_sigprocmask, SIG_SETMASK, &mask, nullptr, _NSIG / 8);
    rewind_innermost(ts, f);
  }
  fatal("signal %d: its frame on the alternate stack was rewritten before the handler ran", sig);
}
}  // namespace
}  // namespace sdrad

// SIGNAL_ENTRY, when t_ts does not name this thread's state (a domain
// rewrote it): the thread's own state, by the slow lookup, for its
// alternate-stack block and the copy's place (0 if none: the entry
// refuses to copy the frame).
extern "C" SDRAD_HIDDEN ThreadState *sdrad_thread_state_slow() { return thread_state_if_any(); }

// signal_stack.S: no room left on the alternate stack's root part below a
// handler's running call for a signal's copy.
extern "C" SDRAD_HIDDEN [[noreturn]] void sdrad_signal_stack_full() {
  fatal("a signal arrived while a handler on the alternate stack made an isolated call, and the stack has no "
        "room left below that handler");
}

// Returns the copy's frame (its pretcode) for signal_stack.S's rt_sigreturn.
// `shift`: how far below the kernel's frame the copy is (kAltRoot, or
// more below a running call of a handler on the root part: signal_stack.S).
extern "C" SDRAD_HIDDEN uintptr_t sdrad_signal_on_copy(int sig, siginfo_t *info, void *ucv,
                                                       void (*handler)(int, siginfo_t *, void *),
                                                       uintptr_t frame, uintptr_t shift) {
  auto *uc = (ucontext_t *)ucv;
  uintptr_t top = (frame | (kAltBlock - 1)) + 1;
  uintptr_t copy = frame - shift, copy_top = top - shift;
  uintptr_t fp = (uintptr_t)uc->uc_mcontext.fpregs;
  uint8_t *x = fp >= frame ? checked_xsave(copy, copy_top, fp - shift) : nullptr;
  if (!x) tampered_frame(sig, uc);
  uc->uc_mcontext.fpregs = (fpregset_t)x;
  // The interrupted PKRU, from the runtime's own record rather than the
  // frame: while a domain's code runs (dom_code, written by the runtime
  // right before every drop into a domain and right after every elevation)
  // it is the domain's.  A frame with PKRU 0 inside an elevation before its
  // dom_code store is resumed at the elevation's start with the domain's
  // PKRU (it elevates again).  While the runtime runs (dom_code 0) the
  // frame's PKRU (0) is taken as it is: the window that remains
  // (docs/threat-model.md, "Signal frames").
  uint32_t *pkru = (uint32_t *)(x + g_shared.xsave_pkru_off);
  ThreadState *ts = thread_state_quick();  // both uses below: t_ts does not change between them
  if (ts && ts->depth > 0 && ts->dom_code) {
    greg_t &rip = uc->uc_mcontext.gregs[REG_RIP];
    if (*pkru == 0) {
      if (uintptr_t start = elevation_restart((uintptr_t)rip)) rip = (greg_t)start;
    }
    if (*pkru != ts->cur_pkru) {
      ts->sig_pkru_forced++;
      *pkru = ts->cur_pkru;
    }
  }
  // The handler is runtime code (elevated): a signal nested in it must not
  // be taken for one that interrupted the domain and resume it with the
  // domain's PKRU.  Back to the record the interrupted context had.
  uint32_t dom_code = ts ? ts->dom_code : 0;
  if (ts) ts->dom_code = 0;
  handler(sig, info, ucv);
  if (ts) ts->dom_code = dom_code;
  // What rt_sigreturn acts on besides the registers: the XSAVE area (ours,
  // whatever the handler set), the mask (never a fault signal blocked) and
  // the alternate stack (this block, as the runtime set it).
  uc->uc_mcontext.fpregs = (fpregset_t)x;
  unblock_fault_signals(&uc->uc_sigmask);
  uc->uc_stack.ss_sp = (void *)(top - kAltBlock);
  uc->uc_stack.ss_size = kAltBlock;
  uc->uc_stack.ss_flags = 0;
  return copy;
}

// SIGNAL_ENTRY, when the stack is a runtime alternate-stack block that is
// not the one of the state the FS base names.  A domain can set the FS base
// itself (WRFSBASE, no system call) to another thread's, so that a fault it
// then raises would be charged to that thread (row
// rt11_wrfsbase_domain_thread_then_fault).  A delivery the kernel made
// (entered with its handler PKRU, `entry_pkru`) is on the alternate stack
// the kernel keeps for this thread, which a domain cannot change without a
// system call: the block names the thread.  Its FS base is put back, so the
// gate violation that follows rewinds this thread's own domain.  Anything
// else (a domain calling an entry with its stack in another thread's block:
// row rt8_signal_entry_on_other_threads_block) is left as it is.
extern "C" SDRAD_HIDDEN void sdrad_signal_foreign_block(uintptr_t block, uint32_t entry_pkru) {
  using namespace sdrad;
  if (entry_pkru != 0x55555554u || g_shared.bind_threads != 1) return;
  uintptr_t fs = thread_fs_base();
  ThreadState *c = thread_state_find([&](const ThreadState *t) { return (uintptr_t)t->altstack == block; });
  if (!c || c->fs_base == fs) return;
  __asm__ volatile("wrfsbase %0" ::"r"(c->fs_base) : "memory");
  log_line("signal on thread %d with another thread's FS base %p: its own put back", (int)c->tid, (void *)fs);
}
