// Internal declarations shared by the runtime's files, one header per
// concern; this one includes them all.  Nothing here is ABI.
#pragma once

#include "base.h"         // limits, visibility, the spin lock, messages
#include "asm_offsets.h"  // offsets the assembly uses (checked in shared_page.h, state.h)
#include "shared_page.h"  // start-up facts readable in any context, slot layout, PKRU, keys
#include "state.h"        // domains, instances, frames, thread states
#include "heap.h"         // the allocator, guarded heap operations, shared allocations
#include "switch.h"       // C++/assembly symbols, the rewind, fault reports
#include "confine.h"      // syscall confinement
#include "liveness.h"     // time and heap limits, hooks
#include "stdio_check.h"  // the standard streams' check
#include "signals.h"      // signals, start-up hooks
