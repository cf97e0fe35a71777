// Domain heap limits in root-owned state.
//
// A domain's allocator runs with the domain's own rights, so nothing it
// keeps in its heap header can bound it: a memory bug that raises a limit
// field there would lift the limit.  The end each instance's heap may grow
// to is kept instead in a table indexed by instance slot, mapped twice from one
// memfd: read-only with key 0 (what the allocator reads, under any domain's
// PKRU, confidentiality included) and read-write with the root key (what the
// runtime writes).  A domain cannot write either view.
#include <pthread.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "internal.h"
#include "confine.h"

namespace sdrad {

namespace {

constexpr size_t kTableBytes = (sizeof(uintptr_t) * kMaxSlots + kPage - 1) & ~(kPage - 1);

// fd of the table's memory; both views map it at the given addresses.
bool map_views(int fd, void *ro_at, void *rw_at, void **ro, void **rw) {
  int fixed = ro_at ? MAP_FIXED : 0;
  *ro = mmap(ro_at, kTableBytes, PROT_READ, MAP_SHARED | fixed, fd, 0);
  *rw = mmap(rw_at, kTableBytes, PROT_READ | PROT_WRITE, MAP_SHARED | fixed, fd, 0);
  if (*ro == MAP_FAILED || *rw == MAP_FAILED) return false;
  if (g_shared.pku) tag_memory(*rw, kTableBytes, PROT_READ | PROT_WRITE, g_shared.root_key);
  return true;
}

int table_fd() {
  int fd = (int)raw_syscall6(SYS_memfd_create, (long)"sdrad-heap-limits", MFD_CLOEXEC, 0, 0, 0, 0);
  if (fd >= 0 && ftruncate(fd, kTableBytes) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

// A forked child gets its own table (a MAP_SHARED mapping would stay shared
// with the parent), same contents, same addresses.
void atfork_child() {
  int fd = table_fd();
  if (fd < 0 || pwrite(fd, (const void *)g_shared.heap_end_rw, kTableBytes, 0) != (ssize_t)kTableBytes)
    fatal("fork: cannot copy the domain heap limits");
  void *ro, *rw;
  if (!map_views(fd, (void *)g_shared.heap_end_ro, (void *)g_shared.heap_end_rw, &ro, &rw))
    fatal("fork: cannot map the domain heap limits");
  close(fd);
}

}  // namespace

// Start-up, before any instance exists (init_core).
void heap_limit_init() {
  int fd = table_fd();
  void *ro, *rw;
  if (fd < 0 || !map_views(fd, nullptr, nullptr, &ro, &rw))
    fatal("cannot map the table of domain heap limits (memfd_create/mmap failed)");
  close(fd);
  g_shared.heap_end_ro = (uintptr_t)ro;
  g_shared.heap_end_rw = (uintptr_t)rw;
}

// From the start-up constructor (pthread_atfork may allocate: not from
// init_core, which malloc itself may be running).
void heap_limit_install_hooks() { pthread_atfork(nullptr, nullptr, atfork_child); }

void heap_limit_set_end(const void *heap, uintptr_t end) {
  if (in_slot_region(heap) && g_shared.heap_end_rw)
    ((volatile uintptr_t *)g_shared.heap_end_rw)[heap_slot(heap)] = end;
}

// The end `in`'s heap may grow to, from root-owned state only: the
// domain's limit (sdrad_set_heap_limit, heap_limit(N)) or the default;
// data domains, which the runtime fills on root's behalf, have their
// region unless a limit was set.  At least the header, never past the
// region; the table's end adds the exception reserve (heap.h).
void heap_limit_open(Instance *in) {
  const Domain *d = in->dom;
  size_t region = in->heap_hi - in->heap_lo;
  size_t lim = d->liveness.heap_limit ? d->liveness.heap_limit : d->is_data ? region : g_shared.heap_limit;
  if (lim > region - kHeapReserve) lim = region - kHeapReserve;
  uintptr_t end = in->heap_lo + lim;
  uintptr_t floor = heap_first_chunk(in->heap_lo);
  heap_limit_set_end((const void *)in->heap_lo, (end < floor ? floor : end) + kHeapReserve);
  in->limit_gen = __atomic_load_n(&d->limit_gen, __ATOMIC_ACQUIRE);  // read before the limit (release below)
}

// The domain's limit changed (or the domain was registered anew): every
// instance opens its limit again on its next entry.
void heap_limit_changed(Domain *d) {
  uint32_t g = d->limit_gen + 1;
  __atomic_store_n(&d->limit_gen, g ? g : 1, __ATOMIC_RELEASE);
}

}  // namespace sdrad
