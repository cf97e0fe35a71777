// Fault signals: a per-thread alternate stack, the handler that rewinds a
// faulting domain, and faithful chaining for faults outside every domain.
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

#include "internal.h"

extern "C" void sdrad_signal_entry(int, siginfo_t *, void *) SDRAD_HIDDEN;

namespace sdrad {

namespace {

constexpr int kSignals[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP, SIGABRT};
struct sigaction g_previous[NSIG];
bool g_fault_signals_installed;
constexpr size_t kAltStack = 64 * 1024;
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

// Alternate stacks of exited threads, for the next threads (a thread-per-
// connection server would otherwise map and unmap one per connection).
namespace {
std::atomic<int> g_alt_lock{0};
void *g_alt_free[64];
int g_alt_count;
struct AltLock : SpinGuard {
  AltLock() : SpinGuard(g_alt_lock) {}
};
}  // namespace

void altstack_put(void *p) {
  {
    AltLock lock;
    if (g_alt_count < 64) {
      g_alt_free[g_alt_count++] = p;
      return;
    }
  }
  munmap(p, kAltStack);
}

void thread_altstack_ensure(ThreadState *ts) {
  if (ts->altstack) return;
  // Key 0: the kernel writes the signal frame with the interrupted PKRU,
  // and handlers start with only key 0 accessible.
  void *p = nullptr;
  {
    AltLock lock;
    if (g_alt_count) p = g_alt_free[--g_alt_count];
  }
  if (!p) p = mmap(nullptr, kAltStack, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) return;
  stack_t ss{};
  ss.ss_sp = p;
  ss.ss_size = kAltStack;
  if (sigaltstack(&ss, nullptr) != 0) {
    altstack_put(p);
    return;
  }
  ts->altstack = p;
  ts->altstack_size = kAltStack;
}

void signals_install() {
  for (int sig : kSignals) {
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_sigaction = sdrad_signal_entry;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
    sigemptyset(&sa.sa_mask);
    real_sigaction(sig, &sa, &g_previous[sig]);
  }
  g_fault_signals_installed = true;
}

}  // namespace sdrad

using namespace sdrad;


extern "C" SDRAD_HIDDEN void sdrad_signal_handler(int sig, siginfo_t *info, void *ucv) {
  ThreadState *ts = confine_signal_enter(ucv);
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
//    kernel's sigreturn, which restores the interrupted PKRU).

extern "C" void sdrad_user_signal_entry(int, siginfo_t *, void *) SDRAD_HIDDEN;

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
  const struct sigaction &a = g_user[sig];
  if (a.sa_flags & SA_SIGINFO) {
    if (a.sa_sigaction) a.sa_sigaction(sig, info, uc);
  } else if (a.sa_handler != SIG_DFL && a.sa_handler != SIG_IGN) {
    a.sa_handler(sig);
  }
  confine_signal_leave(ts, uc);
}

extern "C" SDRAD_EXPORT int sigaction(int sig, const struct sigaction *act, struct sigaction *old) {
  ensure_initialized();
  // A handler set from inside a domain would run with root rights (on a
  // root fault, or for any other signal): only root sets actions.
  if (act && in_domain()) refuse_in_domain("sigaction");
  if (sig <= 0 || sig >= NSIG) return real_sigaction(sig, act, old);
  if (is_fault_signal(sig) && g_fault_signals_installed) {
    // The runtime keeps the signal; the program's handler is chained to.
    struct sigaction prev = g_previous[sig];
    if (act) g_previous[sig] = *act;
    if (old) *old = prev;
    return 0;
  }
  // Trampolined under PKU (rights) and under confinement (the selector).
  if (!g_shared.pku && !g_shared.confine) return real_sigaction(sig, act, old);
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
