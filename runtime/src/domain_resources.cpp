// What a confined domain instance holds of the process outside its slot:
// the mappings its mmap calls made (not MAP_FIXED: they replace nothing)
// and the descriptors it opened.  The SIGSYS handler performs those calls
// for the domain (syscall_policy.cpp) and records them in the instance,
// which is root-keyed runtime state: the domain's own code never writes
// the tables.  munmap, mremap, mprotect and madvise outside the slot are
// accepted on exactly these mappings; close and sendmsg's SCM_RIGHTS on
// exactly these descriptors.  When the
// instance is discarded (a fault, thread exit) or freed, what is still
// there is released: the mappings are unmapped and the descriptors closed,
// so a domain that faults in a loop leaves no address space, map count or
// descriptors behind.  Bounds: kMaxMaps mappings of at most kMaxMapBytes
// together (beyond: ENOMEM), kMaxFds descriptors (beyond: EMFILE).
// Descriptors can reach a domain only this way: a unix socket's recvmsg
// has no control buffer (SCM_RIGHTS; syscall_policy.cpp makes the call on
// its own copy of the msghdr), so none arrive that these tables would miss.
#include <errno.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <fcntl.h>
#include <string.h>

#include "internal.h"

namespace sdrad {

namespace {

constexpr uint64_t kMaxMapBytes = 1ull << 30;

uintptr_t page_up(uintptr_t n) { return (n + kPage - 1) & ~(uintptr_t)(kPage - 1); }

// The entry of `in` that holds [lo, hi), or -1.
int map_holding(const Instance *in, uintptr_t lo, uintptr_t hi) {
  for (uint32_t i = 0; i < in->n_maps; i++)
    if (in->maps[i].lo <= lo && hi <= in->maps[i].hi) return (int)i;
  return -1;
}

void map_remove(Instance *in, int i) {
  in->maps[i] = in->maps[--in->n_maps];
}

// The access an open file description was made with (F_SETFL cannot
// change these bits), or -1.
int32_t open_mode(int fd) {
  long fl = raw_syscall6(SYS_fcntl, fd, F_GETFL, 0, 0, 0, 0);
  return fl < 0 ? -1 : (int32_t)(fl & (O_ACCMODE | O_PATH));
}

bool file_id(int fd, uint64_t *dev, uint64_t *ino) {
  struct stat st;
  if (raw_syscall6(SYS_fstat, fd, (long)&st, 0, 0, 0, 0) != 0) return false;
  *dev = st.st_dev;
  *ino = st.st_ino;
  return true;
}


}  // namespace

bool domain_map_owned(const Instance *in, uintptr_t addr, uintptr_t len) {
  uintptr_t end = addr + page_up(len);
  return len && end > addr && map_holding(in, addr, end) >= 0;
}

// a: mmap's arguments, with no MAP_FIXED that could replace a mapping and
// no PROT_EXEC (syscall_policy.cpp checked).  Under PKU the new pages get
// the instance's key: they are the domain's memory, as its heap is.
long domain_mmap(Instance *in, const long a[6]) {
  uintptr_t len = page_up((uintptr_t)a[1]);
  if (a[1] <= 0 || len < (uintptr_t)a[1]) return -EINVAL;
  if (in->n_maps >= (uint32_t)Instance::kMaxMaps || in->map_bytes + len > kMaxMapBytes) {
    log_line("domain '%s': mmap of %lu bytes refused (ENOMEM): %u mappings of %lu bytes already, at most %d of %lu",
             in->dom->name, (unsigned long)len, in->n_maps, (unsigned long)in->map_bytes, Instance::kMaxMaps,
             (unsigned long)kMaxMapBytes);
    return -ENOMEM;
  }
  long r = raw_syscall6(SYS_mmap, a[0], a[1], a[2], a[3], a[4], a[5]);
  if (r < 0 && r > -4096) return r;
  if (g_shared.pku && in->key >= 0 &&
      raw_syscall6(SYS_pkey_mprotect, r, (long)len, a[2] & (PROT_READ | PROT_WRITE), in->key, 0, 0) != 0) {
    raw_syscall6(SYS_munmap, r, (long)len, 0, 0, 0, 0);
    return -ENOMEM;
  }
  in->maps[in->n_maps++] = {(uintptr_t)r, (uintptr_t)r + len};
  in->map_bytes += len;
  return r;
}

// munmap of part or all of one of the instance's mappings.
long domain_munmap(Instance *in, uintptr_t addr, uintptr_t len) {
  if (addr & (kPage - 1)) return -EINVAL;
  uintptr_t end = addr + page_up(len);
  int i = map_holding(in, addr, end);
  if (i < 0) return -EINVAL;  // the policy checked; not reached
  Instance::Mapping m = in->maps[i];
  bool split = m.lo < addr && end < m.hi;
  if (split && in->n_maps >= (uint32_t)Instance::kMaxMaps) return -ENOMEM;
  long r = raw_syscall6(SYS_munmap, (long)addr, (long)(end - addr), 0, 0, 0, 0);
  if (r != 0) return r;
  in->map_bytes -= end - addr;
  if (m.lo == addr && end == m.hi) {
    map_remove(in, i);
  } else if (m.lo == addr) {
    in->maps[i].lo = end;
  } else if (end == m.hi) {
    in->maps[i].hi = addr;
  } else {
    in->maps[i].hi = addr;
    in->maps[in->n_maps++] = {end, m.hi};
  }
  return 0;
}

// mremap of a whole mapping of the instance, in place or moved where the
// kernel chooses (MREMAP_MAYMOVE; not MREMAP_FIXED or DONTUNMAP).
bool domain_mremap_allowed(const Instance *in, const long a[6]) {
  if (a[3] & ~(long)MREMAP_MAYMOVE) return false;
  uintptr_t lo = (uintptr_t)a[0], end = lo + page_up((uintptr_t)a[1]);
  if (!a[1] || end <= lo) return false;
  int i = map_holding(in, lo, end);
  return i >= 0 && in->maps[i].lo == lo && in->maps[i].hi == end;
}

long domain_mremap(Instance *in, const long a[6]) {
  uintptr_t lo = (uintptr_t)a[0], end = lo + page_up((uintptr_t)a[1]);
  int i = map_holding(in, lo, end);
  if (i < 0) return -EINVAL;  // the policy checked; not reached
  uintptr_t len = page_up((uintptr_t)a[2]);
  if (a[2] <= 0 || len < (uintptr_t)a[2]) return -EINVAL;
  if (in->map_bytes - (end - lo) + len > kMaxMapBytes) {
    log_line("domain '%s': mremap to %lu bytes refused (ENOMEM): at most %lu bytes of mappings", in->dom->name,
             (unsigned long)len, (unsigned long)kMaxMapBytes);
    return -ENOMEM;
  }
  long r = raw_syscall6(SYS_mremap, a[0], a[1], a[2], a[3], 0, 0);
  if (r < 0 && r > -4096) return r;
  in->map_bytes = in->map_bytes - (end - lo) + len;
  in->maps[i] = {(uintptr_t)r, (uintptr_t)r + len};
  return r;
}

// mprotect inside one of the instance's mappings (syscall_policy.cpp
// checked that it is one and that PROT_EXEC is not asked for).  Performed
// here, so the range checked is the range changed.  Under PKU the pages
// keep the instance's key (mprotect leaves a mapping's key as it is).
long domain_mprotect(Instance *in, const long a[6]) {
  uintptr_t lo = (uintptr_t)a[0], end = lo + page_up((uintptr_t)a[1]);
  if (lo & (kPage - 1)) return -EINVAL;
  if (a[2] & PROT_EXEC) return -EPERM;  // the policy refused it; not reached
  if (map_holding(in, lo, end) < 0) return -ENOMEM;  // the policy checked; not reached
  return raw_syscall6(SYS_mprotect, a[0], a[1], a[2], 0, 0, 0);
}

bool domain_fd_add(Instance *in, int fd) {
  uint64_t dev, ino;
  int32_t mode = open_mode(fd);
  if (in->n_fds >= (uint32_t)Instance::kMaxFds || !file_id(fd, &dev, &ino) || mode < 0) {
    log_line("domain '%s': more than %d open descriptors: open refused (EMFILE)", in->dom->name, Instance::kMaxFds);
    return false;
  }
  in->fds[in->n_fds++] = {fd, mode, dev, ino};
  return true;
}

// A descriptor the instance opened that still names the file it opened,
// with the access it opened it with (root may have closed the number and
// opened another file, or the same file read-write, into it: row
// rt8b_sendmsg_roots_descriptor_reusing_own_number).
bool domain_fd_owned(const Instance *in, long fd) {
  for (uint32_t i = 0; i < in->n_fds; i++) {
    if (in->fds[i].fd != fd) continue;
    uint64_t dev, ino;
    return file_id((int)fd, &dev, &ino) && dev == in->fds[i].dev && ino == in->fds[i].ino &&
           open_mode((int)fd) == in->fds[i].mode;
  }
  return false;
}

FdClose domain_fd_close(Instance *in, long fd, long *result) {
  for (uint32_t i = 0; i < in->n_fds; i++) {
    if (in->fds[i].fd != fd) continue;
    Instance::OwnedFd o = in->fds[i];
    in->fds[i] = in->fds[--in->n_fds];
    // Still the file the domain opened: root may have been handed the
    // number, closed it and opened another file into it.
    uint64_t dev, ino;
    if (!file_id((int)fd, &dev, &ino) || dev != o.dev || ino != o.ino) break;
    *result = raw_syscall6(SYS_close, fd, 0, 0, 0, 0, 0);
    return FdClose::Owned;
  }
  if (raw_syscall6(SYS_fcntl, fd, F_GETFD, 0, 0, 0, 0) < 0) {
    *result = -EBADF;  // not open: closing it harms nothing
    return FdClose::NotOpen;
  }
  return FdClose::Foreign;
}

void instance_release_resources(Instance *in) {
  if (!in->n_maps && !in->n_fds) return;
  // Copied and cleared first: a system call below that is dispatched
  // (a signal left the selector on "block") must find nothing to change.
  Instance::Mapping maps[Instance::kMaxMaps];
  Instance::OwnedFd fds[Instance::kMaxFds];
  uint32_t n_maps = in->n_maps, n_fds = in->n_fds;
  memcpy(maps, in->maps, n_maps * sizeof(maps[0]));
  memcpy(fds, in->fds, n_fds * sizeof(fds[0]));
  in->n_maps = in->n_fds = 0;
  in->map_bytes = 0;
  SelectorAllowed allowed;
  for (uint32_t i = 0; i < n_maps; i++)
    raw_syscall6(SYS_munmap, (long)maps[i].lo, (long)(maps[i].hi - maps[i].lo), 0, 0, 0, 0);
  uint32_t closed = 0;
  for (uint32_t i = 0; i < n_fds; i++) {
    uint64_t dev, ino;
    // A number root closed and reused for another file is root's now.
    if (!file_id(fds[i].fd, &dev, &ino) || dev != fds[i].dev || ino != fds[i].ino) continue;
    raw_syscall6(SYS_close, fds[i].fd, 0, 0, 0, 0, 0);
    closed++;
  }
  log_line("domain '%s': %u mappings unmapped and %u of %u descriptors closed with the instance", in->dom->name,
           n_maps, closed, n_fds);
}

}  // namespace sdrad
