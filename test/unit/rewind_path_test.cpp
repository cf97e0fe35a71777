// What runs on the rewind path: the after-discard hook is user code, so a
// rewind must never start while the interrupted code is the runtime's own
// (it may hold a runtime lock the hook needs).
#include <atomic>
#include <dlfcn.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string>
#include <sys/wait.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include <x86intrin.h>

#include "internal.h"
#include "test_util.h"

using namespace sdrad_test;

namespace {

constexpr uint32_t kTimeoutMs = 20;

struct B {
  __sdrad_domain_ref ref;
  int64_t got;
  int armed;  // set by the domain (its own memory: under pku it cannot write root's)
  uint64_t wait_ticks;  // TSC ticks past the deadline
};

B *g_block;  // the call's block, for the lock hook
pthread_t g_caller;  // the thread that makes the call (the reclaimer takes locks too)
std::atomic<int> g_unblocked_in_lock{0};
int64_t g_hook_registered;

uint64_t now_ms() {
  timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (uint64_t)t.tv_sec * 1000 + (uint64_t)t.tv_nsec / 1000000;
}

sigset_t timeout_signal() {
  sigset_t s;
  sigemptyset(&s);
  sigaddset(&s, SIGRTMAX - 1);  // liveness.cpp: the watchdog's signal
  return s;
}

// Runs inside the runtime, with the lock just taken: the pending timeout
// (queued by the watchdog while blocked) is delivered right here.
void unblock_in_lock(const std::atomic<int> *) {
  B *b = g_block;
  if (!b || !pthread_equal(pthread_self(), g_caller) || !__atomic_exchange_n(&b->armed, 0, __ATOMIC_RELAXED)) return;
  g_unblocked_in_lock++;
  sigset_t s = timeout_signal();
  pthread_sigmask(SIG_UNBLOCK, &s, nullptr);
}

// In root after the discard: registering a domain takes the domain lock.
void hook_registers(int64_t, void *) { g_hook_registered = sdrad_domain_by_name("rewind.hook-registers", 0); }

// In the domain, with the timeout signal blocked: wait past the deadline
// (the watchdog queues the signal), then enter a gate that takes the
// domain lock (registering a nested domain).
void wait_then_register(B *b) {
  // By the TSC, not clock_gettime: where that is a system call (the QEMU
  // lane's guest), each is dispatched under confinement, and the SIGSYS
  // handler's return unblocks the watchdog's signal (a domain never keeps
  // it blocked), so the timeout would fire here instead of in the gate.
  uint64_t until = __rdtsc() + b->wait_ticks;
  while (__rdtsc() < until) {
  }
  __atomic_store_n(&b->armed, 1, __ATOMIC_RELAXED);
  b->got = __sdrad_domain_handle(&b->ref);
  if (__atomic_exchange_n(&b->armed, 0, __ATOMIC_RELAXED)) {  // the gate took no lock: no hang, a failure
    sigset_t s = timeout_signal();
    pthread_sigmask(SIG_UNBLOCK, &s, nullptr);
  }
  for (volatile int spin = 1; spin;) {  // PKU: the watchdog's next period
  }
}

}  // namespace

TEST(RewindPath, TimeoutInsideALockedGateWaitsForTheGateExit) {
  // Under pku the gate runs with PKRU 0, which the timeout handler already
  // treats as the runtime's (next period).  With syscall confinement the
  // domain waits by the TSC (wait_then_register): see there.
  int64_t h = domain("rewind.locked-gate");
  ASSERT_EQ(sdrad_on_discard(h, hook_registers, nullptr), 0);
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    alarm(10);  // a deadlocked rewind ends the child here
    if (sdrad_set_timeout(h, kTimeoutMs) != 0) _exit(5);  // the child's own watchdog
    sdrad::g_test_lock_taken = unblock_in_lock;
    sigset_t s = timeout_signal();
    pthread_sigmask(SIG_BLOCK, &s, nullptr);
    int st;
    {
      InDomain<B> d(h);
      d.b->ref = __sdrad_domain_ref{0, "rewind.nested", SDRAD_POLICY_INTEGRITY, SDRAD_ABI_VERSION};
      uint64_t t0 = now_ms(), r0 = __rdtsc();
      while (now_ms() < t0 + 20) {
      }
      d.b->wait_ticks = (__rdtsc() - r0) / (now_ms() - t0) * (4 * kTimeoutMs + 60);
      g_caller = pthread_self();
      g_block = d.b;
      st = d.run(wait_then_register);
    }
    sdrad::g_test_lock_taken = nullptr;
    g_block = nullptr;
    if (g_unblocked_in_lock != 1) _exit(2);
    if (st != SDRAD_FAULT_TIMEOUT) _exit(3);
    if (g_hook_registered <= 0) _exit(4);
    _exit(0);
  }
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status)) << "the child hung in the rewind (signal " << WTERMSIG(status) << ")";
  EXPECT_NE(WEXITSTATUS(status), 2) << "the signal was not delivered inside the gate's lock";
  EXPECT_NE(WEXITSTATUS(status), 3) << "the call did not end with a timeout";
  EXPECT_EQ(WEXITSTATUS(status), 0) << "the after-discard hook could not register a domain";
}

namespace {
struct F {
  int v;
};
}  // namespace

// SDRAD_LOG's fault line names the pc as object+offset from the runtime's
// own reading of /proc/self/maps (no dladdr, which takes the loader's lock
// on the rewind path); the offset is the one the loader knows.
TEST(RewindPath, FaultReportNamesThePcsObjectAndOffset) {
  int64_t h = domain("rewind.report");
  int fds[2];
  ASSERT_EQ(pipe2(fds, O_NONBLOCK), 0);
  int saved_err = dup(2);
  dup2(fds[1], 2);
  auto set_log = [](uint32_t v) {  // as SDRAD_LOG=1 would (the page is read-only after start-up)
    mprotect(&sdrad::g_shared, sdrad::kPage, PROT_READ | PROT_WRITE);
    sdrad::g_shared.log = v;
    mprotect(&sdrad::g_shared, sdrad::kPage, PROT_READ);
  };
  uint32_t saved_log = sdrad::g_shared.log;
  set_log(1);
  int st;
  {
    InDomain<F> d(h);
    st = d.run([](F *f) { f->v = *opaque((volatile int *)nullptr); });
  }
  set_log(saved_log);
  dup2(saved_err, 2);
  close(saved_err);
  close(fds[1]);
  char buf[8192];
  ssize_t n = read(fds[0], buf, sizeof(buf) - 1);
  close(fds[0]);
  ASSERT_EQ(st, SDRAD_FAULT_SEGV);
  ASSERT_GT(n, 0);
  buf[n] = 0;
  const char *line = strstr(buf, "fault in domain 'rewind.report'");
  ASSERT_NE(line, nullptr) << buf;
  unsigned long pc = 0, off = 0;
  char obj[128] = "";
  const char *at = strstr(line, " pc ");
  ASSERT_NE(at, nullptr) << line;
  ASSERT_EQ(sscanf(at, " pc %lx (%127[^+]+%lx)", &pc, obj, &off), 3) << line;
  Dl_info di{};
  ASSERT_NE(dladdr((void *)pc, &di), 0);
  std::string file = di.dli_fname;
  EXPECT_EQ(file.substr(file.rfind('/') + 1), obj) << line;
  EXPECT_EQ(off, pc - (uintptr_t)di.dli_fbase) << line;
}
