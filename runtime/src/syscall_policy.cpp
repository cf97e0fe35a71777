// The system calls a confined domain may make (docs/plugin.md, "System
// calls").  Called from the SIGSYS handler, elevated, with the selector on
// "allow".  An allowed call is passed back: the domain re-executes it at
// the runtime's stub (syscall_rearm.S) with its own PKRU, so the kernel
// reads and writes only memory the domain itself may (read(2) into a root
// buffer fails with EFAULT under PKU).  Two are performed here on copies of
// their arguments: the signal mask and opening a file.
//
// Allowed: calls on descriptors the process already has, clocks and time,
// futex, sched_yield, getrandom, identity queries, madvise (dropping or
// hinting only) and mprotect to read-write in the domain's own slot,
// anonymous (or read-only file) mappings without PROT_EXEC that replace
// nothing, the signal mask without the fault signals, opening files that
// are not in /proc, sendmsg and recvmsg (on a unix socket performed here on
// copies: descriptors passed with SCM_RIGHTS only if the instance opened
// them, none received; see "Messages"), and exit_group.
// Performed here and recorded in the instance (domain_resources.cpp):
// opening a file, a mapping that replaces nothing, and munmap/mremap/
// mprotect of such a mapping (madvise on one is passed back); close only
// of a descriptor the instance opened.  Both are released when the
// instance is discarded.
// Pointer arguments the policy inspects are read once and the kernel is
// given that copy (or the runtime makes the call with it): the signal
// mask, a wait's mask, an open's path, a unix socket's sendmsg/recvmsg
// msghdr, iovecs and control buffer (docs/plugin.md, "System calls").
// Everything else is refused: a fault of the domain (kind "syscall", the
// number in the report's addr) or, for a domain whose policy says so, -EPERM.
// A few are always a fault: rt_sigreturn from domain code (a forged frame),
// and a signal the domain sends itself (raise/abort: reported as that
// signal's fault kind).
#include <errno.h>
#include <stddef.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <poll.h>
#include <limits.h>
#include <time.h>
#include <termios.h>
#include <unistd.h>

#include "internal.h"

namespace sdrad {

namespace {

// Perform: the runtime makes the call and records its effect in the
// instance (domain_resources.cpp).
enum class Rule { Allow, Refuse, Fault, Perform };

// The domain's slot: heap, stack, argument arena and guard pages.
bool in_slot(const Instance *in, uintptr_t addr, uintptr_t len) {
  uintptr_t lo = in->base, hi = in->base + ((uintptr_t)1 << g_shared.slot_shift);
  return addr >= lo && addr <= hi && len <= hi - addr;
}

int fault_kind_of_signal(long sig) {
  switch (sig) {
    case SIGABRT: return SDRAD_FAULT_ABORT;
    case SIGSEGV: return SDRAD_FAULT_SEGV;
    case SIGBUS: return SDRAD_FAULT_BUS;
    case SIGILL: return SDRAD_FAULT_ILL;
    case SIGFPE: return SDRAD_FAULT_FPE;
    case SIGTRAP: return SDRAD_FAULT_TRAP;
  }
  return SDRAD_FAULT_SYSCALL;
}

bool ioctl_query(long req) {
  return req == TCGETS || req == TIOCGWINSZ || req == FIONREAD || req == TIOCGPGRP;
}

// madvise advice that only drops or hints at pages: the runtime can still
// write every page afterwards (not MADV_HWPOISON, MADV_SOFT_OFFLINE, ...).
bool madvise_harmless(long advice) {
  switch (advice) {
    case MADV_NORMAL: case MADV_RANDOM: case MADV_SEQUENTIAL: case MADV_WILLNEED:
    case MADV_DONTNEED: case MADV_FREE: case MADV_COLD: case MADV_PAGEOUT:
      return true;
  }
  return false;
}

// Memory calls: only the domain's own slot and the mappings the instance
// made (domain_resources.cpp) may change; nothing executable.  Inside the
// slot the runtime writes every page again when it discards the instance
// (heap header, wipe, stack canary), with root's rights: a page the domain
// unmapped, made read-only or replaced (key 0) there would make that write
// fault inside the runtime, or leave a hole another mapping can take, or a
// key-0 page in the instance's memory for its later runs (rows
// rt7_mprotect_own_heap_readonly_then_fault, rt7_munmap_own_stack_page_then_fault,
// rt7_munmap_hole_in_own_slot, rt7_mmap_fixed_key0_page_in_own_heap).  So
// the slot's pages keep their mapping: mprotect there only to read-write
// (performed with the instance's key), no munmap, MAP_FIXED or mremap.
Rule memory_rule(const Instance *in, long nr, const long *a) {
  switch (nr) {
    case SYS_mmap: {
      long prot = a[2], flags = a[3];
      if (prot & PROT_EXEC) return Rule::Fault;
      bool fixed = (flags & MAP_FIXED) && !(flags & MAP_FIXED_NOREPLACE);
      if (fixed) return Rule::Fault;
      // A MAP_GROWSDOWN mapping grows below what the instance records and
      // the discard would leave that part (row rt7_growsdown_mapping_outlives_discard).
      if (flags & MAP_GROWSDOWN) return Rule::Fault;
      if (!(flags & MAP_ANONYMOUS) && (prot & PROT_WRITE) && (flags & MAP_SHARED)) return Rule::Fault;
      return Rule::Perform;  // replaces nothing: tracked, released at a discard
    }
    case SYS_mprotect:
      // Inside the slot only to read-write (a slot the discard cannot write
      // would hang it); inside one mapping the instance made, anything
      // without PROT_EXEC (never beyond it: the kernel would change what
      // lies next to it; the discard unmaps it).
      if (a[2] & PROT_EXEC) return Rule::Fault;
      if (in_slot(in, (uintptr_t)a[0], (uintptr_t)a[1]))
        return a[2] == (PROT_READ | PROT_WRITE) ? Rule::Perform : Rule::Fault;
      return domain_map_owned(in, (uintptr_t)a[0], (uintptr_t)a[1]) ? Rule::Perform : Rule::Fault;
    case SYS_munmap:
      return domain_map_owned(in, (uintptr_t)a[0], (uintptr_t)a[1]) ? Rule::Perform : Rule::Fault;
    case SYS_madvise:
      if (!madvise_harmless(a[2])) return Rule::Fault;
      if (in_slot(in, (uintptr_t)a[0], (uintptr_t)a[1])) return Rule::Allow;
      return domain_map_owned(in, (uintptr_t)a[0], (uintptr_t)a[1]) ? Rule::Allow : Rule::Fault;
    case SYS_mremap:
      // A whole mapping of the instance's, moved only where the kernel chooses.
      return domain_mremap_allowed(in, a) ? Rule::Perform : Rule::Fault;
  }
  return Rule::Fault;
}

// mprotect to read-write inside the slot: with the instance's key, so a
// guard page opened this way is the domain's memory, not key 0.
long slot_mprotect(const Instance *in, const long *a) {
  if (g_shared.pku && in->key >= 0) return raw_syscall6(SYS_pkey_mprotect, a[0], a[1], a[2], in->key, 0, 0);
  return raw_syscall6(SYS_mprotect, a[0], a[1], a[2], 0, 0, 0);
}

long memory_perform(Instance *in, long nr, const long *a) {
  switch (nr) {
    case SYS_mmap: return domain_mmap(in, a);
    case SYS_munmap: return domain_munmap(in, (uintptr_t)a[0], (uintptr_t)a[1]);
    case SYS_mremap: return domain_mremap(in, a);
    case SYS_mprotect:
      return in_slot(in, (uintptr_t)a[0], (uintptr_t)a[1]) ? slot_mprotect(in, a) : domain_mprotect(in, a);
  }
  return -ENOSYS;  // not reached: memory_rule performs only these
}

Rule rule_for(const Instance *in, long nr, const long *a) {
  switch (nr) {
    // Descriptors the process already has.
    case SYS_read: case SYS_write: case SYS_readv: case SYS_writev:
    case SYS_pread64: case SYS_pwrite64: case SYS_preadv: case SYS_pwritev:
    case SYS_preadv2: case SYS_pwritev2: case SYS_lseek: case SYS_fstat:
    case SYS_newfstatat: case SYS_statx: case SYS_fsync: case SYS_fdatasync:
    case SYS_poll: case SYS_ppoll: case SYS_select: case SYS_pselect6:
    case SYS_epoll_wait: case SYS_epoll_pwait:
    case SYS_recvfrom: case SYS_sendto: case SYS_recvmsg: case SYS_sendmsg:  // unix sockets: syscall_policy_run
    case SYS_getsockopt: case SYS_getsockname: case SYS_getpeername:
    case SYS_access: case SYS_faccessat: case SYS_getcwd: case SYS_getdents64:
    // Clocks, time, waiting.
    case SYS_clock_gettime: case SYS_clock_getres: case SYS_gettimeofday: case SYS_time:
    case SYS_nanosleep: case SYS_clock_nanosleep: case SYS_futex: case SYS_sched_yield:
    case SYS_restart_syscall:
    // Queries.
    case SYS_getrandom: case SYS_getpid: case SYS_getppid: case SYS_gettid:
    case SYS_getuid: case SYS_geteuid: case SYS_getgid: case SYS_getegid:
    case SYS_uname: case SYS_sysinfo: case SYS_getrusage: case SYS_sched_getaffinity:
    case SYS_exit_group:
      return Rule::Allow;
    case SYS_fcntl:
      // Not F_SETSIG/F_SETOWN (signals to this process) or leases.
      return a[1] == F_SETSIG || a[1] == F_SETOWN || a[1] == F_SETOWN_EX || a[1] == F_SETLEASE ? Rule::Fault
                                                                                              : Rule::Allow;
    case SYS_ioctl:
      return ioctl_query(a[1]) ? Rule::Allow : Rule::Refuse;
    case SYS_prlimit64:
      return a[2] == 0 ? Rule::Allow : Rule::Fault;  // get only
    case SYS_mmap: case SYS_mprotect: case SYS_munmap: case SYS_madvise: case SYS_mremap:
      return memory_rule(in, nr, a);
  }
  return Rule::Fault;
}

// rt_sigprocmask: never block a fault signal, SIGSYS or the watchdog's
// signal.  It acts on the mask the domain resumes with (the SIGSYS
// frame's): performed inside the handler, its effect was undone by the
// handler's rt_sigreturn, and the old mask reported was the handler's.
// The set is copied out of domain memory first (another thread could
// change it).
long run_sigprocmask(const ThreadState *ts, const long *a, sigset_t *frame_mask) {
  constexpr size_t n = _NSIG / 8;  // the kernel's sigset: the first word of sigset_t
  if ((size_t)a[3] != n) return -EINVAL;
  if (a[2] && !caller_may_write(ts, (const void *)a[2], n)) return -EFAULT;
  sigset_t old = *frame_mask, next = *frame_mask;
  if (a[1]) {
    if (!caller_may_read(ts, (const void *)a[1], n)) return -EFAULT;
    uint64_t set, cur;
    memcpy(&set, (const void *)a[1], n);
    memcpy(&cur, frame_mask, n);
    switch (a[0]) {
      case SIG_BLOCK: cur |= set; break;
      case SIG_UNBLOCK: cur &= ~set; break;
      case SIG_SETMASK: cur = set; break;
      default: return -EINVAL;
    }
    memcpy(&next, &cur, n);
    unblock_fault_signals(&next);
    sigdelset(&next, SIGKILL);
    sigdelset(&next, SIGSTOP);
  }
  if (a[2]) memcpy((void *)a[2], &old, n);
  memcpy(frame_mask, &next, n);
  return 0;
}

// open/openat: the path is copied, and what was opened must not be procfs
// (/proc/self/mem, /proc/self/fd/..., however the path got there).  The
// descriptor is the instance's (domain_fd_add): closed with it.
long run_open(const ThreadState *ts, Instance *in, long nr, const long *a, bool *is_proc) {
  const char *path = (const char *)(nr == SYS_open ? a[0] : a[1]);
  char copy[4096];
  ssize_t n = caller_strlen(ts, path, sizeof(copy) - 1);
  if (n < 0) return -EFAULT;
  memcpy(copy, path, (size_t)n);
  copy[n] = 0;
  // Never waits here, with the runtime's rights, where the domain's time
  // limit cannot reach it (row rt6_open_fifo_without_writer_past_time_limit):
  // opened with O_NONBLOCK, which is then taken off again unless asked for.
  // A FIFO with no peer opens at once for reading and fails with ENXIO for
  // writing.
  long flags = nr == SYS_open ? a[1] : a[2];
  long fd = nr == SYS_open ? raw_syscall6(SYS_openat, AT_FDCWD, (long)copy, flags | O_NONBLOCK, a[2], 0, 0)
                           : raw_syscall6(SYS_openat, a[0], (long)copy, flags | O_NONBLOCK, a[3], 0, 0);
  if (fd < 0) return fd;
  struct statfs sf;
  if (raw_syscall6(SYS_fstatfs, fd, (long)&sf, 0, 0, 0, 0) != 0 || sf.f_type == PROC_SUPER_MAGIC) {
    raw_syscall6(SYS_close, fd, 0, 0, 0, 0, 0);
    *is_proc = true;
    return -EPERM;
  }
  if (!(flags & (O_NONBLOCK | O_PATH))) {
    long fl = raw_syscall6(SYS_fcntl, fd, F_GETFL, 0, 0, 0, 0);
    if (fl < 0 || raw_syscall6(SYS_fcntl, fd, F_SETFL, fl & ~O_NONBLOCK, 0, 0, 0) != 0) {
      raw_syscall6(SYS_close, fd, 0, 0, 0, 0, 0);
      return fl < 0 ? fl : -EIO;
    }
  }
  if (!domain_fd_add(in, (int)fd)) {
    raw_syscall6(SYS_close, fd, 0, 0, 0, 0, 0);
    return -EMFILE;
  }
  return fd;
}

// A signal the domain sends to its own thread or process.
bool to_self(long nr, const long *a) {
  long pid = getpid();
  switch (nr) {
    case SYS_kill: return a[0] <= 0 || a[0] == pid;
    case SYS_tkill: return true;  // thread ids of other processes: refused anyway
    case SYS_tgkill: return a[0] == pid;
    case SYS_rt_sigqueueinfo: return a[0] == pid;
    case SYS_rt_tgsigqueueinfo: return a[0] == pid;
  }
  return false;
}

// ppoll, pselect6 and epoll_pwait install a signal mask for the wait: one
// that blocks the watchdog's signal (or a fault signal) would keep a
// domain with a time limit waiting past it, out of reach (row
// rt_domain_ppoll_masks_timeout_signal).  The domain re-executes the call
// itself, so the kernel would read the mask again from the domain's memory,
// which another thread can change after the check (row
// rt_sibling_changes_ppoll_mask_after_check).  So the checked mask (and
// pselect6's {mask, size} pair) is copied into a page of this thread's that
// is read-only (key 0, readable under every policy; no domain may mprotect
// it) and the call's argument register is aimed at that copy.
struct WaitCopy {
  uint64_t mask;    // the sigset_t (_NSIG / 8 bytes)
  const void *ss;   // pselect6's pair: &mask or null
  size_t len;
};
static_assert(_NSIG / 8 == sizeof(uint64_t), "a sigset_t for the kernel is 8 bytes");

// This thread's page (kMaxThreads pages reserved on first use), or 0.
uintptr_t wait_copy_page(const ThreadState *ts) {
  static std::atomic<uintptr_t> base{0};
  uintptr_t b = base.load(std::memory_order_acquire);
  if (!b) {
    void *m = mmap(nullptr, (size_t)kMaxThreads * kPage, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
                   -1, 0);
    if (m == MAP_FAILED) return 0;
    if (base.compare_exchange_strong(b, (uintptr_t)m, std::memory_order_acq_rel)) {
      b = (uintptr_t)m;
    } else {
      munmap(m, (size_t)kMaxThreads * kPage);  // another thread's won; b is it
    }
  }
  size_t idx = ((uintptr_t)ts - g_shared.ts_base) / sizeof(ThreadState);
  return idx < (size_t)kMaxThreads ? b + idx * kPage : 0;
}

// Writes `c` to the page and makes it read-only again; false if that
// failed or the page changed while it was writable (another thread).
bool wait_copy_publish(uintptr_t page, const WaitCopy &c) {
  if (mprotect((void *)page, kPage, PROT_READ | PROT_WRITE) != 0) return false;
  memcpy((void *)page, &c, sizeof(c));
  if (mprotect((void *)page, kPage, PROT_READ) != 0) return false;
  return memcmp((const void *)page, &c, sizeof(c)) == 0;
}

enum class WaitMask { Unchanged, Copied, Blocks, Failed };

// Reads the wait's mask once, checks it and, if it has one, publishes the
// copy and aims the argument (a[3], a[4] or a[5]) at it.  A mask the caller
// may not read or of the wrong size is left to the kernel (EFAULT, EINVAL).
WaitMask wait_mask_take(const ThreadState *ts, long nr, long *a) {
  WaitCopy c{};
  const void *set = nullptr;
  size_t size = 0;
  int arg;
  if (nr == SYS_ppoll) {
    arg = 3;
    set = (const void *)a[3];
    size = (size_t)a[4];
  } else if (nr == SYS_epoll_pwait) {
    arg = 4;
    set = (const void *)a[4];
    size = (size_t)a[5];
  } else {
    arg = 5;
    if (!a[5]) return WaitMask::Unchanged;
    struct {
      const void *ss;
      size_t len;
    } data;
    if (!caller_may_read(ts, (const void *)a[5], sizeof(data))) return WaitMask::Unchanged;  // EFAULT
    memcpy(&data, (const void *)a[5], sizeof(data));
    set = data.ss;
    size = data.len;
    c.len = data.len;
  }
  if (set && (size != _NSIG / 8 || !caller_may_read(ts, set, size))) {
    if (arg != 5) return WaitMask::Unchanged;  // EINVAL or EFAULT, from registers it cannot change
    set = nullptr;  // pselect6: the copied pair keeps the bad size (EINVAL), or a null set
    c.len = _NSIG / 8 + 1;
  }
  if (!set && arg != 5) return WaitMask::Unchanged;  // no mask: nothing another thread can change
  if (set) {
    memcpy(&c.mask, set, sizeof(c.mask));
    sigset_t s;
    memset(&s, 0, sizeof(s));
    memcpy(&s, &c.mask, sizeof(c.mask));
    int timeout_sig = liveness_timeout_signal();
    if (timeout_sig && sigismember(&s, timeout_sig)) return WaitMask::Blocks;
    sigset_t fault = s;
    unblock_fault_signals(&fault);
    if (memcmp(&fault, &s, sizeof(s)) != 0) return WaitMask::Blocks;
  }
  uintptr_t page = wait_copy_page(ts);
  if (!page) return WaitMask::Failed;
  if (set) c.ss = (const void *)page;
  if (!wait_copy_publish(page, c)) return WaitMask::Failed;
  a[arg] = arg == 5 ? (long)(page + offsetof(WaitCopy, ss)) : (long)page;
  return WaitMask::Copied;
}

// --- Messages: what the kernel reads is what was checked ----------------
// sendmsg and recvmsg take a msghdr in domain memory, which the kernel
// would read after the policy's check: another thread of the domain could
// rewrite it in between (add a control buffer to a recvmsg, swap root's
// descriptor into a sendmsg's SCM_RIGHTS).  Only unix sockets carry
// descriptors, so only there does the policy look at a message: the
// runtime makes the call itself on private copies of the msghdr, its
// iovecs and its control buffer, read once from domain memory and checked
// (msg_call).  The kernel then reads and writes the domain's buffers with
// the runtime's rights, so they must be ones the domain may read (sendmsg)
// or write (recvmsg); others give EFAULT.  On other sockets both calls are
// passed back unread: the domain re-executes them with its own rights.
constexpr size_t kMaxMsgIov = 64;
constexpr size_t kMaxControlCopy = 4096 - 128;
constexpr long kMsgWaitSliceMs = 10;

enum class Msg { Copied, Done, Refuse };  // Copied: msg_copy_in read and checked it

struct MsgCopy {
  struct msghdr h;  // what the kernel is given
  struct iovec v[kMaxMsgIov];
  alignas(struct cmsghdr) char control[kMaxControlCopy];
};

bool is_unix_socket(long fd) {
  int domain = 0;
  socklen_t len = sizeof(domain);
  return raw_syscall6(SYS_getsockopt, fd, SOL_SOCKET, SO_DOMAIN, (long)&domain, (long)&len, 0) == 0 &&
         domain == AF_UNIX;
}

uint64_t now_ms() {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (uint64_t)t.tv_sec * 1000 + (uint64_t)t.tv_nsec / 1000000;
}

// How long a call on `fd` that would block may wait: SO_RCVTIMEO or
// SO_SNDTIMEO in ms (0: no limit), or -1 for one that does not block.
long msg_wait_limit_ms(long fd, long flags, bool recv) {
  if (flags & MSG_DONTWAIT) return -1;
  long fl = raw_syscall6(SYS_fcntl, fd, F_GETFL, 0, 0, 0, 0);
  if (fl >= 0 && (fl & O_NONBLOCK)) return -1;
  struct timeval tv = {};
  socklen_t len = sizeof(tv);
  if (raw_syscall6(SYS_getsockopt, fd, SOL_SOCKET, recv ? SO_RCVTIMEO_OLD : SO_SNDTIMEO_OLD, (long)&tv, (long)&len,
                   0) != 0)
    return 0;
  long ms = (long)tv.tv_sec * 1000 + tv.tv_usec / 1000;
  return ms > 0 ? ms : (tv.tv_usec > 0 ? 1 : 0);
}

// The first descriptor of an SCM_RIGHTS message in the (private) control
// buffer that the instance did not open.  Walks it as the kernel does
// (__scm_send: CMSG_FIRSTHDR/CMSG_NXTHDR, a header that is not CMSG_OK
// ends the walk and the kernel fails the call with EINVAL there), so every
// SCM_RIGHTS the kernel acts on is seen.
bool foreign_descriptor(const Instance *in, const char *ctl, size_t len, int *fd) {
  for (size_t off = 0; off + sizeof(struct cmsghdr) <= len;) {
    const auto *c = (const struct cmsghdr *)(ctl + off);
    if (c->cmsg_len < sizeof(struct cmsghdr) || c->cmsg_len > len - off) break;
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
      size_t n = (c->cmsg_len - sizeof(struct cmsghdr)) / sizeof(int);
      for (size_t i = 0; i < n; i++) {
        memcpy(fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
        if (!domain_fd_owned(in, *fd)) return true;
      }
    }
    off += CMSG_ALIGN(c->cmsg_len);
  }
  return false;
}

// Copies between the runtime and domain memory the policy reads or writes
// for the domain (the rights were checked first: caller_may_read/write).
// Inside the domain's slot (its stack and heap, where a msghdr usually
// is) a plain copy; a guard or unused page there is a fault of the domain
// (kind segv), as its own access would be.  Elsewhere (its own mappings,
// memory root granted) through the kernel (process_vm_readv/writev on the
// own process, about 2 us each here), so an address that is not mapped or
// not writable gives the EFAULT the domain's own call would get, not a
// fault inside the SIGSYS handler.
bool domain_read(const Instance *in, void *dst, const void *src, size_t n) {
  if (in_slot(in, (uintptr_t)src, n)) {
    memcpy(dst, src, n);
    return true;
  }
  struct iovec local = {dst, n}, remote = {(void *)src, n};
  return raw_syscall6(SYS_process_vm_readv, getpid(), (long)&local, 1, (long)&remote, 1, 0) == (long)n;
}
bool domain_write(const Instance *in, struct iovec *remote, const struct iovec *local, size_t count) {
  size_t n = 0;
  bool slot = true;
  for (size_t i = 0; i < count; i++) {
    n += local[i].iov_len;
    slot &= in_slot(in, (uintptr_t)remote[i].iov_base, remote[i].iov_len);
  }
  if (slot) {
    for (size_t i = 0; i < count; i++) memcpy(remote[i].iov_base, local[i].iov_base, local[i].iov_len);
    return true;
  }
  return raw_syscall6(SYS_process_vm_writev, getpid(), (long)local, (long)count, (long)remote, (long)count, 0) ==
         (long)n;
}

bool domain_may(const ThreadState *ts, const void *p, size_t n, bool write) {
  return write ? caller_may_write(ts, p, n) : caller_may_read(ts, p, n);
}

// Reads the domain's msghdr `m` and its iovecs once into `c` and checks
// the buffers (the kernel will use them with the runtime's rights); the
// control buffer is the caller's business.  Done with *result on an error
// the kernel would also give.
Msg msg_copy_in(const ThreadState *ts, Instance *in, const struct msghdr *m, bool recv, MsgCopy *c, long *result) {
  *result = -EFAULT;
  if (!m || !caller_may_read(ts, m, sizeof(*m)) || (recv && !caller_may_write(ts, m, sizeof(*m)))) return Msg::Done;
  if (!domain_read(in, &c->h, m, sizeof(c->h))) return Msg::Done;
  size_t n = c->h.msg_iovlen;
  if (n > UIO_MAXIOV) {
    *result = -EMSGSIZE;
    return Msg::Done;
  }
  if (n > kMaxMsgIov) {
    log_line("domain '%s': %s on a unix socket with %zu iovecs (at most %zu): refused", in->dom->name,
             recv ? "recvmsg" : "sendmsg", n, kMaxMsgIov);
    return Msg::Refuse;
  }
  if (n && (!c->h.msg_iov || !caller_may_read(ts, c->h.msg_iov, n * sizeof(c->v[0])))) return Msg::Done;
  if (n && !domain_read(in, c->v, c->h.msg_iov, n * sizeof(c->v[0]))) return Msg::Done;
  c->h.msg_iov = c->v;
  for (size_t i = 0; i < n; i++)
    if (c->v[i].iov_len && !domain_may(ts, c->v[i].iov_base, c->v[i].iov_len, recv)) return Msg::Done;
  if (!c->h.msg_name) c->h.msg_namelen = 0;
  if ((int)c->h.msg_namelen < 0) {
    *result = -EINVAL;
    return Msg::Done;
  }
  if (c->h.msg_namelen && !domain_may(ts, c->h.msg_name, c->h.msg_namelen, recv)) return Msg::Done;
  c->h.msg_flags = 0;
  return Msg::Copied;
}

// Drops what a stream sendmsg sent from the front of the iovecs.
void iov_advance(struct msghdr *h, size_t sent) {
  while (h->msg_iovlen && sent >= h->msg_iov->iov_len) {
    sent -= h->msg_iov->iov_len;
    h->msg_iov++;
    h->msg_iovlen--;
  }
  if (h->msg_iovlen) {
    h->msg_iov->iov_base = (char *)h->msg_iov->iov_base + sent;
    h->msg_iov->iov_len -= sent;
  }
}

// Makes the call on the copy without ever waiting in the kernel, where the
// domain's time limit could not reach it: MSG_DONTWAIT, and while the
// call would block a wait of at most kMsgWaitSliceMs for the socket, after
// which the domain's deadline (a fault of kind timeout once it passed) and
// SO_RCVTIMEO/SO_SNDTIMEO (EAGAIN, or what a stream send sent) are
// checked.  A blocking stream sendmsg sends everything, as the kernel's
// would.  Signals to the thread wait until it returns (the handler's mask).
Msg msg_call(ThreadState *ts, Instance *in, long nr, long fd, long flags, MsgCopy *c, long *result, int *fault_kind) {
  bool recv = nr == SYS_recvmsg;
  long limit = 0, total = 0;
  uint64_t start = 0;
  int type = 0;
  size_t want = 0;
  for (size_t i = 0; i < c->h.msg_iovlen; i++) want += c->v[i].iov_len;
  for (bool first = true;; first = false) {
    long r = raw_syscall6(nr, fd, (long)&c->h, flags | MSG_DONTWAIT, 0, 0, 0);
    bool partial = !recv && r >= 0 && (size_t)r < want;
    if (first && (r == -EAGAIN || partial)) {  // only a call that may wait pays for these
      limit = msg_wait_limit_ms(fd, flags, recv);
      socklen_t len = sizeof(type);
      raw_syscall6(SYS_getsockopt, fd, SOL_SOCKET, SO_TYPE, (long)&type, (long)&len, 0);
      start = now_ms();
    }
    if (partial && r > 0 && type == SOCK_STREAM && limit >= 0) {
      total += r;  // a blocking stream send goes on with the rest
      want -= (size_t)r;
      iov_advance(&c->h, (size_t)r);
      c->h.msg_control = nullptr;  // sent with the first part
      c->h.msg_controllen = 0;
      r = -EAGAIN;
    }
    if (r != -EAGAIN || limit < 0) {
      *result = r >= 0 ? total + r : (total ? total : r);
      return Msg::Done;
    }
    Frame &f = ts->frames[ts->depth - 1];
    uint64_t now = now_ms();
    if (f.deadline_ms && now >= f.deadline_ms) {
      f.deadline_ms = 0;  // a watchdog signal still queued finds nothing to do
      log_line("domain '%s': its time limit passed while %s waited", in->dom->name, recv ? "recvmsg" : "sendmsg");
      *fault_kind = SDRAD_FAULT_TIMEOUT;
      return Msg::Refuse;
    }
    if (limit > 0 && now - start >= (uint64_t)limit) {
      *result = total ? total : -EAGAIN;
      return Msg::Done;
    }
    struct pollfd p = {(int)fd, (short)(recv ? POLLIN : POLLOUT), 0};
    struct timespec slice = {0, kMsgWaitSliceMs * 1000000};
    raw_syscall6(SYS_ppoll, (long)&p, 1, (long)&slice, 0, 0, 0);
  }
}

// sendmsg on a unix socket: descriptors passed with SCM_RIGHTS must be
// ones the instance opened (domain_resources.cpp); root's, sent to
// another process or to a socket root reads, would hand root's files to
// whoever receives them.
Msg sendmsg_unix(ThreadState *ts, Instance *in, const long *a, long *result, int *fault_kind) {
  MsgCopy c;
  Msg v = msg_copy_in(ts, in, (const struct msghdr *)a[1], false, &c, result);
  if (v != Msg::Copied) return v;
  size_t clen = c.h.msg_controllen;
  if (clen && !c.h.msg_control) return Msg::Done;  // EFAULT, as the kernel's copy of it
  if (clen > kMaxControlCopy) {
    log_line("domain '%s': sendmsg with a control buffer of %zu bytes (at most %zu are checked): refused",
             in->dom->name, clen, kMaxControlCopy);
    return Msg::Refuse;
  }
  if (clen && !caller_may_read(ts, c.h.msg_control, clen)) return Msg::Done;
  if (clen && !domain_read(in, c.control, c.h.msg_control, clen)) return Msg::Done;
  c.h.msg_control = clen ? c.control : nullptr;
  int fd;
  if (foreign_descriptor(in, c.control, clen, &fd)) {
    log_line("domain '%s': sendmsg passing descriptor %d, which it did not open (SCM_RIGHTS): refused",
             in->dom->name, fd);
    return Msg::Refuse;
  }
  return msg_call(ts, in, SYS_sendmsg, a[0], a[2], &c, result, fault_kind);
}

// recvmsg on a unix socket: no control buffer, so descriptors sent to the
// domain are closed by the kernel (MSG_CTRUNC), never received unrecorded.
// What the kernel writes back into the msghdr is written back.
Msg recvmsg_unix(ThreadState *ts, Instance *in, const long *a, long *result, int *fault_kind) {
  auto *m = (struct msghdr *)a[1];
  MsgCopy c;
  Msg v = msg_copy_in(ts, in, m, true, &c, result);
  if (v != Msg::Copied) return v;
  if (c.h.msg_control && c.h.msg_controllen) {
    log_line("domain '%s': recvmsg with a control buffer on a unix socket (it could receive descriptors): refused",
             in->dom->name);
    return Msg::Refuse;
  }
  if (a[2] & MSG_WAITALL) {
    log_line("domain '%s': recvmsg with MSG_WAITALL on a unix socket is not supported in a confined domain: refused",
             in->dom->name);
    return Msg::Refuse;
  }
  c.h.msg_control = nullptr;
  c.h.msg_controllen = 0;
  bool named = c.h.msg_name != nullptr;
  v = msg_call(ts, in, SYS_recvmsg, a[0], a[2], &c, result, fault_kind);
  if (v != Msg::Done || *result < 0) return v;
  size_t controllen = 0;
  struct iovec local[3] = {{&controllen, sizeof(m->msg_controllen)},
                           {&c.h.msg_flags, sizeof(m->msg_flags)},
                           {&c.h.msg_namelen, sizeof(m->msg_namelen)}};
  struct iovec remote[3] = {{&m->msg_controllen, sizeof(m->msg_controllen)},
                            {&m->msg_flags, sizeof(m->msg_flags)},
                            {&m->msg_namelen, sizeof(m->msg_namelen)}};
  if (!domain_write(in, remote, local, named ? 3 : 2)) *result = -EFAULT;  // the kernel's answer; the data is gone
  return Msg::Done;
}

}  // namespace

SysVerdict syscall_policy_run(ThreadState *ts, Instance *in, long nr, long a[6], sigset_t *frame_mask,
                              long *result,
                              int *fault_kind) {
  bool eperm = in->dom->syscalls == kSyscallsEperm;
  *fault_kind = SDRAD_FAULT_SYSCALL;
  if (nr == SYS_rt_sigreturn) return SysVerdict::Fault;  // only the runtime returns from handlers
  if (nr == SYS_tgkill || nr == SYS_tkill) {
    long sig = nr == SYS_tgkill ? a[2] : a[1];
    if (to_self(nr, a) && fault_kind_of_signal(sig) != SDRAD_FAULT_SYSCALL) {
      *fault_kind = fault_kind_of_signal(sig);  // raise(SIGABRT): abort() in the domain
      return SysVerdict::Fault;
    }
  }
  if (nr == SYS_rt_sigprocmask) {
    *result = run_sigprocmask(ts, a, frame_mask);
    return SysVerdict::Done;
  }
  if (nr == SYS_ppoll || nr == SYS_pselect6 || nr == SYS_epoll_pwait) {
    switch (wait_mask_take(ts, nr, a)) {
      case WaitMask::Unchanged: case WaitMask::Copied:
        break;
      case WaitMask::Blocks:
        log_line("domain '%s': a wait whose signal mask blocks the watchdog's or a fault signal: refused",
                 in->dom->name);
        return eperm ? SysVerdict::Refuse : SysVerdict::Fault;
      case WaitMask::Failed:
        log_line("domain '%s': a wait's signal mask could not be copied where no domain writes: refused",
                 in->dom->name);
        return SysVerdict::Fault;
    }
  }
  if (nr == SYS_open || nr == SYS_openat) {
    bool is_proc = false;
    *result = run_open(ts, in, nr, a, &is_proc);
    if (!is_proc) return SysVerdict::Done;
    log_line("domain '%s' opened a file in /proc: refused", in->dom->name);
    return eperm ? SysVerdict::Refuse : SysVerdict::Fault;
  }
  if (nr == SYS_close) {
    // Only a descriptor this instance opened: another (root's, say) closed
    // here could be opened again into the same number by the domain.
    if (domain_fd_close(in, a[0], result) != FdClose::Foreign) return SysVerdict::Done;
    log_line("domain '%s': close(%ld) of a descriptor it did not open: refused", in->dom->name, a[0]);
    return eperm ? SysVerdict::Refuse : SysVerdict::Fault;
  }
  if ((nr == SYS_sendmsg || nr == SYS_recvmsg) && is_unix_socket(a[0])) {
    Msg v = nr == SYS_sendmsg ? sendmsg_unix(ts, in, a, result, fault_kind)
                              : recvmsg_unix(ts, in, a, result, fault_kind);
    if (v == Msg::Done) return SysVerdict::Done;
    if (*fault_kind != SDRAD_FAULT_SYSCALL) return SysVerdict::Fault;  // the time limit
    return eperm ? SysVerdict::Refuse : SysVerdict::Fault;
  }
  switch (rule_for(in, nr, a)) {
    case Rule::Allow:
      return SysVerdict::Pass;
    case Rule::Perform:
      *result = memory_perform(in, nr, a);
      return SysVerdict::Done;
    case Rule::Refuse:
      return SysVerdict::Refuse;
    case Rule::Fault:
      break;
  }
  log_line("system call %ld refused in domain '%s'", nr, in->dom->name);
  return eperm ? SysVerdict::Refuse : SysVerdict::Fault;
}

}  // namespace sdrad
