// unwind_ranges.cpp: function starts from a runtime-owned snapshot of the
// loaded objects' .eh_frame_hdr tables (not libgcc's key-0 registry).
#pragma once
#include <stdint.h>

namespace sdrad {
void unwind_ranges_refresh();             // root only: start-up, dlopen, dlclose
uintptr_t function_start_of(uintptr_t pc);  // 0: no function known there
}  // namespace sdrad
