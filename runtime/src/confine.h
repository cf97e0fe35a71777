// confine.h - syscall confinement (syscall_confine.cpp, syscall_policy.cpp)
// Part of the runtime's internal headers (internal.h includes them all).
#pragma once

#include <atomic>

#include "state.h"

namespace sdrad {

// --- syscall confinement (syscall_confine.cpp, syscall_policy.cpp) ------
constexpr uint8_t kSudAllow = 0, kSudBlock = 1;   // SYSCALL_DISPATCH_FILTER_*
constexpr uint32_t kSyscallsDefault = 0, kSyscallsEperm = 1, kSyscallsAny = 2;
// g_shared.confine (SDRAD_CONFINEMENT): 0 off; per-call: dispatch is on only
// while a confined domain runs (a prctl on entry from root and one on the
// way back), so root's system calls take the kernel's fast path; always-on:
// a thread keeps dispatch on once it entered a confined domain (no prctl
// per call; every later root system call of the thread takes the kernel's
// slow syscall-work path).
constexpr uint32_t kConfineOff = 0, kConfinePerCall = 1, kConfineAlwaysOn = 2;
// Mirror of the thread's selector for the gates' fast path without PKU
// (gate_macros.inc); never trusted for a decision about rights.
extern __thread uint8_t t_sud_block __asm__("sdrad_t_sud_block") __attribute__((tls_model("initial-exec")));
// The thread's selector byte, runtime-owned view (root key under PKU).
inline volatile uint8_t *selector_rw(const ThreadState *ts) {
  return (volatile uint8_t *)g_shared.sud_rw + ((uintptr_t)ts - g_shared.ts_base) / sizeof(ThreadState);
}
// The thread's selector on "allow" while the runtime makes system calls
// of its own on a rewind, which may run with it on "block": releasing an
// instance's resources (domain_resources.cpp) and discarding its memory
// (memory.cpp: a fresh slot's MAP_FIXED, which the policy refuses a domain
// since session 7).  Without PKU the SIGSYS handler cannot tell these
// calls from the domain's.  Back to what it was at the end.
struct SelectorAllowed {
  volatile uint8_t *sel = nullptr;
  uint8_t was = 0;
  SelectorAllowed() {
    ThreadState *ts = g_shared.confine ? thread_state_if_any() : nullptr;
    if (!ts || !ts->sud_on) return;
    sel = selector_rw(ts);
    was = *sel;
    *sel = kSudAllow;
  }
  ~SelectorAllowed() {
    if (sel) *sel = was;
  }
};
// SIGSYS for a system call that was not a confined domain's (root's or the
// runtime's own, made with the selector on "block"): performed as it is,
// and counted (tests; a root call dispatched is a cost the modes avoid).
extern std::atomic<uint64_t> g_sud_dispatched_other;
void confine_init();                        // start-up: probe, map selectors
void confine_thread_enable(ThreadState *ts);   // selector "allow", then dispatch on
void confine_thread_block_first(ThreadState *ts);  // dispatch on, then the selector blocks
void confine_thread_disable(ThreadState *ts);  // selector "allow", then dispatch off
void confine_thread_exit(ThreadState *ts);    // before the state is reused
inline bool frame_confined(const Frame &f) { return f.inst->dom->syscalls != kSyscallsAny; }
// The thread's selector after a change of depth: block while a confined
// domain runs, allow in root.  Dispatch is turned on before the selector
// blocks (so before the caller drops to the domain's PKRU) and, per-call,
// off after it allows again (after the domain's code ran).  Nothing when
// confinement is off; no system call when the thread's dispatch state
// already fits.
__attribute__((always_inline)) inline void confine_sync(ThreadState *ts) {
  uint32_t mode = g_shared.confine;
  if (__builtin_expect(mode == kConfineOff, 0)) return;
  bool block = ts->depth > 0 && frame_confined(ts->frames[ts->depth - 1]);
  if (block && !ts->sud_on) return confine_thread_block_first(ts);
  uint8_t v = block ? kSudBlock : kSudAllow;
  ts->sud_want = v;
  *selector_rw(ts) = v;
  t_sud_block = v;
  if (!block && ts->sud_on && mode == kConfinePerCall) confine_thread_disable(ts);
}
// The selector a drop into a domain checks after its WRPKRU (read-only
// view, key 0), or 0 if the runtime wants "allow" (selector_check.inc).
inline uintptr_t selector_to_check(const ThreadState *ts) {
  if (ts->sud_want != kSudBlock) return 0;
  return g_shared.sud_ro + ((uintptr_t)ts - g_shared.ts_base) / sizeof(ThreadState);
}
// Tests only: called at PKRU 0 right after the selector was set to
// "block" and before the WRPKRU into the domain (the window a signal could
// reopen): the first block of a thread on entry (push_frame), an API gate's
// exit, the re-arm stub, a jump back into a domain (a compat rewind).  Not
// on the call fast path (its test uses a hardware breakpoint instead).
// RearmTaking: in the re-arm stub's impl before it took the interrupted
// address (selector still on "allow").
enum class ConfineWindow { Entry, GateExit, Rearm, Jump, RearmTaking };
extern void (*g_confine_window_test_hook)(ConfineWindow);
inline void confine_window_test(ConfineWindow w) {
  if (__builtin_expect(g_confine_window_test_hook != nullptr, 0)) g_confine_window_test_hook(w);
}
// Drops into a domain that found the selector on "allow" although the
// runtime wants "block" (a signal handled in the window before the WRPKRU),
// and re-synced it (tests).
extern std::atomic<uint64_t> g_sud_resyncs;
// Every runtime signal handler: selector to allow on entry (the handler
// makes system calls), and on return into a domain the re-arm stub
// (syscall_rearm.S) blocks again; the frame's PKRU is the one at entry.
ThreadState *confine_signal_enter(void *uc);
// How a handler goes back: Resume (any signal) or Pass (SIGSYS: the domain
// itself re-executes its checked system call, with its own PKRU, on the
// way back, so the kernel touches only memory the domain may touch).  Back
// into runtime code the selector stays on "allow" until the gate returns.
enum class SigLeave { Resume, Pass };
void confine_signal_leave(ThreadState *ts, void *uc, SigLeave how = SigLeave::Resume);
void confine_signal_abandon(ThreadState *ts);  // the handler rewinds instead
// Policy for one system call of the innermost domain (syscall_policy.cpp).
enum class SysVerdict { Pass, Done, Refuse, Fault };
// `frame_mask`: the signal mask the domain resumes with (the SIGSYS frame's).
// `a`: the arguments; on Pass, what the domain re-executes the call with.
SysVerdict syscall_policy_run(ThreadState *ts, Instance *in, long nr, long a[6], sigset_t *frame_mask,
                              long *result,
                              int *fault_kind);
long raw_syscall6(long nr, long a, long b, long c, long d, long e, long f);

// An instance's mappings outside its slot and its descriptors
// (domain_resources.cpp): made and changed only through these, by the
// SIGSYS handler; released with the instance (memory.cpp: discard, free).
long domain_mmap(Instance *in, const long a[6]);          // not MAP_FIXED, not PROT_EXEC
bool domain_map_owned(const Instance *in, uintptr_t addr, uintptr_t len);
long domain_munmap(Instance *in, uintptr_t addr, uintptr_t len);  // owned range
bool domain_mremap_allowed(const Instance *in, const long a[6]);  // a whole one, no MREMAP_FIXED
long domain_mremap(Instance *in, const long a[6]);
long domain_mprotect(Instance *in, const long a[6]);      // inside one owned mapping, no PROT_EXEC
bool domain_fd_owned(const Instance *in, long fd);       // opened by the instance, still that file
bool domain_fd_add(Instance *in, int fd);                // false: table full
enum class FdClose { Owned, NotOpen, Foreign };          // closed / EBADF / not the instance's
FdClose domain_fd_close(Instance *in, long fd, long *result);
void instance_release_resources(Instance *in);

// The selector a jump back into a domain's code (call.cpp: a compat
// rewind into sdrad_init's caller, a confined parent) checks after its
// WRPKRU (sdrad_jump_to_domain, syscall_rearm.S), or 0.  The window test
// hook runs here (ConfineWindow::Jump).
uintptr_t jump_selector(ThreadState *ts);
extern "C" [[noreturn]] void sdrad_jump_to_domain(const JmpCtx *ctx, int64_t value, uintptr_t selector);

void binary_scan_startup();                 // binary_scan.cpp

}  // namespace sdrad
