// Thread-specific data destructors, run from runtime-owned state.
//
// glibc keeps each key's destructor in __pthread_keys (libc data, key 0,
// not pointer-mangled) and calls it with root rights at every thread exit
// whose value for that key is set: one write-what-where from a domain on
// any thread turns it into a call of the domain's choice.  Under PKU the
// runtime keeps its own copy of the destructors root registered (runtime
// data, root-keyed) and, at the end of each thread it started (and in
// pthread_exit), runs them itself as glibc would (up to
// PTHREAD_DESTRUCTOR_ITERATIONS rounds) and clears every value, so glibc has
// nothing left to call.  Keys created from inside a domain get no destructor
// call (their values are only cleared): a destructor a domain names would
// run with root rights.  The values are glibc's too (struct pthread, key
// 0): root's destructor is called only with the value root itself set on
// that thread (recorded per thread state, root memory); a value set from a
// domain, or written there, is cleared without the call (SDRAD_LOG says so).
#include <dlfcn.h>
#include <limits.h>
#include <pthread.h>
#include <string.h>

#include "internal.h"
#include "pthread_keys.h"

extern "C" __attribute__((weak)) int __pthread_setspecific(pthread_key_t, const void *);

namespace sdrad {

namespace {

constexpr unsigned kKeys = PTHREAD_KEYS_MAX;
constexpr int kRounds = PTHREAD_DESTRUCTOR_ITERATIONS;
using Destructor = void (*)(void *);

Destructor g_destructor[kKeys];  // what root registered (root memory)
bool g_root_key[kKeys];

bool from_domain() { return g_shared.pku && rdpkru_raw() != 0; }

// Per thread state: the values root set for keys with a root destructor.
constexpr int kPerThread = 16;
struct Recorded {
  unsigned key;
  const void *value;  // nullptr: a free entry
};
Recorded g_values[kMaxThreads][kPerThread];

Recorded *values_of(ThreadState *ts) {
  if (!ts) return nullptr;
  size_t i = ((uintptr_t)ts - g_shared.ts_base) / sizeof(ThreadState);
  return i < (size_t)kMaxThreads ? g_values[i] : nullptr;
}

// While this thread's destructors run (key-0 TLS: at worst a value is
// not recorded, or a thread state is made), no new thread state is made.
thread_local bool t_exiting;

void record(unsigned key, const void *value) {
  Recorded *r = values_of(t_exiting ? thread_state_if_any() : thread_state());
  if (!r) {
    log_line("no thread state to record a key's value: its destructor will not be called");
    return;
  }
  Recorded *free_entry = nullptr;
  for (int i = 0; i < kPerThread; ++i) {
    if (r[i].value && r[i].key == key) {
      r[i].value = value;
      return;
    }
    if (!r[i].value && !free_entry) free_entry = &r[i];
  }
  if (!value) return;
  if (!free_entry) {
    log_line("more than %d thread-specific values with destructors on one thread: key %u's destructor will "
             "not be called", kPerThread, key);
    return;
  }
  *free_entry = {key, value};
}

bool recorded(Recorded *r, unsigned key, const void *value) {
  for (int i = 0; r && i < kPerThread; ++i)
    if (r[i].value && r[i].key == key) return r[i].value == value;
  return false;
}

using SetFn = int (*)(pthread_key_t, const void *);
SetFn real_set();

// libc's function: the next definition, or in a statically linked program
// (no RTLD_NEXT) libc's internal alias if the linker pulled it in.
template <typename Fn>
Fn next(const char *name, Fn fallback) {
  Fn f = (Fn)dlsym(RTLD_NEXT, name);
  return f ? f : fallback;
}
template <typename Fn>
Fn need(Fn f, const char *name) {
  if (!f) fatal("cannot find libc's %s (a statically linked program?): link dynamically", name);
  return f;
}

SetFn real_set() {
  static SetFn real = next<SetFn>("pthread_setspecific", __pthread_setspecific);
  return need(real, "pthread_setspecific");
}

}  // namespace

void pthread_keys_thread_exit() {
  if (!g_shared.pku) return;
  t_exiting = true;
  // Take this thread's records out of its slot first: a destructor (the
  // runtime's own among them) may release the thread state, and the slot
  // then belongs to the next thread.
  Recorded mine[kPerThread] = {};
  if (Recorded *r = values_of(thread_state_if_any())) {
    memcpy(mine, r, sizeof mine);
    memset(r, 0, sizeof mine);
  }
  for (int round = 0; round < kRounds; ++round) {
    bool called = false;
    Recorded *live = values_of(thread_state_if_any());  // set by destructors
    for (unsigned k = 0; k < kKeys; ++k) {
      void *v = pthread_getspecific(k);
      if (!v) continue;
      Destructor d = g_root_key[k] ? g_destructor[k] : nullptr;
      bool ours = recorded(mine, k, v) || recorded(live, k, v);
      real_set()(k, nullptr);
      if (d && ours) {
        d(v);
        called = true;
      } else if (d) {
        log_line("thread exit: key %u holds a value root did not set (a domain's): its destructor is not "
                 "called", k);
      }
    }
    if (!called) break;
    memset(mine, 0, sizeof mine);  // called once each
  }
  if (Recorded *r = values_of(thread_state_if_any())) memset(r, 0, sizeof mine);
  t_exiting = false;
}

}  // namespace sdrad

using namespace sdrad;

extern "C" int __pthread_key_create(pthread_key_t *, void (*)(void *));
extern "C" __attribute__((weak)) int __pthread_key_delete(pthread_key_t);
extern "C" __attribute__((weak, noreturn)) void __pthread_exit(void *);

extern "C" SDRAD_EXPORT int pthread_key_create(pthread_key_t *key, void (*destr)(void *)) {
  using Fn = int (*)(pthread_key_t *, void (*)(void *));
  static Fn real = next<Fn>("pthread_key_create", __pthread_key_create);
  int r = real(key, destr);
  if (r == 0 && *key < kKeys && !from_domain()) {
    g_destructor[*key] = destr;
    g_root_key[*key] = true;
  } else if (r == 0 && destr) {
    log_line("pthread_key_create with a destructor inside a domain: under PKU it is not called at thread exit");
  }
  return r;
}

extern "C" SDRAD_EXPORT int pthread_setspecific(pthread_key_t key, const void *value) {
  int r = real_set()(key, value);
  if (r == 0 && g_shared.pku && key < kKeys && g_root_key[key] && g_destructor[key] && !from_domain())
    record(key, value);
  return r;
}

extern "C" SDRAD_EXPORT int pthread_key_delete(pthread_key_t key) {
  using Fn = int (*)(pthread_key_t);
  static Fn real = next<Fn>("pthread_key_delete", __pthread_key_delete);
  int r = need(real, "pthread_key_delete")(key);
  if (r == 0 && key < kKeys && !from_domain()) {
    g_destructor[key] = nullptr;
    g_root_key[key] = false;
  }
  return r;
}

extern "C" SDRAD_EXPORT void pthread_exit(void *value) {
  using Fn = void (*)(void *);
  static Fn real = next<Fn>("pthread_exit", __pthread_exit);
  // Before glibc's unwind (cleanup handlers then run after the
  // destructors, unlike in glibc); only root decides the calls.
  if (!from_domain()) {
    // From a handler that interrupted an isolated call: glibc's unwind
    // would start on top of the domain's frames (signals.cpp).
    ThreadState *ts = thread_state_if_any();
    if (ts && ts->depth == 0 && handler_over_domain(ts)) handler_left_by_unwind("pthread_exit");
    thread_exit_runtime_part();
  }
  need(real, "pthread_exit")(value);
  __builtin_unreachable();
}
