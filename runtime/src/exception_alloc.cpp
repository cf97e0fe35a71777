// The object of a C++ exception thrown inside a domain comes from the
// domain's heap, also when the heap is at its limit.
//
// libstdc++'s __cxa_allocate_exception takes the object from malloc and,
// when malloc fails, from its emergency pool: memory it allocated at
// start-up, in the root heap.  Under pku a domain cannot write that, so a
// throw at a full heap was a key violation that left the pool's lock held
// by the rewound thread (the next such throw in the process hung).  This
// wrapper lets that malloc use the heap's reserve (heap.h) and then calls
// libstdc++'s own.  Weak: in a fully static program libstdc++'s definition
// wins and nothing changes.
#include <dlfcn.h>

#include "internal.h"

namespace {

using AllocateException = void *(*)(size_t) noexcept;
AllocateException g_real;

// Before main (dlsym allocates: not from inside a domain).
__attribute__((constructor)) void resolve_allocate_exception() {
  g_real = (AllocateException)dlsym(RTLD_NEXT, "__cxa_allocate_exception");
}

}  // namespace

extern "C" SDRAD_EXPORT __attribute__((weak)) void *__cxa_allocate_exception(size_t thrown_size) noexcept {
  if (__builtin_expect(!g_real, 0)) {
    resolve_allocate_exception();
    if (!g_real) sdrad::fatal("cannot find the C++ runtime's __cxa_allocate_exception (dlsym RTLD_NEXT failed)");
  }
  if (sdrad::t_heap) sdrad::heap_use_reserve();  // one allocation; only a domain heap has a reserve
  return g_real(thrown_size);
}
