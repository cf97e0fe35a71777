// Liveness of domain calls: per-domain time limits (a watchdog thread),
// heap limits, the discard epoch, after-discard hooks and init functions.
//
// Time limits cost nothing per call beyond two loads and a store: the entry
// records a deadline computed from the watchdog's clock (no system call).
// The watchdog wakes every period, and sends kTimeoutSignal to a thread
// whose innermost frame is past its deadline; the handler rewinds that
// frame with fault kind `timeout` (also out of a blocking system call).
// A thread interrupted while running the runtime's own code (elevated
// rights under pku) is left alone until the next period.
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/sysinfo.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

#include "internal.h"

extern "C" void sdrad_timeout_signal_entry(int, siginfo_t *, void *) SDRAD_HIDDEN;
extern "C" int __sigaction(int, const struct sigaction *, struct sigaction *);

namespace sdrad {

namespace {

std::atomic<uint64_t> g_clock_ms{0};  // the watchdog's clock (CLOCK_MONOTONIC, ms)
std::atomic<uint32_t> g_period_ms{0}; // 0: no watchdog yet
std::atomic<int> g_watchdog_lock{0};
int g_timeout_signal;

uint64_t monotonic_ms() {
  timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (uint64_t)t.tv_sec * 1000 + (uint64_t)t.tv_nsec / 1000000;
}

// A deadline the watchdog can see on another thread's innermost frame.
uint64_t frame_deadline(const ThreadState *ts) {
  int d = __atomic_load_n(&ts->depth, __ATOMIC_RELAXED);
  if (d <= 0 || d > kMaxDepth) return 0;
  return __atomic_load_n(&ts->frames[d - 1].deadline_ms, __ATOMIC_RELAXED);
}

void *watchdog_main(void *) {
  sigset_t all;
  sigfillset(&all);
  pthread_sigmask(SIG_BLOCK, &all, nullptr);
  pid_t pid = getpid();
  size_t n = g_shared.ts_size / sizeof(ThreadState);
  for (;;) {
    uint64_t now = monotonic_ms();
    g_clock_ms.store(now, std::memory_order_relaxed);
    for (size_t i = 0; i < n; ++i) {
      auto *ts = (const ThreadState *)(g_shared.ts_base + i * sizeof(ThreadState));
      if (!__atomic_load_n(&ts->in_use, __ATOMIC_RELAXED)) continue;
      uint64_t dl = frame_deadline(ts);
      bool cancel = __atomic_load_n(&ts->cancel_due, __ATOMIC_RELAXED) == kCancelWaiting;  // cancel.cpp
      if ((dl && now >= dl) || cancel) syscall(SYS_tgkill, pid, ts->tid, g_timeout_signal);
    }
    uint32_t p = g_period_ms.load(std::memory_order_relaxed);
    timespec ts{(time_t)(p / 1000), (long)(p % 1000) * 1000000};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
  }
  return nullptr;
}

// After fork only the forking thread exists: the watchdog is started again
// by the next time limit set in the child.
void watchdog_forgotten() {
  g_period_ms.store(0, std::memory_order_relaxed);
  g_clock_ms.store(0, std::memory_order_relaxed);
}

// Starts the watchdog (once) and makes its period fit `timeout_ms`: an
// eighth of the smallest limit, between 1 and 50 ms.
bool watchdog_ensure(uint32_t timeout_ms) {
  uint32_t want = timeout_ms / 8;
  if (want < 1) want = 1;
  if (want > 50) want = 50;
  spin_lock(g_watchdog_lock);
  bool ok = true;
  uint32_t cur = g_period_ms.load();
  if (cur == 0) {
    static bool atfork_done;
    if (!atfork_done) atfork_done = pthread_atfork(nullptr, nullptr, watchdog_forgotten) == 0;
    g_timeout_signal = SIGRTMAX - 1;
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_sigaction = sdrad_timeout_signal_entry;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_RESTART;
    sigfillset(&sa.sa_mask);
    __sigaction(g_timeout_signal, &sa, nullptr);
    g_clock_ms.store(monotonic_ms());
    g_period_ms.store(want);
    pthread_t t;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    if (pthread_create(&t, &attr, watchdog_main, nullptr) != 0) {
      g_period_ms.store(0);
      ok = false;
      say("sdrad_set_timeout: could not start the watchdog thread");
    }
    pthread_attr_destroy(&attr);
  } else if (want < cur) {
    g_period_ms.store(want);
  }
  spin_unlock(g_watchdog_lock);
  return ok;
}


}  // namespace

// PKRU of the interrupted context, from the XSAVE area of the signal frame
// (component 9); nothing saved means its initial value, 0.
uint32_t interrupted_pkru(const ucontext_t *uc) {
  uint32_t offset = g_shared.xsave_pkru_off;  // start-up, with the backend
  const char *x = (const char *)uc->uc_mcontext.fpregs;
  if (!x || offset == 0) return 0;
  uint64_t xstate_bv;
  memcpy(&xstate_bv, x + 512, sizeof(xstate_bv));
  if (!(xstate_bv & (1u << 9))) return 0;
  uint32_t pkru;
  memcpy(&pkru, x + offset, sizeof(pkru));
  return pkru;
}

// Called by push_frame before the frame is pushed (the parent, if any, is
// ts->frames[ts->depth - 1]).  Its common case (depth 0, no time limit) is
// also inline in push_frame and in switch.S's __sdrad_call_with fast path:
// anything added here must be added there.
void liveness_on_entry(ThreadState *ts, Frame *f, Instance *in) {
  const Domain *d = in->dom;
  uint64_t dl = 0;
  // The deadline counts from now, read here (vDSO, no system call), not
  // from the watchdog's clock: that one is only as fresh as the watchdog's
  // last tick, and a starved watchdog made calls time out early.  Calls of
  // domains without a limit read no clock.
  if (d->liveness.timeout_ms)
    dl = monotonic_ms() + d->liveness.timeout_ms + g_period_ms.load(std::memory_order_relaxed);
  if (ts->depth > 0) {
    uint64_t outer = ts->frames[ts->depth - 1].deadline_ms;
    if (outer && (!dl || outer < dl)) dl = outer;  // a nested call cannot outlive its caller's limit
  }
  f->deadline_ms = dl;
  heap_limit_current(in);  // the limit is root's (heap_limit.cpp), not the header's
}

// Called after a fault discarded `in` and its frame was popped (root
// rights, the caller's PKRU not yet restored).
int liveness_timeout_signal() { return g_timeout_signal; }

// Asynchronous cancellation inside a domain is carried out by the
// watchdog's signal (cancel.cpp); started by the interposed pthread_cancel,
// at its longest period.
bool liveness_watch_cancellation() { return watchdog_ensure(400); }

void liveness_after_discard(Instance *in) {
  Domain *d = in->dom;
  in->init_done = false;
  stdio_release_locks();
  stdio_streams_ok();  // a fault inside printf may leave them half-updated
  __atomic_add_fetch(&d->epoch, 1, __ATOMIC_RELEASE);
  if (d->liveness.on_discard) d->liveness.on_discard(domain_handle_of(d), d->liveness.on_discard_arg);
}

// Default heap limit of a domain instance: an eighth of physical memory
// (at least 16 MiB), or SDRAD_HEAP_LIMIT; never more than the heap region.
size_t default_heap_limit(size_t env_value) {
  if (env_value) return env_value;
  struct sysinfo si;
  size_t phys = sysinfo(&si) == 0 ? (size_t)si.totalram * si.mem_unit : 0;
  size_t lim = phys / 8;
  if (lim < ((size_t)16 << 20)) lim = (size_t)16 << 20;
  return align_up(lim, kPage);
}

}  // namespace sdrad

using namespace sdrad;

extern "C" SDRAD_HIDDEN void sdrad_timeout_signal_handler(int sig, siginfo_t *info, void *ucv) {
  // Syscall confinement: the handler's own system calls pass (see
  // syscall_confine.cpp); leave or abandon on every way out.
  ThreadState *ts = confine_signal_enter(ucv);
  auto *uc = (ucontext_t *)ucv;
  if (!ts || ts->depth == 0) {
    if (ts) cancel_act_at_root(ts);  // the calls it waited for ended meanwhile
    return confine_signal_leave(ts, ucv);
  }
  Frame *f = &ts->frames[ts->depth - 1];
  if (!f->deadline_ms || g_clock_ms.load(std::memory_order_relaxed) < f->deadline_ms)
    return confine_signal_leave(ts, ucv);  // late signal
  if (g_shared.pku && uc && interrupted_pkru(uc) == 0) return confine_signal_leave(ts, ucv);  // in the runtime: next period
  if (timeout_deferred(ts)) return confine_signal_leave(ts, ucv);  // no PKU, in a gate: fired at its exit (call.cpp)
  // The watchdog may have queued this signal more than once (it is a
  // real-time signal): the next one, delivered as soon as the mask below is
  // restored, must find nothing to do.
  f->deadline_ms = 0;
  sdrad_fault fl;
  fault_fill(fl, ts->cancel_due ? SDRAD_FAULT_CANCELLED : SDRAD_FAULT_TIMEOUT, ts);
  fl.signo = sig;
  fl.si_code = info ? info->si_code : 0;
  if (uc) {
    fl.pc = uc->uc_mcontext.gregs[REG_RIP];
    sigset_t mask = uc->uc_sigmask;
    unblock_fault_signals(&mask);
    sigdelset(&mask, sig);
    syscall(SYS_rt_sigprocmask, SIG_SETMASK, &mask, nullptr, _NSIG / 8);
  }
  confine_signal_abandon(ts);
  rewind_innermost(ts, fl);
}

namespace {
// Setters are root's: a domain must not lift its own limits.
Domain *settable(int64_t handle, const char *what) {
  ensure_initialized();
  ThreadState *ts = thread_state();
  if (ts && calling_instance(ts)) gate_refuse(ts, what, (void *)(intptr_t)handle);
  return domain_at(handle);
}
}  // namespace

extern "C" {

SDRAD_HIDDEN int sdrad_impl_set_timeout(int64_t handle, uint32_t timeout_ms) {
  Domain *d = settable(handle, "sdrad_set_timeout");
  if (!d) return SDRAD_E_BAD_HANDLE;
  if (timeout_ms && !watchdog_ensure(timeout_ms)) return SDRAD_E_NO_MEMORY;
  d->liveness.timeout_ms = timeout_ms;
  return 0;
}

SDRAD_HIDDEN int sdrad_impl_set_heap_limit(int64_t handle, size_t bytes) {
  Domain *d = settable(handle, "sdrad_set_heap_limit");
  if (!d) return SDRAD_E_BAD_HANDLE;
  d->liveness.heap_limit = bytes ? align_up(bytes, 16) : 0;
  heap_limit_changed(d);
  return 0;
}

SDRAD_HIDDEN int sdrad_impl_on_discard(int64_t handle, void (*fn)(int64_t, void *), void *arg) {
  Domain *d = settable(handle, "sdrad_on_discard");
  if (!d) return SDRAD_E_BAD_HANDLE;
  d->liveness.on_discard = fn;
  d->liveness.on_discard_arg = arg;
  return 0;
}

SDRAD_HIDDEN int sdrad_impl_set_init(int64_t handle, void (*fn)(void)) {
  Domain *d = settable(handle, "sdrad_set_init");
  if (!d) return SDRAD_E_BAD_HANDLE;
  d->liveness.init_fn = fn;
  return 0;
}

// A confidentiality domain learns only its own epoch and those of domains
// it created (others: 0, as for an unknown handle): how often another
// domain was discarded is that domain's state.  Root and integrity domains
// (which can read the runtime's domain table anyway) get every epoch.
SDRAD_HIDDEN uint64_t sdrad_impl_domain_epoch(int64_t handle) {
  Domain *d = domain_at(handle);
  if (!d) return 0;
  ThreadState *ts = thread_state_if_any();
  if (const Instance *c = calling_instance(ts); c && c->dom->policy != SDRAD_POLICY_INTEGRITY && d != c->dom &&
                                                d->creator != domain_handle_of(c->dom))
    return 0;
  return __atomic_load_n(&d->epoch, __ATOMIC_ACQUIRE);
}

}  // extern "C"

// --- init functions --------------------------------------------------------
namespace {
struct InitCall {
  void (*init)(void);
  void (*entry)(void *);
  void *arg;
};
}  // namespace

namespace sdrad {
// Runs in the domain: its init function, then the call's entry.
void liveness_init_entry(void *p) {
  auto *c = (InitCall *)p;
  c->init();
  c->entry(c->arg);
}

// Called by run_call when the instance's init function is due: writes the
// block for liveness_init_entry on the domain stack below sp and returns
// its address (the call enters 64 bytes below it).
uintptr_t liveness_wrap_init(Instance *in, void (*entry)(void *), void *arg, uintptr_t sp) {
  uintptr_t blk = (sp - sizeof(InitCall)) & ~(uintptr_t)15;
  auto *c = (InitCall *)blk;
  c->init = in->dom->liveness.init_fn;
  c->entry = entry;
  c->arg = arg;
  in->init_done = true;  // reset by a discard, also one inside init
  return blk;
}
}  // namespace sdrad
