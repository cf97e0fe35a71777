// liveness.h - time limits, heap limits, init and after-discard hooks (liveness.cpp)
// Part of the runtime's internal headers (internal.h includes them all).
#pragma once

#include "state.h"

namespace sdrad {

// --- liveness (liveness.cpp) --------------------------------------------
void liveness_on_entry(ThreadState *ts, Frame *f, Instance *in);  // before the push
void liveness_after_discard(Instance *in);
int liveness_timeout_signal();  // the watchdog's signal, 0 before any time limit
bool liveness_watch_cancellation();  // the watchdog runs (cancel.cpp)
uintptr_t liveness_wrap_init(Instance *in, void (*entry)(void *), void *arg, uintptr_t sp);
void liveness_init_entry(void *blk);
size_t default_heap_limit(size_t env_value);

}  // namespace sdrad
