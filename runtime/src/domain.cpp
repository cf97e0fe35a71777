// Domains (process-wide: a name or udi, a policy, a protection key) and
// their per-thread instances (heap and stack memory).
#include <string.h>

#include "internal.h"
#include "sdrad/abi.h"

namespace sdrad {

namespace {

std::atomic<int> g_domain_lock{0};
Domain *g_domains;            // kMaxDomains entries, in the state region
Instance *g_free_instances;
std::atomic<int> g_warned_unprotected{0};

struct DomainLock {
  DomainLock() {
    int z;
    while (z = 0, !g_domain_lock.compare_exchange_weak(z, 1, std::memory_order_acquire))
      __builtin_ia32_pause();
  }
  ~DomainLock() { g_domain_lock.store(0, std::memory_order_release); }
};

Domain *table() {
  if (!g_domains) g_domains = (Domain *)state_alloc(sizeof(Domain) * kMaxDomains);
  return g_domains;
}

void warn_unprotected_once() {
  if (g_shared.pku || g_warned_unprotected.exchange(1)) return;
  say("protection keys are not available: backend 'unprotected' - faults are still "
      "rewound and discarded, but domain memory isolation is NOT enforced");
}

}  // namespace

Domain *domain_at(int64_t handle) {
  if (handle <= 0 || handle >= kMaxDomains || !g_domains) return nullptr;
  Domain *d = &g_domains[handle];
  return d->live ? d : nullptr;
}

int64_t domain_handle_of(const Domain *d) { return d - g_domains; }

int64_t domain_find_udi(uint64_t udi) {
  DomainLock lock;
  Domain *t = table();
  for (int i = 1; i < kMaxDomains; ++i)
    if (t[i].live && t[i].compat_flags && t[i].udi == udi) return i;
  return 0;
}

// Registers a domain.  Native domains (compat_flags == 0) are found by
// name; compat domains are found by udi by the caller before this.
int64_t domain_register(const char *name, uint32_t policy, uint64_t udi, uint32_t compat_flags,
                        bool is_data) {
  ensure_initialized();
  if (!name || !*name || strlen(name) >= sizeof(Domain::name)) return SDRAD_E_BAD_ARGUMENT;
  if (policy > SDRAD_POLICY_CONFIDENTIALITY) return SDRAD_E_BAD_ARGUMENT;
  DomainLock lock;
  Domain *t = table();
  if (!t) return SDRAD_E_NO_MEMORY;
  int free_slot = 0;
  for (int i = 1; i < kMaxDomains; ++i) {
    if (!t[i].live) {
      if (!free_slot) free_slot = i;
      continue;
    }
    if (!compat_flags && !t[i].compat_flags && !strcmp(t[i].name, name))
      return t[i].policy == policy ? i : SDRAD_E_POLICY_CONFLICT;
  }
  if (!free_slot) return SDRAD_E_TOO_MANY_DOMAINS;
  int key = -1;
  if (g_shared.pku) {
    key = key_alloc();
    // Never let two domains share a key: that would let one write the other.
    if (key < 0) return SDRAD_E_NO_KEY;
  }
  Domain *d = &t[free_slot];
  d->policy = policy;
  d->key = key;
  d->is_data = is_data;
  d->udi = udi;
  d->compat_flags = compat_flags;
  d->isolated = 0;
  d->allow_rw = d->allow_ro = 0;
  strncpy(d->name, name, sizeof(d->name) - 1);
  d->name[sizeof(d->name) - 1] = 0;
  d->calls = 0;
  d->faults = 0;
  d->high_water = 0;
  d->pkru = domain_pkru(key, policy, 0, 0);
  d->pool = nullptr;
  d->pooled = 0;
  d->creator = 0;
  d->live = 1;
  warn_unprotected_once();
  log_line("domain '%s' registered: handle %d, key %d, policy %s", d->name, free_slot, key,
           policy ? "confidentiality" : "integrity");
  return free_slot;
}

void domain_destroy(int64_t handle) {
  Domain *d = domain_at(handle);
  if (!d) return;
  DomainLock lock;
  d->live = 0;
  while (Instance *in = d->pool) {  // pooled instances go with the domain
    d->pool = in->next_free;
    instance_free_memory(in);
    in->next_free = g_free_instances;
    g_free_instances = in;
  }
  d->pooled = 0;
  key_free(d->key);
  d->key = -1;
}

Instance *instance_get(ThreadState *ts, int64_t handle, int *err) {
  Domain *d = domain_at(handle);
  if (!d) {
    *err = SDRAD_E_BAD_HANDLE;
    return nullptr;
  }
  Instance *in = ts->inst[handle];
  if (in) return in;
  {
    // An instance an exited thread left behind: memory mapped, tagged and
    // wiped already.
    DomainLock lock;
    if ((in = d->pool)) {
      d->pool = in->next_free;
      d->pooled--;
    }
  }
  if (in) {
    in->next_free = nullptr;
    in->active = false;
    in->compat_state = 0;
    in->has_init_ctx = false;
    ts->inst[handle] = in;
    return in;
  }
  {
    DomainLock lock;
    in = g_free_instances;
    if (in) g_free_instances = in->next_free;
  }
  if (!in) in = (Instance *)state_alloc(sizeof(Instance));
  if (!in) {
    *err = SDRAD_E_NO_MEMORY;
    return nullptr;
  }
  memset((void *)in, 0, sizeof(*in));
  in->dom = d;
  in->slot = -1;
  if (!instance_create_memory(in, d)) {
    DomainLock lock;
    in->next_free = g_free_instances;
    g_free_instances = in;
    *err = SDRAD_E_NO_MEMORY;
    return nullptr;
  }
  stack_canary_place(in);
  ts->inst[handle] = in;
  return in;
}

// At thread exit: wipe the instance and keep it for the domain's next new
// thread (up to 16 per domain), instead of unmapping it.
void instance_retire(ThreadState *ts, int64_t handle) {
  Instance *in = ts->inst[handle];
  if (!in) return;
  Domain *d = in->dom;
  if (in->active || d->is_data) return instance_release(ts, handle);
  instance_discard(in);
  ts->inst[handle] = nullptr;
  {
    DomainLock lock;
    if (d->live && d->pooled < 16) {
      in->next_free = d->pool;
      d->pool = in;
      d->pooled++;
      return;
    }
  }
  instance_free_memory(in);
  DomainLock lock;
  in->next_free = g_free_instances;
  g_free_instances = in;
}

void instance_release(ThreadState *ts, int64_t handle) {
  Instance *in = ts->inst[handle];
  if (!in) return;
  ts->inst[handle] = nullptr;
  instance_free_memory(in);
  DomainLock lock;
  in->next_free = g_free_instances;
  g_free_instances = in;
}

}  // namespace sdrad

using namespace sdrad;

extern "C" SDRAD_HIDDEN int64_t sdrad_impl_domain_handle(__sdrad_domain_ref *ref) {
  if (!ref) return SDRAD_E_BAD_ARGUMENT;
  if (ref->handle > 0) return ref->handle;
  if (ref->abi_version != SDRAD_ABI_VERSION) return SDRAD_E_ABI_VERSION;
  int64_t h = domain_register(ref->name, ref->policy, 0, 0, false);
  // Cache only success: an error is retried next time (keys may free up).
  if (h > 0) ref->handle = h;
  return h;
}

extern "C" SDRAD_HIDDEN int64_t sdrad_impl_domain_by_name(const char *name, uint32_t policy) {
  return domain_register(name, policy, 0, 0, false);
}

extern "C" SDRAD_HIDDEN int sdrad_impl_get_stats(int64_t handle, sdrad_domain_stats *out) {
  Domain *d = domain_at(handle);
  if (!d || !out) return SDRAD_E_BAD_HANDLE;
  out->calls = d->calls.load();
  out->faults = d->faults.load();
  uint64_t hw = d->high_water.load();
  out->heap_in_use = 0;
  if (ThreadState *ts = thread_state_if_any()) {
    if (Instance *in = ts->inst[handle]) {
      out->heap_in_use = heap_in_use(in->heap);
      if (heap_high_water(in->heap) > hw) hw = heap_high_water(in->heap);
    }
  }
  out->heap_high_water = hw;
  return 0;
}

extern "C" SDRAD_HIDDEN int sdrad_impl_depth() {
  ThreadState *ts = thread_state_if_any();
  return ts ? ts->depth : 0;
}

extern "C" SDRAD_HIDDEN int sdrad_impl_release_instance(int64_t handle) {
  if (!domain_at(handle)) return SDRAD_E_BAD_HANDLE;
  ThreadState *ts = thread_state_if_any();
  if (!ts || !ts->inst[handle]) return 0;
  if (ts->inst[handle]->active) return SDRAD_E_NESTING;
  instance_release(ts, handle);
  return 0;
}

extern "C" SDRAD_HIDDEN int sdrad_impl_owns(int64_t handle, const void *p) {
  if (!domain_at(handle)) return 0;
  ThreadState *ts = thread_state_if_any();
  Instance *in = ts ? ts->inst[handle] : nullptr;
  if (!in || !in->heap) return 0;
  uintptr_t a = (uintptr_t)p;
  return heap_contains(in->heap, p) || (a >= in->arena_lo && a < in->arena_hi);
}
