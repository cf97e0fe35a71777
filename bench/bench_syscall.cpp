// bench_syscall - the cost of syscall confinement (docs/performance.md):
//   syscall.root_fresh     getppid from root on a thread that never entered
//                          a domain (dispatch off)
//   syscall.root_after     the same on a thread that has entered a domain
//                          (Syscall User Dispatch on, selector "allow")
//   syscall.domain         getppid from inside a confined domain (SIGSYS,
//                          policy, the domain re-executes it, re-arm)
//   syscall.domain_any     the same in a domain with SDRAD_POLICY_SYSCALLS_ANY
//   call.noarg_confined / call.noarg_unconfined   the no-argument isolated
//                          call into a confined / unconfined domain
//   kernel.sud_off / kernel.sud_selector / kernel.sud_region   the kernel's
//                          share, no runtime involved: getppid on a fresh
//                          thread with dispatch off, on with a selector on
//                          "allow", and on with the call inside the allowed
//                          IP region (the kernel skips the selector read);
//                          selector - region is what reading the selector
//                          costs, region - off the slow system-call path
//   msg.root / msg.domain  one byte sent with sendmsg and received with
//                          recvmsg over a unix socket pair, from root / from
//                          inside a confined domain (the policy checks a
//                          sealed copy of sendmsg's msghdr and makes a unix
//                          socket's recvmsg itself: syscall_policy.cpp)
// Each figure is per system call (or per call), the fastest of interleaved
// batches.  With SDRAD_CONFINEMENT=per-call every name gets the suffix
// ".per_call" (bench/run.sh runs both modes; always-on is the default; in
// per-call root_after should equal root_fresh and the confined no-arg call
// pays two prctl calls).  The system calls inside a domain run in a loop inside one
// isolated call, so the call's own cost is amortised away.
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <string>

#include <thread>

#include "common.h"
#include "thunk.h"

using namespace bench;

static __sdrad_domain_ref g_conf = {0, "bench.sys", SDRAD_POLICY_INTEGRITY, SDRAD_ABI_VERSION};
static __sdrad_domain_ref g_any = {0, "bench.sys_any", SDRAD_POLICY_INTEGRITY | SDRAD_POLICY_SYSCALLS_ANY,
                                   SDRAD_ABI_VERSION};

// The kernel-only rows: a call site at a known address (not inlined), so
// the allowed region can cover exactly it.
__attribute__((noinline)) static long probe_getppid() {
  long r;
  __asm__ volatile("syscall" : "=a"(r) : "a"((long)SYS_getppid) : "rcx", "r11", "memory");
  return r;
}
static volatile char g_probe_selector;  // 0: SYSCALL_DISPATCH_FILTER_ALLOW
static void probe_loop(uint64_t n, int mode) {
  // PR_SET_SYSCALL_USER_DISPATCH (59): ON = 1 (offset, len, selector), OFF = 0
  if (mode == 1) prctl(59, 1, 0, 0, &g_probe_selector);
  if (mode == 2) prctl(59, 1, (unsigned long)(uintptr_t)&probe_getppid, 64, &g_probe_selector);
  for (uint64_t i = 0; i < n; i++) probe_getppid();
  if (mode != 0) prctl(59, 0, 0, 0, 0);
}

static long raw_getppid() {
  long r;
  __asm__ volatile("syscall" : "=a"(r) : "a"((long)SYS_getppid) : "rcx", "r11", "memory");
  return r;
}

namespace {
struct LoopBlk {
  uint64_t n;
  long ret;
};
void entry_loop(void *p) {
  auto *b = (LoopBlk *)p;
  long s = 0;
  for (uint64_t i = 0; i < b->n; i++) s += raw_getppid();
  b->ret = s;
}
struct NoArgBlk {
  int64_t ret;
};
void entry_noarg(void *p) { ((NoArgBlk *)p)->ret = 1; }
}  // namespace

static int g_pair[2] = {-1, -1};

// One byte out and back in with sendmsg/recvmsg (system call instructions,
// as libc's wrappers make them).
static long msg_round_trip() {
  char out = 'm', in = 0;
  struct iovec vo = {&out, 1}, vi = {&in, 1};
  struct msghdr mo = {}, mi = {};
  mo.msg_iov = &vo;
  mo.msg_iovlen = 1;
  mi.msg_iov = &vi;
  mi.msg_iovlen = 1;
  long r;
  register long rdx __asm__("rdx") = 0;
  __asm__ volatile("syscall" : "=a"(r) : "a"((long)SYS_sendmsg), "D"((long)g_pair[0]), "S"(&mo), "r"(rdx)
                   : "rcx", "r11", "memory");
  __asm__ volatile("syscall" : "=a"(r) : "a"((long)SYS_recvmsg), "D"((long)g_pair[1]), "S"(&mi), "r"(rdx)
                   : "rcx", "r11", "memory");
  return r == 1 && in == 'm';
}
namespace {
void entry_msg_loop(void *p) {
  auto *b = (LoopBlk *)p;
  long s = 0;
  for (uint64_t i = 0; i < b->n; i++) s += msg_round_trip();
  b->ret = s;
}
}  // namespace

static void msg_in_domain(uint64_t n) {
  long r = 0;
  if (isolated_call(g_conf, entry_msg_loop, LoopBlk{n, 0}, &r) != 0 || (uint64_t)r != n) {
    fprintf(stderr, "bench_syscall: sendmsg/recvmsg in the domain failed (%ld of %lu)\n", r, (unsigned long)n);
    exit(1);
  }
}

static long in_domain(__sdrad_domain_ref &d, uint64_t n) {
  long r = 0;
  if (isolated_call(d, entry_loop, LoopBlk{n, 0}, &r) != 0) {
    fprintf(stderr, "bench_syscall: isolated call failed\n");
    exit(1);
  }
  return r;
}

int main(int argc, char **argv) {
  parse_common(argc, argv);
  printf("# backend %s\n", sdrad_backend_name());
  // A thread that never enters a domain: dispatch stays off.
  double fresh = 0;
  std::thread([&] {
    fresh = time_per_iter([](uint64_t n) {
      for (uint64_t i = 0; i < n; i++) raw_getppid();
    });
  }).join();
  // The kernel's share of confinement, without the runtime (a thread that
  // never enters a domain turns dispatch on and off itself).
  std::vector<double> kern;
  std::thread([&] {
    kern = time_interleaved({
        [](uint64_t n) { probe_loop(n, 0); },
        [](uint64_t n) { probe_loop(n, 1); },
        [](uint64_t n) { probe_loop(n, 2); },
    });
  }).join();
  if (socketpair(AF_UNIX, SOCK_STREAM, 0, g_pair) != 0) {
    perror("bench_syscall: socketpair");
    return 1;
  }
  int64_t r;
  isolated_call(g_conf, entry_noarg, NoArgBlk{0}, &r);  // this thread: dispatch on
  auto v = time_interleaved({
      [](uint64_t n) {
        for (uint64_t i = 0; i < n; i++) raw_getppid();
      },
      [](uint64_t n) { in_domain(g_conf, n); },
      [](uint64_t n) { in_domain(g_any, n); },
      [](uint64_t n) {
        int64_t x;
        for (uint64_t i = 0; i < n; i++) isolated_call(g_conf, entry_noarg, NoArgBlk{0}, &x);
      },
      [](uint64_t n) {
        int64_t x;
        for (uint64_t i = 0; i < n; i++) isolated_call(g_any, entry_noarg, NoArgBlk{0}, &x);
      },
      [](uint64_t n) {
        for (uint64_t i = 0; i < n; i++) msg_round_trip();
      },
      [](uint64_t n) { msg_in_domain(n); },
  });
  const char *mode = getenv("SDRAD_CONFINEMENT");
  std::string sfx = mode && !strcmp(mode, "per-call") ? ".per_call" : "";
  printf("# confinement mode %s\n", sfx.empty() ? (mode && !strcmp(mode, "0") ? "off" : "always-on") : "per-call");
  result(("syscall.root_fresh" + sfx).c_str(), fresh, "ns");
  result(("syscall.root_after" + sfx).c_str(), v[0], "ns");
  result(("syscall.domain" + sfx).c_str(), v[1], "ns");
  result(("syscall.domain_any" + sfx).c_str(), v[2], "ns");
  result(("call.noarg_confined" + sfx).c_str(), v[3], "ns");
  result(("call.noarg_unconfined" + sfx).c_str(), v[4], "ns");
  result(("msg.root" + sfx).c_str(), v[5], "ns");
  result(("msg.domain" + sfx).c_str(), v[6], "ns");
  result("kernel.sud_off", kern[0], "ns");
  result("kernel.sud_selector", kern[1], "ns");
  result("kernel.sud_region", kern[2], "ns");
  printf("# kernel: dispatch on, selector read / off: +%.1f ns (slow path +%.1f, selector read +%.1f)\n",
         kern[1] - kern[0], kern[2] - kern[0], kern[1] - kern[2]);
  printf("# confined domain syscall / root syscall: %.1fx\n", v[1] / v[0]);
  printf("# root syscall, thread used domains / fresh: %.2fx\n", v[0] / fresh);
  return 0;
}
