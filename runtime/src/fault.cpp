// Faults: the one place that fills in a fault report, records it for the
// thread (sdrad_last_fault, SDRAD_LOG) and discards the instance it
// belongs to.  Two ways in:
//   - the instance is running on this thread (a signal, a software fault,
//     a failed check on return): rewind_innermost (call.cpp) records it
//     and rewinds to the frame's entry, which discards the instance;
//   - the instance is not running (root or a parent domain found its
//     memory corrupted while acting on it: heap metadata, a copy's
//     canaries): fault_discard records it and discards the instance now.
// heap_error (below) is how the allocators report a bad free or broken
// metadata: fatal in the root heap, a fault of the domain otherwise; fault
// kind names are in report.cpp.
#include <stdlib.h>
#include <string.h>

#include "internal.h"

namespace sdrad {

void fault_fill(sdrad_fault &f, int kind, ThreadState *ts) {
  memset(&f, 0, sizeof(f));
  f.kind = kind;
  f.pkey = -1;
  if (ts && ts->depth > 0) {
    const Frame &fr = ts->frames[ts->depth - 1];
    f.handle = fr.handle;
    f.udi = fr.inst->dom->udi;
    strncpy(f.domain, fr.inst->dom->name, sizeof(f.domain) - 1);
  }
}

namespace {

// The object a code address lies in, as file name (without directories)
// and load base (its first mapping), from /proc/self/maps: system calls
// and stack memory only, no lock and no allocation, so it may run on the
// rewind path whatever the interrupted code held (dladdr takes the
// dynamic linker's lock).
struct CodeObject {
  char name[64] = "?";
  uintptr_t base = 0;
};

CodeObject code_object_of(uintptr_t pc) {
  CodeObject o;
  if (!pc) return o;
  uintptr_t first_lo = 0;  // first mapping of the object being read
  char first_path[256] = "";
  for_each_maps_line([&](const char *line) {
    // lo-hi perms offset dev inode path
    char *e;
    uintptr_t lo = strtoul(line, &e, 16), hi = strtoul(e + 1, &e, 16);
    const char *path = e;
    for (int field = 0; field < 4 && path; ++field) path = strchr(path + 1, ' ');
    while (path && *path == ' ') ++path;
    if (!path || *path != '/') return true;  // anonymous, [stack], [vdso]...
    if (strncmp(path, first_path, sizeof(first_path) - 1) != 0) {
      first_lo = lo;
      strncpy(first_path, path, sizeof(first_path) - 1);
    }
    if (pc < lo || pc >= hi) return true;
    const char *slash = strrchr(path, '/');
    strncpy(o.name, slash + 1, sizeof(o.name) - 1);
    o.base = first_lo;
    return false;
  });
  return o;
}

}  // namespace

void record_fault(ThreadState *ts, const sdrad_fault &f) {
  ts->last_fault = f;
  ts->has_fault = 1;
  if (g_shared.log) {
    // Where the pc is, as object+offset (addr2line-ready); SDRAD_LOG only.
    CodeObject obj = code_object_of(f.pc);
    say("fault in domain '%s' (handle %lld): %s, signal %d code %d addr %#lx pc %#lx (%s+%#lx) pkey %d",
        f.domain, (long long)f.handle, sdrad_fault_kind_name(f.kind), f.signo, f.si_code,
        (unsigned long)f.addr, (unsigned long)f.pc, obj.name, (unsigned long)(f.pc - obj.base), f.pkey);
  }
}

void fault_discard(Instance *in, int kind, uintptr_t addr) {
  ThreadState *ts = thread_state_if_any();
  sdrad_fault f;
  fault_fill(f, kind, nullptr);  // not the innermost frame's fault: named below
  f.handle = domain_handle_of(in->dom);
  f.udi = in->dom->udi;
  f.addr = addr;
  strncpy(f.domain, in->dom->name, sizeof(f.domain) - 1);
  if (ts) record_fault(ts, f);
  in->dom->faults.fetch_add(1, std::memory_order_relaxed);
  instance_discard(in);
}

void discard_after_corruption(Instance *in) { fault_discard(in, SDRAD_FAULT_HEAP_CORRUPTION, 0); }

// A heap found a double free, a foreign pointer or broken metadata.  In the
// root heap that is a bug of the program: abort as glibc would.  In a
// domain heap it is the domain's fault: the running domain is rewound, or
// a guarded operation from outside it (heap_guard_catch, copy.cpp) gets
// control back and discards the instance.
[[noreturn]] void heap_error(Heap *h, HeapError e, const void *p) {
  static const char *const names[] = {"none", "double free", "invalid pointer", "corrupted heap metadata"};
  if (h == root_heap()) {
    root_unlock();
    say("fatal: %s at %p in the root heap", names[(int)e], p);
    __builtin_abort();
  }
  heap_guard_catch(h);  // a guarded operation from outside the domain
  log_line("%s at %p in a domain heap", names[(int)e], p);
  sdrad_soft_fault_gate(SDRAD_FAULT_HEAP_CORRUPTION);
}

}  // namespace sdrad
