// confine.h - syscall confinement (syscall_confine.cpp, syscall_policy.cpp)
// Part of the runtime's internal headers (internal.h includes them all).
#pragma once

#include "state.h"

namespace sdrad {

// --- syscall confinement (syscall_confine.cpp, syscall_policy.cpp) ------
constexpr uint8_t kSudAllow = 0, kSudBlock = 1;   // SYSCALL_DISPATCH_FILTER_*
constexpr uint32_t kSyscallsDefault = 0, kSyscallsEperm = 1, kSyscallsAny = 2;
// Mirror of the thread's selector for the gates' fast path without PKU
// (gate_macros.inc); never trusted for a decision about rights.
extern __thread uint8_t t_sud_block __asm__("sdrad_t_sud_block") __attribute__((tls_model("initial-exec")));
void confine_init();                        // start-up: probe, map selectors
void confine_thread_enable(ThreadState *ts);  // prctl, once per thread
void confine_thread_exit(ThreadState *ts);    // before the state is reused
inline bool frame_confined(const Frame &f) { return f.inst->dom->syscalls != kSyscallsAny; }
// The thread's selector after a change of depth: block while a confined
// domain runs, allow in root.  A few instructions; nothing when off.
__attribute__((always_inline)) inline void confine_sync(ThreadState *ts) {
  if (__builtin_expect(!g_shared.confine, 0)) return;
  if (ts->depth > 0 && !ts->sud_on) confine_thread_enable(ts);
  uint8_t v = ts->depth > 0 && frame_confined(ts->frames[ts->depth - 1]) ? kSudBlock : kSudAllow;
  ((volatile uint8_t *)g_shared.sud_rw)[((uintptr_t)ts - g_shared.ts_base) / sizeof(ThreadState)] = v;
  t_sud_block = v;
}
// Every runtime signal handler: selector to allow on entry (the handler
// makes system calls), and on return into a domain the re-arm stub
// (syscall_rearm.S) blocks again; the frame's PKRU is the one at entry.
ThreadState *confine_signal_enter(void *uc);
// pass: the domain itself re-executes its (checked) system call, with its
// own PKRU, on the way back (the kernel then touches only memory the
// domain may touch).
void confine_signal_leave(ThreadState *ts, void *uc, bool pass = false);
void confine_signal_abandon(ThreadState *ts);  // the handler rewinds instead
// Policy for one system call of the innermost domain (syscall_policy.cpp).
enum class SysVerdict { Pass, Done, Refuse, Fault };
// `frame_mask`: the signal mask the domain resumes with (the SIGSYS frame's).
SysVerdict syscall_policy_run(ThreadState *ts, const Instance *in, long nr, const long a[6], sigset_t *frame_mask,
                              long *result,
                              int *fault_kind);
long raw_syscall6(long nr, long a, long b, long c, long d, long e, long f);

void binary_scan_startup();                 // binary_scan.cpp

}  // namespace sdrad
