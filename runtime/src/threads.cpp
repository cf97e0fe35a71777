// Threads created by the program: under PKU their stacks become root
// memory too, so that a domain entered from any thread cannot write its
// caller's frames.
//
// glibc keeps a thread's TLS and descriptor at the top of the same mapping
// as its stack, and that part must stay key 0 (libc writes errno there from
// inside domains).  So pthread_create is interposed: the new thread starts
// in thread_start(), which tags everything below its own frame with the
// root key and then runs the program's start routine below that boundary.
// The key is taken back at thread exit, before glibc caches the stack.
#include <dlfcn.h>
#include <errno.h>
#include <stdlib.h>
#include <pthread.h>
#include <string.h>
#include <sys/mman.h>

#include "internal.h"

namespace sdrad {

namespace {

using CreateFn = int (*)(pthread_t *, const pthread_attr_t *, void *(*)(void *), void *);

struct StartArgs {
  void *(*start)(void *);
  void *arg;
};


// Tags [stack bottom, boundary) with the root key; returns false if the
// thread's stack could not be found.
bool tag_stack_below(uintptr_t boundary) {
  pthread_attr_t attr;
  if (pthread_getattr_np(pthread_self(), &attr) != 0) return false;
  void *addr;
  size_t size;
  pthread_attr_getstack(&attr, &addr, &size);  // above the guard page
  pthread_attr_destroy(&attr);
  uintptr_t lo = align_up((uintptr_t)addr, kPage);
  uintptr_t hi = boundary;
  if (hi <= lo) return false;
  // The range goes into the thread's state (runtime memory): the key is
  // taken back at thread exit (state.cpp), and a range kept in key-0 memory
  // (pthread-specific data) could be forged to retag root memory.
  ThreadState *ts = thread_state();
  if (!ts) return false;
  if (tag_memory((void *)lo, hi - lo, PROT_READ | PROT_WRITE, g_shared.root_key) != 0) return false;
  ts->tagged_stack_lo = lo;
  ts->tagged_stack_hi = hi;
  return true;
}

__attribute__((noinline)) void *run_below(StartArgs a, uintptr_t boundary) {
  // The program's frames start below the boundary, in the tagged part.
  uintptr_t here = (uintptr_t)__builtin_frame_address(0);
  size_t pad = here > boundary ? here - boundary + 256 : 256;
  volatile char *gap = (volatile char *)__builtin_alloca(pad);
  gap[0] = 0;
  void *r = a.start(a.arg);
  __asm__ volatile("" ::"r"(gap) : "memory");  // no tail call: keep the gap
  return r;
}

void *thread_start(void *p) {
  StartArgs a = *(StartArgs *)p;
  free(p);
  uintptr_t boundary = ((uintptr_t)__builtin_frame_address(0) - 1024) & ~(kPage - 1);
  if (!tag_stack_below(boundary)) log_line("could not protect a thread's stack");
  return run_below(a, boundary);
}

// In a statically linked program there is no RTLD_NEXT to find libc's
// pthread_create through: say so instead of failing with a bare EAGAIN.
CreateFn real_create() {
  static CreateFn fn = [] {
    auto f = (CreateFn)dlsym(RTLD_NEXT, "pthread_create");
    if (!f)
      say("cannot find libc's pthread_create (dlsym RTLD_NEXT failed; a statically linked "
          "program?): pthread_create fails with EAGAIN. Link dynamically.");
    return f;
  }();
  return fn;
}

}  // namespace

// The stacks of threads that exist when the runtime starts (created by
// constructors that ran earlier) are not known to it: only new threads.
namespace {

}  // namespace

void threads_install_hooks() {}

}  // namespace sdrad

using namespace sdrad;

extern "C" SDRAD_EXPORT int pthread_create(pthread_t *t, const pthread_attr_t *attr,
                                           void *(*start)(void *), void *arg) {
  CreateFn create = real_create();
  if (!create) return EAGAIN;
  if (!g_shared.pku) return create(t, attr, start, arg);
  // A thread started from inside a domain would run with the domain's
  // rights but outside any domain (no rewind for its faults).
  if (rdpkru_raw() != 0) {
    log_line("pthread_create refused inside a domain");
    return EPERM;
  }
  auto *a = (StartArgs *)malloc(sizeof(StartArgs));
  if (!a) return EAGAIN;
  a->start = start;
  a->arg = arg;
  int r = create(t, attr, thread_start, a);
  if (r != 0) free(a);
  return r;
}
