// switch.h - the symbols that cross between C++ and assembly (switch.S, gate_macros.inc), the rewind, fault reports (fault.cpp)
// Part of the runtime's internal headers (internal.h includes them all).
#pragma once

#include "state.h"

namespace sdrad {

// --- rewind (call.cpp, switch.S) ---------------------------------------
extern "C" int32_t sdrad_enter_and_run(Frame *f, uintptr_t stack_top, uint32_t pkru,
                                       void (*fn)(void *), void *arg, uint32_t *dom_code);
extern "C" [[noreturn]] void sdrad_jump(const JmpCtx *ctx, int64_t value);
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

}  // namespace sdrad
