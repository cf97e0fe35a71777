// switch.h - the symbols that cross between C++ and assembly (switch.S, gate_macros.inc), the rewind, fault reports (fault.cpp)
// Part of the runtime's internal headers (internal.h includes them all).
#pragma once

#include "state.h"

namespace sdrad {

// --- rewind (call.cpp, switch.S) ---------------------------------------
extern "C" int32_t sdrad_enter_and_run(Frame *f, uintptr_t stack_top, uint32_t pkru,
                                       void (*fn)(void *), void *arg, uint32_t *dom_code);
extern "C" [[noreturn]] void sdrad_jump(const JmpCtx *ctx, int64_t value);
// switch.S: the instruction of __sdrad_call_with's fast path right before its
// drop into the domain (its selector set; confinement_test.cpp's window).
extern "C" const char sdrad_fast_path_drop[];
extern "C" [[noreturn]] void sdrad_soft_fault_gate(int32_t kind);
extern "C" [[noreturn]] void sdrad_gate_violation();
[[noreturn]] void rewind_innermost(ThreadState *ts, const sdrad_fault &f);
void record_fault(ThreadState *ts, const sdrad_fault &f);  // fault.cpp
// A fault of an instance that is not running (found by root or a parent
// acting on its memory): recorded, counted, the instance discarded.
void fault_discard(Instance *in, int kind, uintptr_t addr);
void stack_canary_place(Instance *in);
bool stack_canary_ok(const Instance *in);
void fault_fill(sdrad_fault &f, int kind, ThreadState *ts);

// --- "inside the runtime" (call.cpp, gate_macros.inc) -------------------
// An asynchronous rewind (a timeout) must not interrupt runtime code: that
// code may hold a runtime lock or be half-way through runtime state, and
// the rewind runs the after-discard hook (user code) next.  Under PKU the
// timeout handler sees runtime code by its PKRU (0); without PKU, gates
// set `inside` while their implementation runs (the GATE macro; nested
// calls: RuntimeScope in call.cpp), a frame push clears it for the domain
// and its pop restores it.  A timeout that finds it set only sets
// `timeout_pending`; the gate fires it when the thread leaves the runtime
// (sdrad_runtime_left).  Key-0 TLS, consulted only without PKU (where a
// domain can write everything anyway).
struct RuntimeMark {
  uint8_t inside;           // runtime code is running for the innermost frame
  uint8_t timeout_pending;  // a timeout waits for the runtime to be left
};
extern __thread RuntimeMark t_runtime __asm__("sdrad_t_runtime") __attribute__((tls_model("initial-exec")));
static_assert(offsetof(RuntimeMark, timeout_pending) == 1, "gate_macros.inc: fs:[sdrad_t_runtime + 1]");
// The timeout handler (liveness.cpp): true if the timeout must wait for the
// runtime to be left; it is then pending.
bool timeout_deferred(ThreadState *ts);
// Called when `inside` drops to 0 with a timeout pending: rewinds the
// innermost frame if it is still the one past its deadline.
extern "C" void sdrad_runtime_left();
// Runtime code a domain reaches without a gate (interposed functions that
// take runtime locks, such as dlopen) marks itself for its scope.
struct RuntimeMarked {
  uint8_t saved;
  RuntimeMarked() : saved(t_runtime.inside) { t_runtime.inside = 1; }
  ~RuntimeMarked() {
    t_runtime.inside = saved;
    if (!saved && t_runtime.timeout_pending) sdrad_runtime_left();
  }
  RuntimeMarked(const RuntimeMarked &) = delete;
  RuntimeMarked &operator=(const RuntimeMarked &) = delete;
};

}  // namespace sdrad
