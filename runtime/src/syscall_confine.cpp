// Syscall confinement of domains with Syscall User Dispatch (Linux >= 5.11,
// prctl(PR_SET_SYSCALL_USER_DISPATCH)).
//
// Each thread that enters a domain turns dispatch on once, with no allowed
// code range and a selector byte the runtime owns.  The selector says
// "block" while a confined domain runs and "allow" in root, so a system
// call instruction executed by a domain (libc's or its own) raises SIGSYS
// and the runtime decides (syscall_policy.cpp); root's system calls go
// straight to the kernel.
//
// The selector must be readable by the kernel under the domain's PKRU (even
// under the confidentiality policy, where root-key memory is unreadable) and
// writable only by the runtime: one page of selectors (one byte per thread
// state) is mapped twice from a memfd, read-only with key 0 (what the kernel
// is given) and read-write with the root key (what the runtime writes).
//
// Returning from a signal handler into a domain cannot happen with the
// selector on "block": the sigreturn itself would be dispatched.  Handlers
// return with "allow" and their frame's instruction pointer moved to the
// re-arm stub (syscall_rearm.S), which elevates, blocks again and jumps to
// where the domain was interrupted.  So no code range is ever exempt, and a
// domain that jumps into the runtime finds no system call instruction it
// could use with the selector on "block".
#include <pthread.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

#include "internal.h"

#ifndef PR_SET_SYSCALL_USER_DISPATCH
#define PR_SET_SYSCALL_USER_DISPATCH 59
#define PR_SYS_DISPATCH_OFF 0
#define PR_SYS_DISPATCH_ON 1
#endif

extern "C" void sdrad_sigsys_entry(int, siginfo_t *, void *) SDRAD_HIDDEN;
extern "C" char sdrad_sud_do[] SDRAD_HIDDEN;
extern "C" char sdrad_sud_rearm[] SDRAD_HIDDEN;
extern "C" char sdrad_sud_rearm_end[] SDRAD_HIDDEN;
extern "C" char sdrad_signal_entries[] SDRAD_HIDDEN;
extern "C" char sdrad_signal_entries_end[] SDRAD_HIDDEN;
extern "C" int __sigaction(int, const struct sigaction *, struct sigaction *);

namespace sdrad {

__thread uint8_t t_sud_block __asm__("sdrad_t_sud_block") __attribute__((tls_model("initial-exec"))) = 0;

long raw_syscall6(long nr, long a, long b, long c, long d, long e, long f) {
  long r;
  register long r10 __asm__("r10") = d;
  register long r8 __asm__("r8") = e;
  register long r9 __asm__("r9") = f;
  __asm__ volatile("syscall"
                   : "=a"(r)
                   : "a"(nr), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
                   : "rcx", "r11", "memory");
  return r;
}

namespace {

bool env_on(const char *name) {
  const char *v = getenv(name);
  return v && *v && strcmp(v, "0") != 0;
}

// Is Syscall User Dispatch there?  Turning it off is harmless and fails
// with EINVAL where the kernel lacks it (CONFIG_GENERIC_ENTRY).
bool sud_available() {
  return raw_syscall6(SYS_prctl, PR_SET_SYSCALL_USER_DISPATCH, PR_SYS_DISPATCH_OFF, 0, 0, 0, 0) == 0;
}

bool map_selectors() {
  int fd = (int)raw_syscall6(SYS_memfd_create, (long)"sdrad-syscall-selectors", MFD_CLOEXEC, 0, 0, 0, 0);
  if (fd < 0) return false;
  bool ok = ftruncate(fd, kPage) == 0;
  void *ro = ok ? mmap(nullptr, kPage, PROT_READ, MAP_SHARED, fd, 0) : MAP_FAILED;
  void *rw = ok ? mmap(nullptr, kPage, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0) : MAP_FAILED;
  close(fd);
  if (ro == MAP_FAILED || rw == MAP_FAILED) return false;
  if (g_shared.pku) tag_memory(rw, kPage, PROT_READ | PROT_WRITE, g_shared.root_key);
  g_shared.sud_ro = (uintptr_t)ro;
  g_shared.sud_rw = (uintptr_t)rw;
  return true;
}

}  // namespace

// The PKRU a signal frame will restore (XSAVE standard format), or null.
uint32_t *frame_pkru(void *ucv) {
  if (!g_shared.pku || !g_shared.xsave_pkru_off || !ucv) return nullptr;
  auto *uc = (ucontext_t *)ucv;
  auto *fx = (uint8_t *)uc->uc_mcontext.fpregs;
  if (!fx) return nullptr;
  // An XSAVE frame (struct _fpx_sw_bytes: magic1, extended_size, xfeatures,
  // xstate_size) large enough to hold the PKRU component.
  const uint32_t *sw = (const uint32_t *)(fx + 464);
  if (sw[0] != 0x46505853u || sw[4] < g_shared.xsave_pkru_off + 4) return nullptr;
  uint64_t *xstate_bv = (uint64_t *)(fx + 512);
  auto *pkru = (uint32_t *)(fx + g_shared.xsave_pkru_off);
  // XSAVE writes nothing for a component in its init state: a context that
  // ran at PKRU 0 (elevated runtime code) left the bit clear and whatever an
  // earlier frame at this address held in the slot (often a domain's PKRU).
  // Setting the bit without writing 0 made the frame restore that stale
  // value: runtime code resumed with a domain's rights (a key violation in
  // the signal entry's frame copy, seen in the signal-storm test under PKU).
  if (!(*xstate_bv & (1ull << 9))) *pkru = 0;
  *xstate_bv |= 1ull << 9;  // restore PKRU from the frame, never its init value
  return pkru;
}

namespace {

// A fork child has one thread and a private copy of nothing: the selector
// page is shared with the parent, so it gets its own.
void atfork_child() {
  if (!g_shared.confine) return;
  uintptr_t old_rw = g_shared.sud_rw;
  int fd = (int)raw_syscall6(SYS_memfd_create, (long)"sdrad-syscall-selectors", MFD_CLOEXEC, 0, 0, 0, 0);
  if (fd < 0 || ftruncate(fd, kPage) != 0) fatal("fork: cannot make the child's syscall selectors");
  if (pwrite(fd, (const void *)old_rw, kPage, 0) != (ssize_t)kPage) fatal("fork: cannot copy syscall selectors");
  // The shared page is read-only; the views keep their addresses.
  if (mmap((void *)g_shared.sud_ro, kPage, PROT_READ, MAP_SHARED | MAP_FIXED, fd, 0) == MAP_FAILED ||
      mmap((void *)g_shared.sud_rw, kPage, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd, 0) == MAP_FAILED)
    fatal("fork: cannot map the child's syscall selectors");
  close(fd);
  if (g_shared.pku) tag_memory((void *)g_shared.sud_rw, kPage, PROT_READ | PROT_WRITE, g_shared.root_key);
  // Dispatch is not inherited: the child's thread turns it on again.
  if (ThreadState *ts = thread_state_if_any()) {
    ts->sud_on = 0;
    confine_sync(ts);
  }
}

// SDRAD_CONFINEMENT: "0" off; "always-on" (also "1", the default) or
// "per-call" (confine.h); anything else is refused.  always-on is the
// default because per-call's two prctl calls (~540 ns) cost more than the
// slow path on root's system calls (~57 ns each) unless a thread makes more
// than about 9 root system calls per isolated call (docs/performance.md).
uint32_t confine_mode_from_env(const char *want) {
  if (!want || !*want || !strcmp(want, "1") || !strcmp(want, "always-on")) return kConfineAlwaysOn;
  if (!strcmp(want, "0")) return kConfineOff;
  if (!strcmp(want, "per-call")) return kConfinePerCall;
  fatal("SDRAD_CONFINEMENT=%s: expected always-on, per-call or 0", want);
}

}  // namespace

std::atomic<uint64_t> g_sud_dispatched_other{0};

// Start-up (before the shared page becomes read-only).
void confine_init() {
  g_shared.confine = kConfineOff;
  uint32_t mode = confine_mode_from_env(getenv("SDRAD_CONFINEMENT"));
  bool require = env_on("SDRAD_REQUIRE_CONFINEMENT");
  if (mode == kConfineOff) {
    if (require) fatal("SDRAD_REQUIRE_CONFINEMENT is set but SDRAD_CONFINEMENT=0 turns confinement off");
    log_line("syscall confinement of domains is off (SDRAD_CONFINEMENT=0)");
    return;
  }
  if (!sud_available()) {
    if (require)
      fatal("SDRAD_REQUIRE_CONFINEMENT is set but this kernel has no Syscall User Dispatch "
            "(Linux >= 5.11 with CONFIG_GENERIC_ENTRY); refusing to start");
    say("syscall confinement unavailable: this kernel has no Syscall User Dispatch; domains' "
        "system calls are not confined (docs/threat-model.md)");
    return;
  }
  if (!map_selectors()) {
    if (require) fatal("SDRAD_REQUIRE_CONFINEMENT is set but the syscall selectors could not be mapped");
    say("syscall confinement unavailable: cannot map the selector page");
    return;
  }
  struct sigaction sa;
  memset(&sa, 0, sizeof(sa));
  sa.sa_sigaction = sdrad_sigsys_entry;
  sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
  // No asynchronous signal nests in the handler: a program's handler that
  // interrupted it before it counted itself (sig_depth) would send its
  // return through the re-arm stub, and the handler's own system calls
  // would then meet "block" with SIGSYS masked: the kernel kills the
  // process.  They arrive when the handler returns or sets the domain's mask.
  sigfillset(&sa.sa_mask);
  static const int kSync[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP};
  for (int s : kSync) sigdelset(&sa.sa_mask, s);
  if (__sigaction(SIGSYS, &sa, nullptr) != 0) fatal("cannot install the SIGSYS handler");
  pthread_atfork(nullptr, nullptr, atfork_child);
  g_shared.confine = mode;
  log_line("syscall confinement: Syscall User Dispatch (%s), selectors at %#lx",
           mode == kConfinePerCall ? "per-call" : "always-on", (unsigned long)g_shared.sud_ro);
}

void confine_thread_enable(ThreadState *ts) {
  size_t idx = ((uintptr_t)ts - g_shared.ts_base) / sizeof(ThreadState);
  *selector_rw(ts) = kSudAllow;
  long r = raw_syscall6(SYS_prctl, PR_SET_SYSCALL_USER_DISPATCH, PR_SYS_DISPATCH_ON, 0, 0,
                        (long)(g_shared.sud_ro + idx), 0);
  if (r != 0) fatal("cannot turn on syscall confinement for thread %d (error %ld)", ts->tid, -r);
  ts->sud_on = 1;
}

// confine_sync's first block on a thread whose dispatch is off (always-on:
// its first call into a confined domain; per-call: every such call).
void (*g_confine_window_test_hook)(ConfineWindow);
void confine_thread_block_first(ThreadState *ts) {
  confine_thread_enable(ts);
  ts->sud_want = kSudBlock;
  *selector_rw(ts) = kSudBlock;
  t_sud_block = kSudBlock;
  confine_window_test(ConfineWindow::Entry);
}

// The selector is "allow" (confine_sync), so this prctl reaches the kernel.
void confine_thread_disable(ThreadState *ts) {
  *selector_rw(ts) = kSudAllow;
  long r = raw_syscall6(SYS_prctl, PR_SET_SYSCALL_USER_DISPATCH, PR_SYS_DISPATCH_OFF, 0, 0, 0, 0);
  if (r != 0) fatal("cannot turn off syscall dispatch for thread %d (error %ld)", ts->tid, -r);
  ts->sud_on = 0;
}

// Thread exit: its thread state (and selector byte) goes to the next
// thread, which may block it while this one still makes system calls on
// its way out (with every signal blocked: a dispatched call would kill the
// process).  Dispatch off first.
void confine_thread_exit(ThreadState *ts) {
  if (!ts->sud_on) return;
  ts->sud_want = kSudAllow;
  ((volatile uint8_t *)g_shared.sud_rw)[((uintptr_t)ts - g_shared.ts_base) / sizeof(ThreadState)] = kSudAllow;
  t_sud_block = 0;
  if (raw_syscall6(SYS_prctl, PR_SET_SYSCALL_USER_DISPATCH, PR_SYS_DISPATCH_OFF, 0, 0, 0, 0) != 0)
    fatal("cannot turn off syscall confinement for exiting thread %d", ts->tid);
  ts->sud_on = 0;
}

// The selector to "allow" for the thread a runtime signal handler runs on,
// before any system call; its state, or nullptr.
static ThreadState *signal_selector_allow() {
  // t_ts is key-0 TLS: only a range check before the write, validation
  // after (which may need a system call).
  ThreadState *raw = t_ts;
  uintptr_t off = (uintptr_t)raw - g_shared.ts_base;
  bool in_range = off < g_shared.ts_size && (off % sizeof(ThreadState)) == 0;
  if (in_range) ((volatile uint8_t *)g_shared.sud_rw)[off / sizeof(ThreadState)] = kSudAllow;
  ThreadState *ts = thread_state_if_any();
  if (!ts) return nullptr;
  if (ts != raw) {
    ((volatile uint8_t *)g_shared.sud_rw)[((uintptr_t)ts - g_shared.ts_base) / sizeof(ThreadState)] = kSudAllow;
    if (in_range && raw->in_use) confine_sync(raw);  // put back the other thread's selector
  }
  return ts;
}

// Entry of every runtime signal handler.  Runs elevated, before any system
// call: the selector is still "block" if a domain was interrupted.
ThreadState *confine_signal_enter(void *uc) {
  ThreadState *ts = g_shared.confine ? signal_selector_allow() : thread_state_if_any();
  if (!ts) return nullptr;
  // The interrupted PKRU, which confine_signal_leave puts back: kept with
  // confinement off too (SDRAD_CONFINEMENT=0), else the leave compared the
  // frame with a stale record and resumed the domain with it (PKRU 0 after
  // a program's handler: test SignalHandlerCall.*, unit.signal_handler_call.
  // unconfined, on a host with protection keys).
  if (ts->sig_depth < 8) {
    if (uint32_t *p = frame_pkru(uc)) ts->sig_pkru[ts->sig_depth] = *p;
    ts->sig_frame[ts->sig_depth] = (uintptr_t)uc;
  }
  ts->sig_depth++;
  return ts;
}

void confine_signal_abandon(ThreadState *ts) {
  if (ts && ts->sig_depth) ts->sig_depth--;
}

// A handler returns to the interrupted context: that context's PKRU (as
// saved at entry, whatever the frame says now), and, into a confined
// domain, through the re-arm stub.
void confine_signal_leave(ThreadState *ts, void *ucv, SigLeave how) {
  if (!ts) return;
  if (ts->sig_depth) ts->sig_depth--;
  if (uint32_t *p = frame_pkru(ucv)) {
    if (ts->sig_depth < 8 && *p != ts->sig_pkru[ts->sig_depth]) {
      log_line("a signal frame's PKRU changed while its handler ran: restored");
      *p = ts->sig_pkru[ts->sig_depth];
    }
  }
  if (!g_shared.confine || !ucv) return;
  // Without PKU there is no PKRU to tell: runtime code is an open gate or
  // another of the runtime's handlers this one interrupted (sig_depth is
  // still >= 1 here; e.g. a program's signal during the SIGSYS handler,
  // whose own system calls and rt_sigreturn must not meet "block" while
  // SIGSYS is masked: the kernel would kill the process).
  bool runtime = g_shared.pku ? ts->sig_depth < 8 && ts->sig_pkru[ts->sig_depth] == 0
                              : (ts->depth <= kMaxDepth && ts->gate_open[ts->depth]) || ts->sig_depth > 0;
  // Back into runtime code (a gate, or root code at PKRU 0 between
  // push_frame and the WRPKRU into the domain): "allow" until the gate
  // returns.  Not "block": the handler's own rt_sigreturn comes next.  The
  // drops into a domain that can follow (switch.S: sdrad_enter_and_run,
  // the re-arm stub, the API gates' exits) read the selector after their
  // WRPKRU and, on "allow" where the runtime wants "block", elevate again
  // and re-sync it (selector_check.inc, sdrad_sud_resync).
  if (runtime) return;
  if (ts->depth == 0 || !frame_confined(ts->frames[ts->depth - 1])) {
    confine_sync(ts);
    return;
  }
  auto *uc = (ucontext_t *)ucv;
  uintptr_t rip = uc->uc_mcontext.gregs[REG_RIP];
  // A signal entry's prologue (the kernel's PKRU) or its way back to the
  // restorer (the domain's PKRU, after the handler chose where the outer
  // frame resumes): runtime code.  Re-arming it would block the selector
  // before the outer handler's rt_sigreturn (then dispatched as if the
  // domain made it) and overwrite the outer re-arm's resume address.
  if (rip >= (uintptr_t)sdrad_signal_entries && rip < (uintptr_t)sdrad_signal_entries_end) return;
  // A re-arm still due (its stub, or sdrad_sud_rearm_impl before it took
  // the interrupted address, runs next here; a rewind clears a due one,
  // call.cpp): it blocks, and resumes where the first handler's frame was.
  // Re-arming again would overwrite that address with one in the stub's
  // path, and the outer re-arm would then find none due.  After the impl
  // took it, the stub is interrupted domain code like any other: re-armed
  // again, and resumed where it was.
  if (ts->sud_pending) return;
  ts->sud_resume = rip;
  ts->sud_pending = 1;
  if (how != SigLeave::Pass) ts->sud_arg_slot = 0;  // set by the SIGSYS handler for its own pass only
  uc->uc_mcontext.gregs[REG_RIP] = (greg_t)(uintptr_t)(how == SigLeave::Pass ? sdrad_sud_do : sdrad_sud_rearm);
}

}  // namespace sdrad

using namespace sdrad;

// Called (elevated) by the re-arm stub: where the domain continues, and
// the selector its drop checks (selector_check.inc).  `saved`: the stub's
// saved registers (rbx, r11, r10, r9, r8, ...), on the domain's stack.
struct RearmTarget {
  uintptr_t resume, selector;
};
extern "C" SDRAD_HIDDEN RearmTarget sdrad_sud_rearm_impl(uintptr_t *saved) {
  ThreadState *ts = thread_state_if_any();
  if (!ts || ts->depth == 0) sdrad_gate_violation();
  confine_window_test(ConfineWindow::RearmTaking);
  if (!ts->sud_pending) sdrad_gate_violation();
  // Taken before the re-arm stops being due: a program's signal after that
  // (without PKU this function is not told from the domain's code) re-arms
  // again, nested, and overwrites them with this function's own state.
  uintptr_t resume = ts->sud_resume;
  uint32_t slot = ts->sud_arg_slot;
  uintptr_t slot_value = ts->sud_arg_value;
  __atomic_signal_fence(__ATOMIC_SEQ_CST);
  ts->sud_pending = 0;
  ts->sud_arg_slot = 0;
  if (slot) {
    // A system call preserves its argument registers: the one the policy
    // aimed at its copy goes back to the domain's value.
    const Instance *in = ts->frames[ts->depth - 1].inst;
    uintptr_t a = (uintptr_t)&saved[slot];
    if (a >= in->stack_lo && a + sizeof(uintptr_t) <= in->stack_hi) saved[slot] = slot_value;
  }
  confine_sync(ts);
  uintptr_t selector = selector_to_check(ts);
  if (selector) confine_window_test(ConfineWindow::Rearm);
  return {resume, selector};
}

namespace sdrad {
std::atomic<uint64_t> g_sud_resyncs{0};

uintptr_t jump_selector(ThreadState *ts) {
  uintptr_t selector = selector_to_check(ts);
  if (selector) confine_window_test(ConfineWindow::Jump);
  return selector;
}
}

// selector_check.inc: a drop into a domain found the selector on "allow"
// after its WRPKRU although the runtime wants "block" (a signal handled at
// PKRU 0 just before it left "allow" for its own rt_sigreturn).  Elevated:
// sync it again and hand back the domain's PKRU (dom_code marked), for
// another checked drop.  Reached by a jump from a domain, it only re-syncs
// that domain's own selector and drops to its own PKRU.
extern "C" SDRAD_HIDDEN uint32_t sdrad_sud_resync() {
  ThreadState *ts = thread_state_if_any();
  if (!ts || ts->depth == 0) sdrad_gate_violation();
  g_sud_resyncs.fetch_add(1, std::memory_order_relaxed);
  confine_sync(ts);
  uint32_t pkru = ts->cur_pkru;
  mark_dom_code(ts, pkru);
  return pkru;
}

// Runtime code that a domain reached through a gate makes its own system
// calls (instance memory, the SDRaD API).  Under PKU the SIGSYS handler
// knows it by the PKRU it interrupted (0, which only a gate sets), performs
// the call and leaves the selector on "allow" until the gate returns
// (sdrad_gate_exit_pkru).  Without PKU the gates mark it
// (gate_macros.inc) by depth, so a domain the gate itself calls is
// confined again.
namespace {
bool runtime_running(const ThreadState *ts) {
  if (g_shared.pku) return ts->sig_depth >= 1 && ts->sig_depth <= 8 && ts->sig_pkru[ts->sig_depth - 1] == 0;
  return ts->depth <= kMaxDepth && ts->gate_open[ts->depth] != 0;
}
}  // namespace

extern "C" SDRAD_HIDDEN int32_t sdrad_gate_syscalls_open() {
  ThreadState *ts = thread_state_if_any();
  if (!ts || ts->depth == 0 || !ts->sud_on || ts->depth > kMaxDepth) return -1;
  ts->gate_open[ts->depth]++;
  ((volatile uint8_t *)g_shared.sud_rw)[((uintptr_t)ts - g_shared.ts_base) / sizeof(ThreadState)] = kSudAllow;
  return ts->depth;
}
extern "C" SDRAD_HIDDEN void sdrad_gate_syscalls_close(int32_t depth) {
  ThreadState *ts = thread_state_if_any();
  if (!ts) return;
  if (depth > 0 && depth <= kMaxDepth && ts->gate_open[depth]) ts->gate_open[depth]--;
  if (!runtime_running(ts)) confine_sync(ts);
}
// `installed`: the PKRU the gate drops to (its caller's), or ~0u for the
// thread's recorded one (rights gates).
// rdx (`selector`): what the gate's drop checks after its WRPKRU
// (selector_check.inc), or 0.
struct GateExit {
  uint64_t pkru;
  uintptr_t selector;
};
extern "C" SDRAD_HIDDEN GateExit sdrad_gate_exit_pkru(uint32_t installed) {
  ThreadState *ts = thread_state_if_any();
  if (!ts) return {g_shared.root_pkru, 0};
  confine_sync(ts);
  uint32_t pkru = ts->cur_pkru;
  uintptr_t selector = selector_to_check(ts);
  if (selector) confine_window_test(ConfineWindow::GateExit);
  mark_dom_code(ts, installed == ~0u ? pkru : installed);  // the last store before the drop
  return {pkru, selector};
}

// The runtime's (or root's) rt_sigprocmask met "block": performed on the
// frame's mask, which rt_sigreturn installs when the handler returns.  Done
// on the handler's own mask, it was undone right there (e.g. a watchdog
// signal the runtime unblocks inside a gate, whose first system call meets
// "block" under PKU, stayed blocked; Confinement.RootSigprocmaskMetByBlockTakesEffect).
namespace {
long sigprocmask_on_frame(ucontext_t *uc, const long a[6]) {
  constexpr size_t n = _NSIG / 8;  // the kernel's sigset: the first word of sigset_t
  if ((size_t)a[3] != n) return -EINVAL;
  uint64_t cur, set = 0;
  memcpy(&cur, &uc->uc_sigmask, n);
  if (a[1]) memcpy(&set, (const void *)a[1], n);
  uint64_t old = cur;
  if (a[1]) {
    switch (a[0]) {
      case SIG_BLOCK: cur |= set; break;
      case SIG_UNBLOCK: cur &= ~set; break;
      case SIG_SETMASK: cur = set; break;
      default: return -EINVAL;
    }
    cur &= ~((1ull << (SIGKILL - 1)) | (1ull << (SIGSTOP - 1)));
    memcpy(&uc->uc_sigmask, &cur, n);
  }
  if (a[2]) memcpy((void *)a[2], &old, n);
  return 0;
}
}  // namespace

// SIGSYS: a confined domain made a system call.
extern "C" SDRAD_HIDDEN void sdrad_sigsys_handler(int sig, siginfo_t *info, void *ucv) {
  ThreadState *ts = confine_signal_enter(ucv);
  auto *uc = (ucontext_t *)ucv;
  greg_t *g = uc->uc_mcontext.gregs;
  long nr = g[REG_RAX];
  long a[6] = {g[REG_RDI], g[REG_RSI], g[REG_RDX], g[REG_R10], g[REG_R8], g[REG_R9]};
  if (!ts || ts->depth == 0 || runtime_running(ts) || !frame_confined(ts->frames[ts->depth - 1])) {
    // Not a domain's call: the runtime's own inside a gate (PKRU 0), or
    // a selector left on "block".  Performed as it is.
    g_sud_dispatched_other.fetch_add(1, std::memory_order_relaxed);
    g[REG_RAX] = nr == SYS_rt_sigprocmask ? sigprocmask_on_frame(uc, a)
                                          : raw_syscall6(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
    confine_signal_leave(ts, ucv);
    return;
  }
  Instance *in = ts->frames[ts->depth - 1].inst;
  long result = 0;
  int kind = SDRAD_FAULT_SYSCALL;
  switch (syscall_policy_run(ts, in, nr, a, &uc->uc_sigmask, &result, &kind)) {
    case SysVerdict::Pass: {  // nr and arguments as the domain left them, or one aimed at the policy's copy
      // The re-arm stub's save slots of r10, r8 and r9 (syscall_rearm.S).
      static constexpr struct { int reg, arg, slot; } kArgs[] = {{REG_R10, 3, 2}, {REG_R8, 4, 4}, {REG_R9, 5, 3}};
      ts->sud_arg_slot = 0;
      for (const auto &r : kArgs)
        if (g[r.reg] != a[r.arg]) {
          ts->sud_arg_slot = (uint32_t)r.slot;
          ts->sud_arg_value = (uintptr_t)g[r.reg];
          g[r.reg] = a[r.arg];
        }
      confine_signal_leave(ts, ucv, SigLeave::Pass);
      return;
    }
    case SysVerdict::Done:
      g[REG_RAX] = result;
      confine_signal_leave(ts, ucv);
      return;
    case SysVerdict::Refuse:
      log_line("system call %ld refused (EPERM) in domain '%s'", nr, in->dom->name);
      g[REG_RAX] = -EPERM;
      confine_signal_leave(ts, ucv);
      return;
    case SysVerdict::Fault:
      break;
  }
  sdrad_fault f;
  fault_fill(f, kind, ts);
  f.signo = sig;
  f.si_code = info->si_code;
  f.addr = (uintptr_t)nr;
  f.pc = g[REG_RIP];
  Instance *cur = ts->frames[ts->depth - 1].inst;
  uintptr_t sp = g[REG_RSP];
  if (sp >= cur->stack_lo && sp < cur->stack_hi) cur->fault_sp = sp;
  sigset_t mask = uc->uc_sigmask;
  unblock_fault_signals(&mask);
  raw_syscall6(SYS_rt_sigprocmask, SIG_SETMASK, (long)&mask, 0, _NSIG / 8, 0, 0);
  confine_signal_abandon(ts);
  rewind_innermost(ts, f);
}
