// The thread's fault-signal state while a domain runs.
//
// Recovery needs three things the kernel keeps per thread or process: the
// runtime's handler for the fault signals, those signals unblocked, and the
// alternate stack.  A domain that can call functions (a corrupted function
// pointer is enough) could reach libc's sigprocmask, pthread_sigmask,
// sigaltstack or syscall() and change them, so that the next fault in any
// domain kills the process.  These are interposed.  From inside a domain:
// a mask change never blocks a fault signal (they are taken out of the set:
// libraries legitimately block "all signals" around critical sections, and
// a synchronous fault cannot be deferred anyway); a change of the
// alternate stack or of a fault signal's action is a fault of that domain.  sigaction() and
// signal() are interposed in signals.cpp.  A raw system call instruction
// (code execution) is outside what this file can see: syscall confinement.
#include <dlfcn.h>
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <stdarg.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "internal.h"

namespace sdrad {

namespace {

// SIGSYS carries syscall confinement (syscall_confine.cpp).
constexpr int kFaultSignals[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP, SIGABRT, SIGSYS};

}  // namespace

// These functions are not gates: called from a domain they run with its
// rights.  Under PKU the PKRU says so (the domain cannot change it without
// code execution); otherwise the thread state does.
bool in_domain() {
  if (g_shared.pku) return rdpkru_raw() != 0;
  return calling_instance(thread_state_if_any()) != nullptr;
}

// A fault of the calling domain; the gate elevates before rewinding it.
[[noreturn]] void refuse_in_domain(const char *what) {
  log_line("%s refused inside a domain: it would change the process's signal state", what);
  sdrad_soft_fault_gate(SDRAD_FAULT_GATE);
}

namespace {

// Would this mask change leave a fault signal blocked?
bool blocks_fault_signal(int how, const sigset_t *set) {
  if (!set || how == SIG_UNBLOCK) return false;
  sigset_t safe = *set;
  unblock_fault_signals(&safe);
  return memcmp(&safe, set, sizeof safe) != 0;
}

}  // namespace

// glibc's __sigaction is not interposed (a static program has no other
// definition to reach); a domain calling it directly reaches rt_sigaction,
// which syscall confinement refuses.
extern "C" int __sigaction(int, const struct sigaction *, struct sigaction *);
int real_sigaction(int sig, const struct sigaction *act, struct sigaction *old) {
  return __sigaction(sig, act, old);
}

// After a rewind the thread continues with the mask the domain had, less
// any fault signal it managed to block.
// The watchdog's signal too, once a time limit exists (a domain that
// blocked it would run past its limit).
void unblock_fault_signals(sigset_t *mask) {
  for (int s : kFaultSignals) sigdelset(mask, s);
  if (int t = liveness_timeout_signal()) sigdelset(mask, t);
}

}  // namespace sdrad

using namespace sdrad;

extern "C" {

SDRAD_EXPORT int pthread_sigmask(int how, const sigset_t *set, sigset_t *old) {
  sigset_t safe;
  if (blocks_fault_signal(how, set) && in_domain()) {
    safe = *set;  // read with the caller's own rights
    unblock_fault_signals(&safe);
    set = &safe;
  }
  long r = raw_syscall6(SYS_rt_sigprocmask, how, (long)set, (long)old, _NSIG / 8, 0, 0);
  return r < 0 ? (int)-r : 0;
}

SDRAD_EXPORT int sigprocmask(int how, const sigset_t *set, sigset_t *old) {
  int e = pthread_sigmask(how, set, old);
  if (e) {
    errno = e;
    return -1;
  }
  return 0;
}

SDRAD_EXPORT int sigaltstack(const stack_t *ss, stack_t *old) {
  if (ss && in_domain()) refuse_in_domain("sigaltstack");
  long r = raw_syscall6(SYS_sigaltstack, (long)ss, (long)old, 0, 0, 0, 0);
  if (r < 0) {
    errno = (int)-r;
    return -1;
  }
  return 0;
}

// libc's generic syscall(): the same rules for the numbers above, and
// rt_sigaction of a fault signal (the sigaction() wrapper is interposed,
// this path is not) from inside a domain.
SDRAD_EXPORT long syscall(long nr, ...) {
  va_list ap;
  va_start(ap, nr);
  long a[6];
  for (long &v : a) v = va_arg(ap, long);
  va_end(ap);
  if (nr == SYS_rt_sigprocmask) {
    int e = pthread_sigmask((int)a[0], (const sigset_t *)a[1], (sigset_t *)a[2]);
    if (e) errno = e;
    return e ? -1 : 0;
  }
  if ((nr == SYS_sigaltstack || nr == SYS_rt_sigaction) && in_domain()) {
    if (nr == SYS_sigaltstack && a[0]) refuse_in_domain("syscall(sigaltstack)");
    if (nr == SYS_rt_sigaction && a[1]) {
      for (int s : kFaultSignals)
        if (a[0] == s) refuse_in_domain("syscall(rt_sigaction)");
    }
  }
  long r = raw_syscall6(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
  if (r < 0 && r > -4096) {
    errno = (int)-r;
    return -1;
  }
  return r;
}

}  // extern "C"

// glibc's other ways to set an action or the mask (but __sigaction, see
// above).  They reach libc's internal functions directly, around
// sigaction() and pthread_sigmask(), so each is routed through those (the fault signals stay with the runtime; a
// domain cannot block them).
extern "C" {

SDRAD_EXPORT sighandler_t sysv_signal(int sig, sighandler_t h) {
  struct sigaction a{}, old{};
  a.sa_handler = h;
  a.sa_flags = SA_RESETHAND | SA_NODEFER;
  if (sigaction(sig, &a, &old) != 0) return SIG_ERR;
  return old.sa_handler;
}

SDRAD_EXPORT sighandler_t bsd_signal(int sig, sighandler_t h) { return signal(sig, h); }
SDRAD_EXPORT sighandler_t ssignal(int sig, sighandler_t h) { return signal(sig, h); }

SDRAD_EXPORT sighandler_t sigset(int sig, sighandler_t h) {
  sigset_t one;
  sigemptyset(&one);
  sigaddset(&one, sig);
  if (h == SIG_HOLD) {
    sigset_t old;
    if (pthread_sigmask(SIG_BLOCK, &one, &old) != 0) return SIG_ERR;
    return SIG_HOLD;
  }
  sighandler_t prev = signal(sig, h);
  if (prev != SIG_ERR) pthread_sigmask(SIG_UNBLOCK, &one, nullptr);
  return prev;
}

SDRAD_EXPORT int sigignore(int sig) { return signal(sig, SIG_IGN) == SIG_ERR ? -1 : 0; }

SDRAD_EXPORT int sighold(int sig) {
  sigset_t one;
  sigemptyset(&one);
  if (sigaddset(&one, sig) != 0) return -1;
  return sigprocmask(SIG_BLOCK, &one, nullptr);
}

// The BSD mask words: bit (sig - 1) for the first 32 signals.
static int bsd_mask(int how, int mask) {
  sigset_t set, old;
  sigemptyset(&set);
  for (int s = 1; s < 32; ++s)
    if (mask & (1 << (s - 1))) sigaddset(&set, s);
  if (pthread_sigmask(how, &set, &old) != 0) return -1;
  int r = 0;
  for (int s = 1; s < 32; ++s)
    if (sigismember(&old, s)) r |= 1 << (s - 1);
  return r;
}
SDRAD_EXPORT int sigblock(int mask) { return bsd_mask(SIG_BLOCK, mask); }
SDRAD_EXPORT int sigsetmask(int mask) { return bsd_mask(SIG_SETMASK, mask); }

}  // extern "C"
