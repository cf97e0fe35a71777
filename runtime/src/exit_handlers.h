// exit_handlers.h - root's exit handlers kept in runtime memory, and the
// check of glibc's exit-handler list on every exit from a domain
// (exit_handlers.cpp).  Part of the runtime's internal headers.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "base.h"

namespace sdrad {

// glibc's struct exit_function_list (x86-64): next, idx, fns[32] of
// {flavor, fn (mangled), arg, dso}.
constexpr size_t kExitFns = 32;
struct GlibcExitFn {
  uint64_t flavor;
  uintptr_t fn, arg, dso;
};
struct GlibcExitList {
  GlibcExitList *next;
  uint64_t idx;
  GlibcExitFn fns[kExitFns];
};

// Once armed (start-up, exit_handlers_arm), root's registrations go to the
// runtime's own list and glibc's is frozen: its head block's entry count
// and its last entry (the runtime's runner, which runs root's list at exit
// and first puts glibc's frozen entries back) must be as frozen on every
// exit from a domain.  Root-owned runtime data.
struct ExitGuard {
  const uint64_t *count_addr;  // &head block->idx
  uint64_t count;
  const GlibcExitFn *runner;   // the runner's entry in glibc's head block
  GlibcExitFn runner_expect;
  bool armed;
};
extern ExitGuard g_exit_guard SDRAD_HIDDEN;
bool exit_handlers_repair();  // false: changed (and put back)
__attribute__((always_inline)) inline bool exit_handlers_ok() {
  const ExitGuard &g = g_exit_guard;
  if (!g.armed) return true;
  const GlibcExitFn &r = *g.runner, &e = g.runner_expect;
  uint64_t d = (*g.count_addr ^ g.count) | (r.flavor ^ e.flavor) | (r.fn ^ e.fn) | (r.arg ^ e.arg) | (r.dso ^ e.dso);
  return __builtin_expect(d == 0, 1) || exit_handlers_repair();
}
// Start-up (libc_state.cpp, with glibc's list head found): registers the
// runner, freezes glibc's list; false (and said why) if it cannot.
bool exit_handlers_arm(uintptr_t head_addr);
void exit_handlers_resolve();  // start-up, first: libc's functions (shared page)

}  // namespace sdrad
