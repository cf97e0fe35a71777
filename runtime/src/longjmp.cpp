// longjmp and siglongjmp out of a program's signal handler (root code).
//
// A handler that interrupted a domain and leaves by a jump abandons the
// interrupted call: its return checks never run.  glibc demangles the
// stack pointer, frame pointer and address a jmp_buf holds with the
// thread's pointer guard (TLS, fs:0x30), which is key-0 memory the
// interrupted domain may have set: it could choose where root's jump lands
// (row rt12_siglongjmp_with_domains_pointer_guard).  So root's jumps pass
// here first: root's TLS words (the guard first) are put back from the
// abandoned call's frame, and the signal levels of the handlers the jump
// leaves are given back (signals.cpp, signal_handlers_left_by_jump), before
// glibc's jump.
// A domain's own jumps (libpng's error handling, say) go straight through.
#include <dlfcn.h>
#include <setjmp.h>

#include "internal.h"

extern "C" void __longjmp_chk(struct __jmp_buf_tag env[1], int val);

namespace sdrad {
namespace {
using Jump = void (*)(struct __jmp_buf_tag *, int);
Jump g_real_siglongjmp, g_real_longjmp, g_real__longjmp, g_real_longjmp_chk;

// Before main (dlsym allocates: never from a handler).
__attribute__((constructor)) void resolve_jumps() {
  g_real_siglongjmp = (Jump)dlsym(RTLD_NEXT, "siglongjmp");
  g_real_longjmp = (Jump)dlsym(RTLD_NEXT, "longjmp");
  g_real__longjmp = (Jump)dlsym(RTLD_NEXT, "_longjmp");
  g_real_longjmp_chk = (Jump)dlsym(RTLD_NEXT, "__longjmp_chk");
}

// Root code at depth 0 (a handler runs so, parked or chained to): its jump
// may leave handlers.
void before_root_jump(struct __jmp_buf_tag *env) {
  if (!g_shared.initialized) return;
  if (g_shared.pku && rdpkru_raw() != 0) return;  // a domain's jump (its rights)
  ThreadState *ts = thread_state_if_any();
  if (!ts || ts->depth != 0) return;
  signal_handlers_left_by_jump(ts, (const uint64_t *)env->__jmpbuf);
}

[[noreturn]] void jump(Jump &which, struct __jmp_buf_tag *env, int val) {
  if (__builtin_expect(!which, 0)) resolve_jumps();  // a jump before the constructors ran
  Jump real = which;
  if (!real) fatal("cannot find libc's longjmp (dlsym RTLD_NEXT failed)");
  before_root_jump(env);
  real(env, val);
  __builtin_unreachable();
}
}  // namespace
}  // namespace sdrad

using namespace sdrad;

extern "C" SDRAD_EXPORT void siglongjmp(sigjmp_buf env, int val) noexcept { jump(g_real_siglongjmp, env, val); }
extern "C" SDRAD_EXPORT void longjmp(jmp_buf env, int val) noexcept { jump(g_real_longjmp, env, val); }
extern "C" SDRAD_EXPORT void _longjmp(jmp_buf env, int val) noexcept { jump(g_real__longjmp, env, val); }
extern "C" SDRAD_EXPORT void __longjmp_chk(struct __jmp_buf_tag env[1], int val) {
  jump(g_real_longjmp_chk, env, val);
}
