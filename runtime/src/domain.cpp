// Domains (process-wide: a name or udi, a policy, a protection key) and
// their per-thread instances (heap and stack memory).
#include <string.h>

#include "internal.h"
#include "sdrad_api.h"
#include "sdrad/abi.h"

namespace sdrad {

Domain *g_domains;  // kMaxDomains entries, in the state region

namespace {

std::atomic<int> g_domain_lock{0};
Instance *g_free_instances;
std::atomic<int> g_warned_unprotected{0};

struct DomainLock : SpinGuard {
  DomainLock() : SpinGuard(g_domain_lock) {}
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

// A handle is the domain's table index plus kMaxDomains times the
// generation of that entry: a handle kept across sdrad_destroy and a new
// registration in the same entry no longer names anything.
int64_t domain_handle_of(const Domain *d) {
  return (int64_t)(d - g_domains) + (int64_t)d->generation * kMaxDomains;
}

int64_t domain_find_udi(uint64_t udi) {
  DomainLock lock;
  Domain *t = table();
  for (int i = 1; i < kMaxDomains; ++i)
    if (t[i].live && t[i].compat_flags && t[i].udi == udi) return domain_handle_of(&t[i]);
  return 0;
}

// Registers a domain.  Native domains (compat_flags == 0) are found by
// name; compat domains are found by udi by the caller before this.
int64_t domain_register(const char *name, uint32_t policy, uint64_t udi, uint32_t compat_flags,
                        bool is_data) {
  ensure_initialized();
  if (!name || !*name || strlen(name) >= sizeof(Domain::name)) return SDRAD_E_BAD_ARGUMENT;
  uint32_t syscalls = (policy & SDRAD_POLICY_SYSCALLS_MASK) >> 8;
  policy &= ~SDRAD_POLICY_SYSCALLS_MASK;
  if (compat_flags & SDRAD_SYSCALLS_EPERM) syscalls = kSyscallsEperm;
  if (compat_flags & SDRAD_SYSCALLS_ANY) syscalls = kSyscallsAny;
  if (policy > SDRAD_POLICY_CONFIDENTIALITY || syscalls > kSyscallsAny) return SDRAD_E_BAD_ARGUMENT;
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
      return t[i].policy == policy && t[i].syscalls == syscalls ? i : SDRAD_E_POLICY_CONFLICT;
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
  d->syscalls = syscalls;
  d->key = key;
  d->is_data = is_data;
  d->udi = udi;
  d->compat_flags = compat_flags;
  d->isolated = 0;
  d->allow_rw = d->allow_ro = d->deny = 0;
  memset(d->grant_rw, 0, sizeof(d->grant_rw));
  memset(d->grant_ro, 0, sizeof(d->grant_ro));
  d->grants_gen++;
  d->key_taken = 0;
  d->warned_shared_key = 0;
  strncpy(d->name, name, sizeof(d->name) - 1);
  d->name[sizeof(d->name) - 1] = 0;
  d->calls = 0;
  d->faults = 0;
  d->high_water = 0;
  d->pool = nullptr;
  d->pooled = 0;
  d->creator = 0;
  d->liveness = {};
  heap_limit_changed(d);
  d->live = 1;
  warn_unprotected_once();
  int64_t handle = domain_handle_of(d);
  log_line("domain '%s' registered: handle %lld, key %d, policy %s", d->name, (long long)handle, key,
           policy ? "confidentiality" : "integrity");
  return handle;
}

void domain_destroy(int64_t handle) {
  Domain *d = domain_at(handle);
  if (!d) return;
  DomainLock lock;
  d->live = 0;
  d->generation++;  // kept handles and instances of it are stale from now on
  while (Instance *in = d->pool) {  // pooled instances go with the domain
    d->pool = in->next_free;
    instance_free_memory(in);
    instance_put_key(in);
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
  int idx = handle_index(handle);
  Instance *in = ts->inst[idx];
  if (in && in->dom_generation == d->generation) return in;  // in->dom is d: same index
  if (in) instance_release(ts, idx);  // of a destroyed domain that had this entry
  {
    // An instance an exited thread left behind: memory mapped, tagged and
    // wiped already, with its key.
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
    in->init_done = false;  // wiped: its init function runs again
    ts->inst[idx] = in;
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
  in->dom_generation = d->generation;
  in->slot = -1;
  int e = instance_take_key(in, d);
  if (e == 0 && !instance_create_memory(in, d)) e = SDRAD_E_NO_MEMORY;
  if (e != 0) {
    instance_put_key(in);
    DomainLock lock;
    in->next_free = g_free_instances;
    g_free_instances = in;
    *err = e;
    return nullptr;
  }
  in->pkru_gen = d->grants_gen - 1;  // computed on first entry
  stack_canary_place(in);
  if (!d->is_data) reclaimer_start();  // before any discard can need it (memory.cpp)
  ts->inst[idx] = in;
  return in;
}

// Each instance of an execution domain runs with its own key while keys
// last: instances of one domain on different threads then cannot write
// each other's memory, nor the stack on which the runtime works for the
// other thread.  The domain's key goes to the first instance.  When keys
// run out the instance is refused (SDRAD_E_NO_KEY), unless
// SDRAD_SHARE_KEYS=1 lets an `integrity` instance share the domain's key
// (logged once; see docs/threat-model.md).
int instance_choose_key(Instance *in, Domain *d);

int instance_take_key(Instance *in, Domain *d) {
  int e = instance_choose_key(in, d);
  if (e == 0) key_hold(in->key);
  return e;
}

int instance_choose_key(Instance *in, Domain *d) {
  in->key = d->key;
  in->key_owned = false;
  if (!g_shared.pku || d->is_data) return 0;
  {
    DomainLock lock;
    if (!d->key_taken) {
      d->key_taken = 1;
      return 0;
    }
  }
  int k = key_alloc();
  if (k >= 0) {
    in->key = k;
    in->key_owned = true;
    return 0;
  }
  if (d->policy == SDRAD_POLICY_CONFIDENTIALITY || !g_shared.share_keys) {
    say("domain '%s': no protection key left for this thread's instance (instances on different "
        "threads never share a key%s)", d->name,
        d->policy == SDRAD_POLICY_CONFIDENTIALITY ? " under confidentiality" : "; SDRAD_SHARE_KEYS=1 allows it for integrity domains");
    in->key = -1;
    return SDRAD_E_NO_KEY;
  }
  {
    DomainLock lock;
    d->key_taken++;  // one more instance runs with the domain's key
  }
  if (!__atomic_exchange_n(&d->warned_shared_key, 1, __ATOMIC_RELAXED))
    say("domain '%s': no protection key left: its instances on different threads share key %d "
        "and can write each other's memory", d->name, d->key);
  return 0;
}

void instance_put_key(Instance *in) {
  if (in->key >= 0) key_release(in->key);
  if (in->key_owned) key_free(in->key);
  else if (g_shared.pku && !in->dom->is_data && in->key == in->dom->key && in->key >= 0 &&
           in->dom_generation == in->dom->generation) {
    DomainLock lock;  // key_taken counts the instances running with the domain's key
    if (in->dom->key_taken) in->dom->key_taken--;
  }
  in->key = -1;
  in->key_owned = false;
}

uint32_t instance_pkru_refresh(Instance *in) {
  reclaim_wait(in);  // after a large discard: the old slot is empty before the instance runs (memory.cpp)
  spare_retag(in);   // a spare taken on the rewind path waited under the root key (memory.cpp)
  Domain *d = in->dom;
  uint32_t gen = __atomic_load_n(&d->grants_gen, __ATOMIC_ACQUIRE);
  uint32_t v = domain_pkru(in->key, d->policy, d->allow_rw, d->allow_ro);
  for (int k = 1; k < 16; ++k)
    if (d->deny >> k & 1) v |= pkru_bits(k, false, false);
  // libc's data (libc_data_key.cpp): readable, writable once the instance
  // wrote it (and then compared on its returns)
  if (int k = g_shared.libc_key; k > 0) {
    v &= ~(3u << (2 * k));
    if (!in->libc_written) v |= g_shared.libc_wd_bits;
  }
  in->pkru = v;
  in->pkru_gen = gen;
  return v;
}

// At thread exit: wipe the instance and keep it for the domain's next new
// thread (up to 16 per domain), instead of unmapping it.
void instance_retire(ThreadState *ts, int idx) {
  Instance *in = ts->inst[idx];
  if (!in) return;
  Domain *d = in->dom;
  if (in->active || d->is_data || in->dom_generation != d->generation) return instance_release(ts, idx);
  instance_discard(in);
  ts->inst[idx] = nullptr;
  {
    DomainLock lock;
    if (d->live && d->pooled < 16) {  // keeps its memory and its key
      in->next_free = d->pool;
      d->pool = in;
      d->pooled++;
      return;
    }
  }
  instance_free_memory(in);
  instance_put_key(in);
  DomainLock lock;
  in->next_free = g_free_instances;
  g_free_instances = in;
}

void instance_release(ThreadState *ts, int idx) {
  Instance *in = ts->inst[idx];
  if (!in) return;
  ts->inst[idx] = nullptr;
  instance_free_memory(in);
  instance_put_key(in);
  DomainLock lock;
  in->next_free = g_free_instances;
  g_free_instances = in;
}

}  // namespace sdrad

using namespace sdrad;

namespace {
// A domain name handed over by a gate's caller, read only where the caller
// may read, into runtime memory.
bool caller_name(ThreadState *ts, const char *name, char (&out)[sizeof(Domain::name)]) {
  ssize_t n = caller_strlen(ts, name, sizeof(out));
  if (n < 0) gate_refuse(ts, "domain name", name);
  if ((size_t)n >= sizeof(out)) return false;
  memcpy(out, name, (size_t)n + 1);
  return true;
}
}  // namespace

extern "C" SDRAD_HIDDEN int64_t sdrad_impl_domain_handle(__sdrad_domain_ref *ref) {
  if (!ref) return SDRAD_E_BAD_ARGUMENT;
  ThreadState *ts = thread_state();
  if (!ts) return SDRAD_E_TOO_MANY_DOMAINS;
  check_caller_read(ts, "__sdrad_domain_handle", ref, sizeof(*ref));
  __sdrad_domain_ref r = *ref;
  if (r.handle > 0) return r.handle;
  if (r.abi_version != SDRAD_ABI_VERSION) return SDRAD_E_ABI_VERSION;
  char name[sizeof(Domain::name)];
  if (!r.name || !caller_name(ts, r.name, name)) return SDRAD_E_BAD_ARGUMENT;
  int64_t h = domain_register(name, r.policy, 0, 0, false);
  // Cache only success: an error is retried next time (keys may free up).
  // The cache is written with the caller's rights only: from inside a
  // domain the reference (root memory) is looked up again next time.
  if (h > 0 && caller_may_write(ts, &ref->handle, sizeof(ref->handle))) ref->handle = h;
  return h;
}

extern "C" SDRAD_HIDDEN int64_t sdrad_impl_domain_by_name(const char *name, uint32_t policy) {
  ThreadState *ts = thread_state();
  if (!ts) return SDRAD_E_TOO_MANY_DOMAINS;
  // Registering takes a protection key: root's to decide.
  if (calling_instance(ts)) gate_refuse(ts, "sdrad_domain_by_name", name);
  char copy[sizeof(Domain::name)];
  if (!name || !caller_name(ts, name, copy)) return SDRAD_E_BAD_ARGUMENT;
  return domain_register(copy, policy, 0, 0, false);
}

extern "C" SDRAD_HIDDEN int sdrad_impl_get_stats(int64_t handle, sdrad_domain_stats *out) {
  Domain *d = domain_at(handle);
  if (!d || !out) return SDRAD_E_BAD_HANDLE;
  if (ThreadState *ts = thread_state_if_any()) check_caller_write(ts, "sdrad_get_stats", out, sizeof(*out));
  out->calls = d->calls.load();
  out->faults = d->faults.load();
  uint64_t hw = d->high_water.load();
  out->heap_in_use = 0;
  if (ThreadState *ts = thread_state_if_any()) {
    if (Instance *in = ts->inst[handle_index(handle)]; in && in->dom == d) {
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
  ThreadState *ts = thread_state_if_any();
  // Instances are root's to manage: a domain must not unmap another's.
  if (calling_instance(ts)) gate_refuse(ts, "sdrad_release_instance", (void *)(intptr_t)handle);
  if (!domain_at(handle)) return SDRAD_E_BAD_HANDLE;
  int idx = handle_index(handle);
  if (!ts || !ts->inst[idx]) return 0;
  if (ts->inst[idx]->active) return SDRAD_E_NESTING;
  instance_release(ts, idx);
  return 0;
}

extern "C" SDRAD_HIDDEN int sdrad_impl_owns(int64_t handle, const void *p) {
  if (!domain_at(handle)) return 0;
  ThreadState *ts = thread_state_if_any();
  Instance *in = ts ? ts->inst[handle_index(handle)] : nullptr;
  if (!in || !in->heap || in->dom != domain_at(handle) || in->dom_generation != in->dom->generation) return 0;
  uintptr_t a = (uintptr_t)p;
  return heap_contains(in->heap, p) || (a >= in->arena_lo && a < in->arena_hi);
}
