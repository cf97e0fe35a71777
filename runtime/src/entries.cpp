// Which functions a domain may run in which domain.
//
// A nested call names its entry function: from inside a domain, a chosen
// function run in another domain would take that domain's rights (write
// its memory; under `integrity` read root memory for a `confidentiality`
// caller).  The plugin registers, per module, a read-only table of the
// (entry, domain reference) pairs it generated (__sdrad_register_entries,
// from a module constructor, in root); a call from inside a domain must
// name a registered entry of the domain it enters.  Calls from root may
// name any function (root is trusted).
#include <string.h>

#include "internal.h"
#include "sdrad/abi.h"

namespace sdrad {

namespace {

// Copied at registration (root, before domains run) into runtime memory:
// the modules' references are writable data, a shared library's key 0.
struct Registered {
  void (*entry)(void *);
  char domain[sizeof(Domain::name)];
};
constexpr size_t kMaxEntries = 8192;
Registered *g_entries;  // kMaxEntries, in runtime state
std::atomic<size_t> g_nentries{0};
std::atomic<int> g_entries_lock{0};

}  // namespace

bool entry_registered_for(void (*entry)(void *), const Domain *d) {
  size_t n = g_nentries.load(std::memory_order_acquire);
  for (size_t i = 0; i < n; ++i)
    if (g_entries[i].entry == entry && !strcmp(g_entries[i].domain, d->name)) return true;
  return false;
}

}  // namespace sdrad

using namespace sdrad;

extern "C" SDRAD_HIDDEN int32_t sdrad_impl_register_entries(const __sdrad_entry *table, size_t n) {
  ThreadState *ts = thread_state();
  // A domain listing its own "entries" would choose what runs elsewhere.
  if (calling_instance(ts)) gate_refuse(ts, "__sdrad_register_entries", table);
  if (!table || n == 0) return 0;
  ensure_initialized();
  SpinGuard lock(g_entries_lock);
  int32_t r = 0;
  if (!g_entries) g_entries = (Registered *)state_alloc(sizeof(Registered) * kMaxEntries);
  size_t k = g_nentries.load();
  for (size_t i = 0; i < n; ++i) {
    const __sdrad_entry &e = table[i];
    if (!e.entry || !e.ref || !e.ref->name) continue;
    if (!g_entries || k == kMaxEntries) {
      say("__sdrad_register_entries: too many entries; nested calls into their domains will be refused");
      r = SDRAD_E_NO_MEMORY;
      break;
    }
    g_entries[k].entry = e.entry;
    strncpy(g_entries[k].domain, e.ref->name, sizeof(g_entries[k].domain) - 1);
    g_entries[k].domain[sizeof(g_entries[k].domain) - 1] = 0;
    ++k;
  }
  g_nentries.store(k, std::memory_order_release);
  return r;
}
