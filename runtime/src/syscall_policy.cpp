// The system calls a confined domain may make (docs/plugin.md, "System
// calls").  Called from the SIGSYS handler, elevated, with the selector on
// "allow".  An allowed call is passed back: the domain re-executes it at
// the runtime's stub (syscall_rearm.S) with its own PKRU, so the kernel
// reads and writes only memory the domain itself may (read(2) into a root
// buffer fails with EFAULT under PKU).  Two are performed here on copies of
// their arguments: the signal mask and opening a file.
//
// Allowed: calls on descriptors the process already has, clocks and time,
// futex, sched_yield, getrandom, identity queries, memory calls confined to
// the domain's own slot, anonymous (or read-only file) mappings without
// PROT_EXEC that replace nothing, the signal mask without the fault
// signals, opening files that are not in /proc, sendmsg (descriptors
// passed with SCM_RIGHTS only if the instance opened them; checked on a
// sealed copy, see "Messages"), recvmsg (on a unix socket without a
// control buffer, performed here on a copy: no descriptors arrive), and
// exit_group.
// Performed here and recorded in the instance (domain_resources.cpp):
// opening a file, a mapping that replaces nothing, and munmap/mremap/
// mprotect of such a mapping (madvise on one is passed back); close only
// of a descriptor the instance opened.  Both are released when the
// instance is discarded.
// Pointer arguments the policy inspects are read once and the kernel is
// given that copy (or the runtime makes the call with it): the signal
// mask, a wait's mask, an open's path, sendmsg's msghdr and control buffer,
// recvmsg's msghdr and iovecs (docs/plugin.md, "System calls").
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

// Memory calls: only the domain's own slot and the mappings the instance
// made (domain_resources.cpp) may change; nothing executable.
Rule memory_rule(const Instance *in, long nr, const long *a) {
  switch (nr) {
    case SYS_mmap: {
      long prot = a[2], flags = a[3];
      if (prot & PROT_EXEC) return Rule::Fault;
      bool fixed = (flags & MAP_FIXED) && !(flags & MAP_FIXED_NOREPLACE);
      if (fixed && !in_slot(in, (uintptr_t)a[0], (uintptr_t)a[1])) return Rule::Fault;
      if (!(flags & MAP_ANONYMOUS) && (prot & PROT_WRITE) && (flags & MAP_SHARED)) return Rule::Fault;
      if (!(flags & MAP_ANONYMOUS) && fixed) return Rule::Fault;
      return fixed ? Rule::Allow : Rule::Perform;  // replaces nothing: tracked, released at a discard
    }
    case SYS_mprotect:
      // Inside the slot, or inside one mapping the instance made (never
      // beyond it: the kernel would change what lies next to it).
      if (a[2] & PROT_EXEC) return Rule::Fault;
      if (in_slot(in, (uintptr_t)a[0], (uintptr_t)a[1])) return Rule::Allow;
      return domain_map_owned(in, (uintptr_t)a[0], (uintptr_t)a[1]) ? Rule::Perform : Rule::Fault;
    case SYS_munmap:
      if (in_slot(in, (uintptr_t)a[0], (uintptr_t)a[1])) return Rule::Allow;
      return domain_map_owned(in, (uintptr_t)a[0], (uintptr_t)a[1]) ? Rule::Perform : Rule::Fault;
    case SYS_madvise:
      if (in_slot(in, (uintptr_t)a[0], (uintptr_t)a[1])) return Rule::Allow;
      return domain_map_owned(in, (uintptr_t)a[0], (uintptr_t)a[1]) ? Rule::Allow : Rule::Fault;
    case SYS_mremap:
      // In place (no move, no new address) inside the slot, or a whole
      // mapping of the instance's, moved only where the kernel chooses.
      if (domain_mremap_allowed(in, a)) return Rule::Perform;
      if (a[3] & (MREMAP_MAYMOVE | MREMAP_FIXED)) return Rule::Fault;
      return in_slot(in, (uintptr_t)a[0], (uintptr_t)(a[1] > a[2] ? a[1] : a[2])) ? Rule::Allow : Rule::Fault;
  }
  return Rule::Fault;
}

long memory_perform(Instance *in, long nr, const long *a) {
  switch (nr) {
    case SYS_mmap: return domain_mmap(in, a);
    case SYS_munmap: return domain_munmap(in, (uintptr_t)a[0], (uintptr_t)a[1]);
    case SYS_mremap: return domain_mremap(in, a);
    case SYS_mprotect: return domain_mprotect(in, a);
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
    case SYS_recvfrom: case SYS_sendto:  // sendmsg, recvmsg: syscall_policy_run
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
// reads after the policy's check: another thread of the domain could
// rewrite it in between (add a control buffer, change what it holds).
// So the policy never decides on memory the kernel reads later:
// - sendmsg: the msghdr and its control buffer are copied into this
//   thread's copy page (the page of WaitCopy, read-only, key 0), checked
//   there, and the call's msghdr argument (rsi) is aimed at the copy.  The
//   kernel only reads a sendmsg's msghdr, so a read-only copy serves.  The
//   iovecs and data are not copied: the kernel reads them with the
//   domain's own rights and the policy does not look at them.
// - recvmsg on a unix socket (the only kind that carries descriptors): the
//   kernel writes results back into the msghdr, so a read-only copy cannot
//   serve; the runtime performs the call itself on a private copy with no
//   control buffer (recvmsg_unix).
constexpr size_t kMsgCopyOff = 64;
constexpr size_t kControlCopyOff = 128;
constexpr size_t kMaxControlCopy = kPage - kControlCopyOff;
static_assert(sizeof(WaitCopy) <= kMsgCopyOff && kMsgCopyOff + sizeof(struct msghdr) <= kControlCopyOff,
              "the copy page's layout");

enum class Msg { Pass, Done, Refuse, Failed };

// The first descriptor of an SCM_RIGHTS message in `m` (the sealed copy)
// that the instance did not open.  Walks the control buffer as the kernel
// does (__scm_send: CMSG_FIRSTHDR/CMSG_NXTHDR, a header that is not
// CMSG_OK ends the walk, and the kernel fails the call with EINVAL there),
// so every SCM_RIGHTS the kernel acts on is seen.
bool foreign_descriptor(const Instance *in, const struct msghdr *m, int *fd) {
  const char *ctl = (const char *)m->msg_control;
  size_t len = m->msg_controllen;
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

// sendmsg: copy, seal, check the copy, aim rsi at it.  Descriptors passed
// with SCM_RIGHTS must be ones the instance opened (domain_resources.cpp):
// root's, sent to another process or to a socket root reads, would hand
// root's files to whoever receives them.
Msg sendmsg_take(const ThreadState *ts, Instance *in, long *a, long *result) {
  const void *m = (const void *)a[1];
  if (!m || !caller_may_read(ts, m, sizeof(struct msghdr))) return Msg::Pass;  // the kernel: EFAULT
  struct msghdr h;
  memcpy(&h, m, sizeof(h));
  size_t clen = h.msg_controllen;
  if (clen && !h.msg_control) {
    *result = -EFAULT;  // what the kernel's copy of the control buffer gives
    return Msg::Done;
  }
  if (clen > kMaxControlCopy) {
    log_line("domain '%s': sendmsg with a control buffer of %zu bytes (at most %zu are checked): refused",
             in->dom->name, clen, kMaxControlCopy);
    return Msg::Refuse;
  }
  if (clen && !caller_may_read(ts, h.msg_control, clen)) {
    *result = -EFAULT;
    return Msg::Done;
  }
  uintptr_t page = wait_copy_page(ts);
  if (!page || mprotect((void *)page, kPage, PROT_READ | PROT_WRITE) != 0) return Msg::Failed;
  auto *copy = (struct msghdr *)(page + kMsgCopyOff);
  memcpy(copy, &h, sizeof(h));
  if (clen) {
    memcpy((void *)(page + kControlCopyOff), h.msg_control, clen);
    copy->msg_control = (void *)(page + kControlCopyOff);
  }
  if (mprotect((void *)page, kPage, PROT_READ) != 0) return Msg::Failed;
  // Sealed: the bytes checked below are the ones the kernel reads.
  int fd;
  if (foreign_descriptor(in, copy, &fd)) {
    log_line("domain '%s': sendmsg passing descriptor %d, which it did not open (SCM_RIGHTS): refused",
             in->dom->name, fd);
    return Msg::Refuse;
  }
  a[1] = (long)copy;
  return Msg::Pass;
}

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

// How long a blocking recvmsg on `fd` may wait: SO_RCVTIMEO in ms (0: no
// limit), or -1 for a descriptor that does not block at all.
long recv_wait_limit_ms(long fd, long flags) {
  if (flags & MSG_DONTWAIT) return -1;
  long fl = raw_syscall6(SYS_fcntl, fd, F_GETFL, 0, 0, 0, 0);
  if (fl >= 0 && (fl & O_NONBLOCK)) return -1;
  struct timeval tv = {};
  socklen_t len = sizeof(tv);
  if (raw_syscall6(SYS_getsockopt, fd, SOL_SOCKET, SO_RCVTIMEO_OLD, (long)&tv, (long)&len, 0) != 0) return 0;
  long ms = (long)tv.tv_sec * 1000 + tv.tv_usec / 1000;
  return ms > 0 ? ms : (tv.tv_usec > 0 ? 1 : 0);
}

constexpr size_t kMaxRecvIov = 64;
constexpr long kRecvWaitSliceMs = 10;

// recvmsg on a unix socket, performed here on a private copy of the
// msghdr and its iovecs: no control buffer (descriptors sent to it are
// closed by the kernel, MSG_CTRUNC), iovecs and name checked writable by
// the domain (the kernel writes them with the runtime's rights).  It never
// blocks in the kernel here, where the domain's time limit could not reach
// it: MSG_DONTWAIT, and between tries a wait of at most
// kRecvWaitSliceMs, after which the domain's deadline is checked (a fault
// of kind timeout when it passed) and SO_RCVTIMEO honoured (EAGAIN).
// While it waits, signals to the thread wait too (the handler's mask).
Msg recvmsg_unix(ThreadState *ts, Instance *in, const long *a, long *result, int *fault_kind) {
  auto *m = (struct msghdr *)a[1];
  long flags = a[2];
  *result = -EFAULT;
  if (!m || !caller_may_write(ts, m, sizeof(*m)) || !caller_may_read(ts, m, sizeof(*m))) return Msg::Done;
  struct msghdr h;
  memcpy(&h, m, sizeof(h));
  if (h.msg_control && h.msg_controllen) {
    log_line("domain '%s': recvmsg with a control buffer on a unix socket (it could receive descriptors): refused",
             in->dom->name);
    return Msg::Refuse;
  }
  if (flags & MSG_WAITALL) {
    log_line("domain '%s': recvmsg with MSG_WAITALL on a unix socket is not supported in a confined domain: refused",
             in->dom->name);
    return Msg::Refuse;
  }
  if (h.msg_iovlen > UIO_MAXIOV) {
    *result = -EMSGSIZE;
    return Msg::Done;
  }
  if (h.msg_iovlen > kMaxRecvIov) {
    log_line("domain '%s': recvmsg on a unix socket with %zu iovecs (at most %zu): refused", in->dom->name,
             (size_t)h.msg_iovlen, kMaxRecvIov);
    return Msg::Refuse;
  }
  struct iovec v[kMaxRecvIov];
  size_t n = h.msg_iovlen;
  if (n && (!h.msg_iov || !caller_may_read(ts, h.msg_iov, n * sizeof(v[0])))) return Msg::Done;
  if (n) memcpy(v, h.msg_iov, n * sizeof(v[0]));
  for (size_t i = 0; i < n; i++)
    if (v[i].iov_len && !caller_may_write(ts, v[i].iov_base, v[i].iov_len)) return Msg::Done;
  if (h.msg_name && (int)h.msg_namelen < 0) {
    *result = -EINVAL;
    return Msg::Done;
  }
  if (h.msg_name && h.msg_namelen && !caller_may_write(ts, h.msg_name, h.msg_namelen)) return Msg::Done;
  struct msghdr copy = {};
  copy.msg_name = h.msg_name;
  copy.msg_namelen = h.msg_name ? h.msg_namelen : 0;
  copy.msg_iov = v;
  copy.msg_iovlen = n;
  long limit = 0;
  uint64_t start = 0;
  long r;
  for (bool first = true;; first = false) {
    r = raw_syscall6(SYS_recvmsg, a[0], (long)&copy, flags | MSG_DONTWAIT, 0, 0, 0);
    if (r != -EAGAIN) break;
    uint64_t now = now_ms();
    if (first) {  // only a call that would wait pays for these
      limit = recv_wait_limit_ms(a[0], flags);
      start = now;
    }
    if (limit < 0) break;
    Frame &f = ts->frames[ts->depth - 1];
    if (f.deadline_ms && now >= f.deadline_ms) {
      f.deadline_ms = 0;  // a watchdog signal still queued finds nothing to do
      log_line("domain '%s': its time limit passed while recvmsg waited", in->dom->name);
      *fault_kind = SDRAD_FAULT_TIMEOUT;
      return Msg::Refuse;
    }
    if (limit > 0 && now - start >= (uint64_t)limit) break;
    struct pollfd p = {(int)a[0], POLLIN, 0};
    struct timespec slice = {0, kRecvWaitSliceMs * 1000000};
    raw_syscall6(SYS_ppoll, (long)&p, 1, (long)&slice, 0, 0, 0);
  }
  *result = r;
  if (r < 0) return Msg::Done;
  // What the kernel writes back into the msghdr of a recvmsg.
  if (h.msg_name) m->msg_namelen = copy.msg_namelen;
  m->msg_controllen = 0;
  m->msg_flags = copy.msg_flags;
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
  if ((nr == SYS_sendmsg || nr == SYS_recvmsg)) {
    Msg v = Msg::Pass;
    if (nr == SYS_sendmsg) v = sendmsg_take(ts, in, a, result);
    else if (is_unix_socket(a[0])) v = recvmsg_unix(ts, in, a, result, fault_kind);
    switch (v) {
      case Msg::Pass: return SysVerdict::Pass;
      case Msg::Done: return SysVerdict::Done;
      case Msg::Refuse:
        if (*fault_kind != SDRAD_FAULT_SYSCALL) return SysVerdict::Fault;
        return eperm ? SysVerdict::Refuse : SysVerdict::Fault;
      case Msg::Failed:
        log_line("domain '%s': a message could not be copied where no domain writes: refused", in->dom->name);
        return SysVerdict::Fault;
    }
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
