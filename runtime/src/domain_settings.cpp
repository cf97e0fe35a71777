// Per-domain settings given with the isolate attribute (timeout_ms(),
// heap_limit(), init(), on_discard()), registered by the plugin's module
// constructors and thunks through __sdrad_domain_handle_with (abi.h).
//
// The first registration that gives a setting applies it with the
// liveness setters; a later one for the same domain must give the same
// value (or none), otherwise it is SDRAD_E_POLICY_CONFLICT and the
// reference is left unregistered, so that every call through it fails.
// What each domain was given is kept here, apart from the values the
// setters store, so that the API (sdrad_set_timeout & co.) may still change
// them afterwards.
#include "internal.h"

extern "C" {
SDRAD_HIDDEN int64_t sdrad_impl_domain_handle(__sdrad_domain_ref *ref);
SDRAD_HIDDEN int sdrad_impl_set_timeout(int64_t handle, uint32_t timeout_ms);
SDRAD_HIDDEN int sdrad_impl_set_heap_limit(int64_t handle, size_t bytes);
SDRAD_HIDDEN int sdrad_impl_on_discard(int64_t handle, void (*fn)(int64_t, void *), void *arg);
SDRAD_HIDDEN int sdrad_impl_set_init(int64_t handle, void (*fn)(void));
}

namespace sdrad {
namespace {

struct Given {
  int64_t handle;  // 0: nothing given yet for this slot (or a stale one)
  __sdrad_domain_settings s;
  bool warned;     // the conflict was reported
};
Given g_given[kMaxDomains];
std::atomic<int> g_given_lock{0};

// on_discard(fn) takes a void(void): the runtime's hook gets it as `arg`.
void call_void_hook(int64_t, void *fn) { reinterpret_cast<void (*)(void)>(fn)(); }

template <class T>
bool conflicts(T have, T want) { return want && have && have != want; }

// Which of `want`'s settings conflict with `have` (a name for the message),
// or nullptr.
const char *conflict(const __sdrad_domain_settings &have, const __sdrad_domain_settings &want) {
  if (conflicts(have.timeout_ms, want.timeout_ms)) return "timeout_ms";
  if (conflicts(have.heap_limit, want.heap_limit)) return "heap_limit";
  if (conflicts(have.init, want.init)) return "init";
  if (conflicts(have.on_discard, want.on_discard)) return "on_discard";
  return nullptr;
}

// Settings of `want` not given before.
bool adds(const __sdrad_domain_settings &have, const __sdrad_domain_settings &want) {
  return (want.timeout_ms && !have.timeout_ms) || (want.heap_limit && !have.heap_limit) ||
         (want.init && !have.init) || (want.on_discard && !have.on_discard);
}

// Applies what `want` adds to `have` (root only).
int apply(int64_t h, __sdrad_domain_settings &have, const __sdrad_domain_settings &want) {
  int rc = 0;
  if (want.timeout_ms && !have.timeout_ms && (rc = sdrad_impl_set_timeout(h, want.timeout_ms)) < 0) return rc;
  have.timeout_ms = want.timeout_ms ? want.timeout_ms : have.timeout_ms;
  if (want.heap_limit && !have.heap_limit && (rc = sdrad_impl_set_heap_limit(h, want.heap_limit)) < 0)
    return rc;
  have.heap_limit = want.heap_limit ? want.heap_limit : have.heap_limit;
  if (want.init && !have.init && (rc = sdrad_impl_set_init(h, want.init)) < 0) return rc;
  have.init = want.init ? want.init : have.init;
  if (want.on_discard && !have.on_discard &&
      (rc = sdrad_impl_on_discard(h, call_void_hook, reinterpret_cast<void *>(want.on_discard))) < 0)
    return rc;
  have.on_discard = want.on_discard ? want.on_discard : have.on_discard;
  return 0;
}

// Records and applies `want` for domain `h`: 0 or a negative sdrad_error.
int settle(ThreadState *ts, int64_t h, const __sdrad_domain_settings &want) {
  SpinGuard guard(g_given_lock);
  Given &g = g_given[handle_index(h)];
  if (g.handle != h) g = Given{h, {}, false};  // first settings of this domain
  if (const char *what = conflict(g.s, want)) {
    Domain *d = domain_at(h);
    if (!g.warned)
      say("domain '%s': %s given with two different values (by two translation units or "
          "shared objects); calls through the later one fail with SDRAD_E_POLICY_CONFLICT",
          d ? d->name : "?", what);
    g.warned = true;
    return SDRAD_E_POLICY_CONFLICT;
  }
  if (!adds(g.s, want)) return 0;
  // Setting limits is root's (liveness.cpp refuses a domain); a thunk that
  // registers from inside a domain finds them applied by its module's
  // constructor, which ran first.
  if (calling_instance(ts)) return SDRAD_E_NOT_INITIALIZED;
  return apply(h, g.s, want);
}

}  // namespace
}  // namespace sdrad

using namespace sdrad;

extern "C" SDRAD_HIDDEN int64_t sdrad_impl_domain_handle_with(__sdrad_domain_ref *ref,
                                                              const __sdrad_domain_settings *settings) {
  if (!ref || !settings) return SDRAD_E_BAD_ARGUMENT;
  ThreadState *ts = thread_state();
  if (!ts) return SDRAD_E_TOO_MANY_DOMAINS;
  check_caller_read(ts, "__sdrad_domain_handle_with", settings, sizeof(*settings));
  check_caller_read(ts, "__sdrad_domain_handle_with", ref, sizeof(*ref));
  __sdrad_domain_settings want = *settings;
  if (want.reserved) return SDRAD_E_BAD_ARGUMENT;
  // Registered on a copy: the handle is cached in `ref` only once the
  // settings are settled, so that no other thread calls through a
  // reference whose settings conflict.
  __sdrad_domain_ref local = *ref;
  int64_t h = sdrad_impl_domain_handle(&local);
  if (h < 0) return h;
  if (int rc = settle(ts, h, want); rc < 0) return ts->last_error = rc;
  if (caller_may_write(ts, &ref->handle, sizeof(ref->handle)))
    __atomic_store_n(&ref->handle, h, __ATOMIC_RELAXED);
  return h;
}
