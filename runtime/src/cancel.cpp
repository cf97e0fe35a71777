// Asynchronous cancellation (PTHREAD_CANCEL_ASYNCHRONOUS) of a thread while
// it is inside a domain.
//
// glibc cancels such a thread from its SIGCANCEL handler, which the runtime
// runs as root (signals_wrap_libc_handler): the forced unwind it starts
// would walk from the signal frame into the interrupted domain's frames,
// read from the domain's stack, and run the landing pads it finds there
// with root's rights; the domain chooses them.  So the handler is not run
// inside a domain.  The cancellation is deferred instead: every call of the
// thread is made due at once (its deadline passed), the watchdog's signal
// rewinds them one after the other as a time limit would (fault kind
// SDRAD_FAULT_CANCELLED), and the outermost rewind lands in
// sdrad_cancel_landing (cancel_landing.S), which signals SIGCANCEL to the
// thread again: glibc's handler then runs at depth 0, and its unwind sees
// only root's frames.
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "internal.h"

extern "C" void sdrad_cancel_landing() SDRAD_HIDDEN;

namespace sdrad {

namespace {
// Raw: the runtime's syscall() is noexcept, and the cancellation's unwind
// starts inside this call (sdrad_cancel_landed).  The thread's id is its
// state's (kept right in fork's child too: state.cpp).
void signal_self(const ThreadState *ts, int sig) {
  raw_syscall6(SYS_tgkill, raw_syscall6(SYS_getpid, 0, 0, 0, 0, 0, 0), ts->tid, sig, 0, 0, 0);
}
}  // namespace

// Raw: glibc's sigprocmask never blocks or unblocks SIGCANCEL.
void sigcancel_mask(int how) {
  uint64_t sigcancel = 1ull << (kSigCancel - 1);
  raw_syscall6(SYS_rt_sigprocmask, how, (long)&sigcancel, 0, 8, 0, 0);
}

bool cancel_defer(ThreadState *ts) {
  int t = liveness_timeout_signal();
  if (!t) {
    // No watchdog (SIGCANCEL not sent by the interposed pthread_cancel):
    // nothing can rewind the calls, and glibc's handler must not run here.
    say("SIGCANCEL inside a domain without the runtime's watchdog: the cancellation is dropped");
    return true;
  }
  ts->cancel_due = kCancelWaiting;
  for (int i = 0; i < ts->depth && i < kMaxDepth; ++i) ts->frames[i].deadline_ms = 1;
  // The watchdog's signal now, delivered where this handler returns to:
  // the interrupted domain is rewound at once (or, in a gate, at the
  // watchdog's next period).
  sigset_t s;
  sigemptyset(&s);
  sigaddset(&s, t);
  raw_syscall6(SYS_rt_sigprocmask, SIG_BLOCK, (long)&s, 0, _NSIG / 8, 0, 0);
  signal_self(ts, t);
  log_line("asynchronous cancellation inside a domain: its calls are abandoned, the cancellation acts in root");
  return true;
}

// `popped`: the outermost frame's own context, dead once popped.  A compat
// frame's rewind goes to another context (`target`): not redirected, the
// cancellation then acts at the watchdog's next signal.
const JmpCtx *cancel_landing_arm(ThreadState *ts, JmpCtx *popped, const JmpCtx *target) {
  if (target != popped || ts->depth != 0) {
    ts->cancel_due = kCancelWaiting;
    return target;
  }
  // The context's stack pointer is its caller's after the call returned
  // (SAVE_CALLER_CTX), 16-byte aligned: the return address goes below it
  // as the caller's `call` of sdrad_cancel_landing would have put it.
  popped->rsp -= 8;
  *(uint64_t *)popped->rsp = popped->rip;
  popped->rip = (uint64_t)(uintptr_t)sdrad_cancel_landing;
  return popped;
}

// The watchdog's signal at depth 0 while a cancellation waits: the calls
// ended by themselves before it could rewind them (SIGCANCEL came while
// the runtime's code ran, which it does not interrupt).  The program's
// code runs now, almost surely: the runtime's own code left at depth 0 is
// the few instructions of a return.
void cancel_act_at_root(ThreadState *ts) {
  if (ts->cancel_due != kCancelWaiting || ts->depth != 0) return;
  ts->cancel_due = 0;
  signal_self(ts, kSigCancel);  // pending until the running handler returns
}

}  // namespace sdrad

using namespace sdrad;

extern "C" SDRAD_HIDDEN void sdrad_cancel_landed() {
  ThreadState *ts = thread_state_if_any();
  if (!ts || ts->cancel_due != kCancelLanding || ts->depth != 0) return;
  ts->cancel_due = 0;
  // The rewind restored the mask of the context it interrupted, which may
  // have been inside a SIGCANCEL handler's entry or exit (SIGCANCEL
  // blocked there): the signal below would then stay pending, the call
  // return its status and the thread go on uncancelled (seen about once in
  // a hundred guest runs of Cancel.*).  Out of every handler here, and
  // glibc never lets a program block SIGCANCEL: unblocked.
  sigcancel_mask(SIG_UNBLOCK);
  signal_self(ts, kSigCancel);  // delivered now: glibc's handler, from root's frames
}
