// signals.h - signal handling and start-up hooks (signals.cpp, signal_state.cpp, threads.cpp, ...)
// Part of the runtime's internal headers (internal.h includes them all).
#pragma once

#include <signal.h>

#include "state.h"

namespace sdrad {

// --- signals ------------------------------------------------------------
void signals_install();
void state_install_hooks();
void malloc_install_hooks();
void threads_install_hooks();
void memory_install_hooks();
void thread_altstack_ensure(ThreadState *ts);
// glibc's own signals (its SIGCANCEL and SIGSETXID, not in <signal.h>):
// the handler glibc installed for one goes behind the runtime's entry
// (both backends; signals.cpp).
constexpr int kSigCancel = 32, kSigSetxid = 33;
void signals_wrap_libc_handler(int sig);
void altstack_put(void *p);  // a thread's alt stack, back for reuse
void unblock_fault_signals(sigset_t *mask);  // signal_state.cpp
// PKRU of a signal's interrupted context (XSAVE area; 0 if not saved).
uint32_t interrupted_pkru(const ucontext_t *uc);  // liveness.cpp
// The PKRU a signal frame will restore, or null (syscall_confine.cpp).
uint32_t *frame_pkru(void *ucv);
// A domain's first write to libc's data (libc_data_key.cpp): true if it
// may now write it (the frame's PKRU is opened; retry the access).
bool libc_write_grant(ThreadState *ts, Instance *in, const siginfo_t *info, void *ucv);
// libc's own sigaction (ours is interposed, and so is __sigaction).
int real_sigaction(int sig, const struct sigaction *act, struct sigaction *old);
// threads.cpp: glibc's stack bounds in the thread's descriptor, kept by the
// runtime from the thread's start and put back before glibc's exit path.
struct DescriptorBounds {
  uintptr_t off;  // 0: not known
  uintptr_t words[3];
  uintptr_t seal_lo, seal_hi;  // the stack mapping root-keyed before glibc's exit path (0: none)
};
DescriptorBounds descriptor_bounds_saved();
void descriptor_bounds_restore(const DescriptorBounds &b);
void thread_exit_runtime_part();  // threads.cpp: before glibc's exit path
void thread_stack_seal_gone(const ThreadState *ts);  // threads.cpp: fork's child, another thread's stack
// A call from root found `in` active: ends the calls of signal handlers
// left by a jump (signals.cpp); true if any ended.
bool park_reap_left(ThreadState *ts, uintptr_t sp);
// A thread ends: park slots it still owns (handlers left by a jump) are
// freed, so that a thread that gets its state next does not own them.
void park_release_thread(ThreadState *ts);
// A program's signal handler of this thread runs on top of an isolated call
// it interrupted (its frames below are a domain's): no unwind or thread exit
// may start there (handler_fence.S).
bool handler_over_domain(ThreadState *ts);
[[noreturn]] void handler_left_by_unwind(const char *how);
// Root jumps (longjmp.cpp) to the context `jmpbuf` (glibc's __jmpbuf
// words, mangled): root's pointer guard and TLS words are put back for the
// parks of the handlers it leaves (ended later), and those handlers'
// signal levels given back.
void signal_handlers_left_by_jump(ThreadState *ts, const uint64_t *jmpbuf);
// Asynchronous cancellation inside a domain (cancel.cpp): SIGCANCEL's
// handler deferred until the thread's calls are rewound; the outermost
// rewind's context aimed at the landing; the deferred cancellation acted
// on from a handler that runs at depth 0.
// ThreadState::cancel_due: waiting for the calls to be rewound (the
// watchdog's signal does it), then the landing armed (it acts).
// A SIGCANCEL that came while a program's handler ran on top of a domain
// waits for that handler to return (then as inside the domain).
constexpr uint32_t kCancelWaiting = 1, kCancelLanding = 2, kCancelAfterHandler = 3;
bool cancel_defer(ThreadState *ts);
void sigcancel_mask(int how);  // SIG_BLOCK / SIG_UNBLOCK SIGCANCEL for this thread (raw)
const JmpCtx *cancel_landing_arm(ThreadState *ts, JmpCtx *popped, const JmpCtx *target);
void cancel_act_at_root(ThreadState *ts);
bool in_domain();                                  // called from domain code (not a gate)?
[[noreturn]] void refuse_in_domain(const char *what);  // a fault of that domain

}  // namespace sdrad
