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
#include <stdarg.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "internal.h"

namespace sdrad {

namespace {

// SIGSYS carries syscall confinement (syscall_confine.cpp).
constexpr int kFaultSignals[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP, SIGABRT, SIGSYS};

// These functions are not gates: called from a domain they run with its
// rights.  Under PKU the PKRU says so (the domain cannot change it without
// code execution); otherwise the thread state does.
bool in_domain() {
  if (g_shared.pku) return rdpkru_raw() != 0;
  return calling_instance(thread_state_if_any()) != nullptr;
}

// A fault of the calling domain; the gate elevates before rewinding it.
[[noreturn]] void refuse(const char *what) {
  log_line("%s refused inside a domain: it would change the fault-signal state", what);
  sdrad_soft_fault_gate(SDRAD_FAULT_GATE);
}

// Would this mask change leave a fault signal blocked?
bool blocks_fault_signal(int how, const sigset_t *set) {
  if (!set || how == SIG_UNBLOCK) return false;
  for (int s : kFaultSignals)
    if (sigismember(set, s)) return true;
  return false;
}

long raw(long nr, long a, long b, long c, long d) {
  long r;
  register long r10 __asm__("r10") = d;
  __asm__ volatile("syscall" : "=a"(r) : "a"(nr), "D"(a), "S"(b), "d"(c), "r"(r10) : "rcx", "r11", "memory");
  return r;
}

}  // namespace

// After a rewind the thread continues with the mask the domain had, less
// any fault signal it managed to block.
void unblock_fault_signals(sigset_t *mask) {
  for (int s : kFaultSignals) sigdelset(mask, s);
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
  long r = raw(SYS_rt_sigprocmask, how, (long)set, (long)old, _NSIG / 8);
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
  if (ss && in_domain()) refuse("sigaltstack");
  long r = raw(SYS_sigaltstack, (long)ss, (long)old, 0, 0);
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
    if (nr == SYS_sigaltstack && a[0]) refuse("syscall(sigaltstack)");
    if (nr == SYS_rt_sigaction && a[1]) {
      for (int s : kFaultSignals)
        if (a[0] == s) refuse("syscall(rt_sigaction)");
    }
  }
  long r;
  __asm__ volatile(
      "mov %5, %%r10\n\t"
      "mov %6, %%r8\n\t"
      "mov %7, %%r9\n\t"
      "syscall"
      : "=a"(r)
      : "a"(nr), "D"(a[0]), "S"(a[1]), "d"(a[2]), "r"(a[3]), "r"(a[4]), "r"(a[5])
      : "rcx", "r11", "r10", "r8", "r9", "memory");
  if (r < 0 && r > -4096) {
    errno = (int)-r;
    return -1;
  }
  return r;
}

}  // extern "C"
