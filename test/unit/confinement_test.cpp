// Syscall confinement's modes (SDRAD_CONFINEMENT, syscall_confine.cpp):
// per-call (the default) turns Syscall User Dispatch off on the way back to
// root, so root's system calls never reach the dispatcher; always-on keeps
// it on.  Either way every system call of a confined domain is dispatched.
// These need Syscall User Dispatch, not protection keys; ctest runs them
// in both modes (test/unit/CMakeLists.txt).
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <linux/hw_breakpoint.h>
#include <linux/perf_event.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <time.h>

#include <algorithm>
#include <atomic>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "internal.h"
#include "sdrad_api.h"
#include "test_util.h"

using namespace sdrad_test;

namespace {

char g_root_page[4096] __attribute__((aligned(4096)));

struct B {
  long r;
};

long raw1(long nr, long a, long b, long c) {
  long r;
  register long rdx __asm__("rdx") = c;
  __asm__ volatile("syscall" : "=a"(r) : "a"(nr), "D"(a), "S"(b), "r"(rdx) : "rcx", "r11", "memory");
  return r;
}

void noop(B *b) { b->r = 1; }
// Refused by the default policy: a root page is outside the domain's slot.
void mprotect_root(B *b) { b->r = raw1(SYS_mprotect, (long)g_root_page, 4096, PROT_READ | PROT_WRITE); }

class Confinement : public testing::Test {
 protected:
  void SetUp() override {
    if (!sdrad::g_shared.confine) GTEST_SKIP() << "no Syscall User Dispatch on this kernel (or SDRAD_CONFINEMENT=0)";
  }
};

// Is dispatch on for this thread in the kernel?  Blocks the thread's
// selector from root and makes a system call: with dispatch on it raises
// SIGSYS, which the runtime performs and counts.
bool dispatch_on_now() {
  sdrad::ThreadState *ts = sdrad::thread_state_if_any();
  if (!ts) return false;
  uint64_t before = sdrad::g_sud_dispatched_other.load();
  *sdrad::selector_rw(ts) = sdrad::kSudBlock;
  long ppid = raw1(SYS_getppid, 0, 0, 0);
  *sdrad::selector_rw(ts) = sdrad::kSudAllow;
  EXPECT_EQ(ppid, (long)getppid());
  return sdrad::g_sud_dispatched_other.load() != before;
}

int32_t call(int64_t h, void (*fn)(B *)) {
  InDomain<B> d(h);
  return d.run(fn);
}

}  // namespace

TEST_F(Confinement, RootSyscallsAfterAConfinedCallAreNotDispatched) {
  int64_t h = domain("conf.noop");
  ASSERT_EQ(call(h, noop), 0);
  if (sdrad::g_shared.confine == sdrad::kConfinePerCall)
    EXPECT_FALSE(dispatch_on_now()) << "per-call: root's system calls must take the kernel's fast path";
  else
    EXPECT_TRUE(dispatch_on_now()) << "always-on: the thread keeps dispatch on";
}

TEST_F(Confinement, EveryCallIntoAConfinedDomainIsConfined) {
  int64_t h = domain("conf.refuse");
  for (int i = 0; i < 3; i++) {
    EXPECT_EQ(call(h, mprotect_root), SDRAD_FAULT_SYSCALL) << "call " << i;
    EXPECT_EQ(last_fault_kind(), SDRAD_FAULT_SYSCALL);
  }
}

TEST_F(Confinement, AnUnconfinedDomainBetweenConfinedCallsLeavesThemConfined) {
  int64_t any = domain("conf.any", SDRAD_POLICY_INTEGRITY | SDRAD_POLICY_SYSCALLS_ANY);
  int64_t h = domain("conf.after_any");
  ASSERT_EQ(call(any, mprotect_root), 0);  // syscalls(any): reaches the kernel
  EXPECT_EQ(call(h, mprotect_root), SDRAD_FAULT_SYSCALL);
  ASSERT_EQ(call(any, noop), 0);
  EXPECT_EQ(call(h, mprotect_root), SDRAD_FAULT_SYSCALL);
}

// SIGSYS carries the confinement: the program cannot take it over.
TEST_F(Confinement, ProgramCannotInstallASigsysHandler) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = SIG_IGN;
  errno = 0;
  EXPECT_EQ(sigaction(SIGSYS, &sa, nullptr), -1);
  EXPECT_EQ(errno, EINVAL);
  EXPECT_EQ(signal(SIGSYS, SIG_IGN), SIG_ERR);
  int64_t h = domain("conf.after_sigaction");
  EXPECT_EQ(call(h, mprotect_root), SDRAD_FAULT_SYSCALL);
}

// A program's handler for a signal that interrupts a confined domain runs
// as root code (docs/threat-model.md, "Signals delivered while a domain
// runs"): root rights, and its system calls are not the domain's (getpgrp
// is refused to domains); the domain then continues, confined, to a normal
// return.
namespace {
struct SpinB {
  volatile int entered, stop;
  long r;
};
SpinB *volatile g_spin;
volatile long g_handler_pgrp;
int g_handler_root_write;
void on_usr1(int) {
  g_handler_pgrp = raw1(SYS_getpgrp, 0, 0, 0);
  g_handler_root_write = 1;  // root memory: needs root rights under PKU
  g_spin->stop = 1;
}
void spin_then_refused(SpinB *b) {
  b->entered = 1;
  while (!b->stop) {
  }
  b->r = raw1(SYS_getpgrp, 0, 0, 0);  // back in the domain: refused again
}
}  // namespace

TEST_F(Confinement, ProgramHandlerInterruptingADomainRunsAsRoot) {
  struct sigaction sa, old;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_usr1;
  ASSERT_EQ(sigaction(SIGUSR1, &sa, &old), 0);
  int64_t h = domain("conf.interrupted");
  InDomain<SpinB> d(h);
  g_spin = d.b;
  g_handler_pgrp = -1;
  pthread_t self = pthread_self();
  std::thread t([&] {
    while (!d.b->entered) sched_yield();
    pthread_kill(self, SIGUSR1);
  });
  int32_t st = d.run(spin_then_refused);
  t.join();
  sigaction(SIGUSR1, &old, nullptr);
  EXPECT_EQ(g_handler_pgrp, (long)getpgrp());
  EXPECT_EQ(g_handler_root_write, 1);
  EXPECT_EQ(st, SDRAD_FAULT_SYSCALL) << "the domain's own getpgrp after the handler";
  sdrad_fault f;
  ASSERT_TRUE(sdrad_last_fault(&f));
  EXPECT_EQ(f.addr, (uintptr_t)SYS_getpgrp);
}

// The selector is runtime-owned: a domain can write neither the view the
// runtime writes (root key) nor the one the kernel reads (read-only).  Needs
// protection keys for the first (runs in the PKU lane; skips here).
namespace {
struct SelB {
  volatile uint8_t *sel;
};
void write_selector(SelB *b) { *b->sel = sdrad::kSudAllow; }
}  // namespace

TEST_F(Confinement, DomainCannotWriteItsSelector) {
  sdrad::ThreadState *ts = sdrad::thread_state_if_any();
  ASSERT_NE(ts, nullptr);
  size_t idx = (size_t)(sdrad::selector_rw(ts) - (volatile uint8_t *)sdrad::g_shared.sud_rw);
  int64_t h = domain("conf.selector");
  {
    InDomain<SelB> d(h);
    d.b->sel = (volatile uint8_t *)sdrad::g_shared.sud_ro + idx;
    EXPECT_EQ(d.run(write_selector), SDRAD_FAULT_SEGV) << "the kernel's view is read-only";
  }
  if (!pku()) GTEST_SKIP() << "the runtime's view needs protection keys (backend " << sdrad_backend_name() << ")";
  InDomain<SelB> d(h);
  d.b->sel = sdrad::selector_rw(ts);
  EXPECT_EQ(d.run(write_selector), SDRAD_FAULT_KEY_VIOLATION);
}

// Signals that land anywhere in a call (a second thread sends one every
// few microseconds for about two seconds): every call's refused system
// call is still refused, no call ends with another status, and the process
// survives.  A rare failure here (one call in ~600,000 under load ended
// with a gate violation) was a signal inside the re-arm stub's impl before
// it took its address; SignalBeforeTheReArmTakesItsAddressLeavesTheCallIntact
// now hits that window deterministically.
namespace {
std::atomic<long> g_usr2;
void on_usr2(int) { g_usr2.fetch_add(1, std::memory_order_relaxed); }
void getpgrp_in_domain(B *b) { b->r = raw1(SYS_getpgrp, 0, 0, 0); }
}  // namespace

TEST_F(Confinement, SignalsDuringCallsNeverLeaveADomainUnconfined) {
  struct sigaction sa, old;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_usr2;
  sa.sa_flags = SA_RESTART;
  ASSERT_EQ(sigaction(SIGUSR2, &sa, &old), 0);
  int64_t h = domain("conf.signalled");
  std::atomic<bool> stop{false};
  pthread_t self = pthread_self();
  std::thread t([&] {
    struct timespec d = {0, 3000};
    while (!stop.load()) {
      pthread_kill(self, SIGUSR2);
      nanosleep(&d, nullptr);
    }
  });
  long calls = 0, unconfined = 0, other = 0;
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  do {
    int32_t st = call(h, getpgrp_in_domain);
    calls++;
    if (st == 0) unconfined++;
    else if (st != SDRAD_FAULT_SYSCALL && other++ == 0) {
      sdrad_fault f{};
      sdrad_last_fault(&f);
      printf("first other status: %d (signal %d, code %d, pkey %d, addr %#lx, pc %#lx)\n", st, f.signo, f.si_code,
             f.pkey, (unsigned long)f.addr, (unsigned long)f.pc);
      printf("pc - sdrad_last_fault: %#lx\n", (unsigned long)(f.pc - (uintptr_t)&sdrad_last_fault));
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
  } while ((t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000 < 2000);
  stop = true;
  t.join();
  sigaction(SIGUSR2, &old, nullptr);
  printf("calls %ld, signals handled %ld\n", calls, g_usr2.load());
  EXPECT_EQ(unconfined, 0) << "calls whose refused system call reached the kernel";
  EXPECT_EQ(other, 0);
}

// The entry window: push_frame blocks the selector, then the runtime runs
// on at PKRU 0 until the WRPKRU into the domain.  A signal handled there
// must leave "allow" (its handler's rt_sigreturn follows), so the drop
// checks the selector after its WRPKRU and re-syncs it (selector_check.inc).
// The test hook raises a program signal in that window, deterministically:
// before the check, the domain ran its refused system call on "allow".
namespace {
std::atomic<long> g_window_signals;
void on_usr1_in_window(int) { g_window_signals.fetch_add(1, std::memory_order_relaxed); }
// The hook: a program signal in the window `where`, once.
sdrad::ConfineWindow g_window_where;
void signal_in_window(sdrad::ConfineWindow w) {
  if (w != g_window_where) return;
  sdrad::g_confine_window_test_hook = nullptr;
  raw1(SYS_tgkill, getpid(), syscall(SYS_gettid), SIGUSR1);
}
void arm_window_signal(sdrad::ConfineWindow w) {
  g_window_where = w;
  sdrad::g_confine_window_test_hook = signal_in_window;
}
// What `run` (a confined call) returned with the hook's signal armed for
// window `w`, and how many of those signals and selector re-syncs it saw.
struct WindowRun {
  int32_t st = -1;
  long signals = 0;
  uint64_t resyncs = 0;
};
void run_with_window_signal(sdrad::ConfineWindow w, const std::function<int32_t()> &run, WindowRun *out) {
  struct sigaction sa, old;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_usr1_in_window;
  ASSERT_EQ(sigaction(SIGUSR1, &sa, &old), 0);
  uint64_t resyncs = sdrad::g_sud_resyncs.load();
  long signals = g_window_signals.load();
  arm_window_signal(w);
  out->st = run();
  sdrad::g_confine_window_test_hook = nullptr;
  sigaction(SIGUSR1, &old, nullptr);
  out->signals = g_window_signals.load() - signals;
  out->resyncs = sdrad::g_sud_resyncs.load() - resyncs;
}
}  // namespace

TEST_F(Confinement, SignalInTheEntryWindowLeavesTheDomainConfined) {
  // Without PKU the signal path tells the window by depth and re-arms
  // through the stub; the raw tgkill in the hook would itself be taken as
  // the domain's call.  The race is a PKU one.
  if (!pku()) GTEST_SKIP() << "the entry window race needs protection keys (PKU lane)";
  int64_t h = domain("conf.window");
  WindowRun r;
  // A fresh thread: its first call turns dispatch on, where the hook runs.
  ASSERT_NO_FATAL_FAILURE(run_with_window_signal(
      sdrad::ConfineWindow::Entry,
      [&] {
        int32_t st = -1;
        std::thread t([&] { st = call(h, getpgrp_in_domain); });
        t.join();
        return st;
      },
      &r));
  EXPECT_EQ(r.signals, 1) << "the hook's signal was not handled in the window";
  EXPECT_EQ(r.st, SDRAD_FAULT_SYSCALL) << "the domain's refused system call reached the kernel (selector on allow)";
  EXPECT_GE(r.resyncs, 1u) << "the drop did not find the selector on allow";
}

// Calls issue 9 lists as refused that have no row of their own in the PKU
// matrix (test/pku/syscall_rows.inc has the others): each is a fault of
// kind syscall with the number in the report.  Arguments are chosen so that
// a call the policy wrongly passed would do no harm (and the test fails).
namespace {

struct Refused {
  const char *name;
  long nr;
  long a[6];
};

long raw6(long nr, const long *a) {
  long r;
  register long r10 __asm__("r10") = a[3];
  register long r8 __asm__("r8") = a[4];
  register long r9 __asm__("r9") = a[5];
  __asm__ volatile("syscall"
                   : "=a"(r)
                   : "a"(nr), "D"(a[0]), "S"(a[1]), "d"(a[2]), "r"(r10), "r"(r8), "r"(r9)
                   : "rcx", "r11", "memory");
  return r;
}

struct RB {
  long nr;
  long a[6];
  long r;
};

void run_refused(RB *b) {
  b->r = raw6(b->nr, b->a);
  if (b->r == 0 && (b->nr == SYS_fork || b->nr == SYS_vfork)) {
    long none[6] = {0, 0, 0, 0, 0, 0};
    raw6(SYS_exit_group, none);  // a child that should not exist
  }
}

class ConfinementRefuses : public testing::TestWithParam<Refused> {
 protected:
  void SetUp() override {
    if (!sdrad::g_shared.confine) GTEST_SKIP() << "no Syscall User Dispatch on this kernel (or SDRAD_CONFINEMENT=0)";
  }
};

}  // namespace

TEST_P(ConfinementRefuses, IsAFaultOfKindSyscall) {
  const Refused &c = GetParam();
  int64_t h = domain(std::string("conf.refuse.") + c.name);
  InDomain<RB> d(h);
  d.b->nr = c.nr;
  for (int i = 0; i < 6; i++) d.b->a[i] = c.a[i];
  long self = getpid();
  if (c.nr == SYS_process_vm_readv || c.nr == SYS_rt_tgsigqueueinfo) d.b->a[0] = self;
  if (c.nr == SYS_tgkill) d.b->a[0] = self, d.b->a[1] = gettid();
  if (c.nr == SYS_tkill) d.b->a[0] = gettid();
  if (!strcmp(c.name, "mprotect_exec")) d.b->a[0] = (long)((uintptr_t)d.b & ~(uintptr_t)4095);  // its own heap
  EXPECT_EQ(d.run(run_refused), SDRAD_FAULT_SYSCALL) << c.name;
  sdrad_fault f;
  ASSERT_TRUE(sdrad_last_fault(&f));
  EXPECT_EQ(f.kind, SDRAD_FAULT_SYSCALL);
  EXPECT_EQ(f.addr, (uintptr_t)c.nr) << c.name;
}

// The signal calls send signal 0 (existence check) or an invalid info
// pointer, so a passed call delivers nothing.
INSTANTIATE_TEST_SUITE_P(
    Issue9, ConfinementRefuses,
    testing::Values(Refused{"pkey_free", SYS_pkey_free, {15}},
                    Refused{"pkey_mprotect", SYS_pkey_mprotect, {(long)g_root_page, 4096, PROT_READ | PROT_WRITE, 0}},
                    Refused{"mprotect_exec", SYS_mprotect, {0, 4096, PROT_READ | PROT_WRITE | PROT_EXEC}},
                    Refused{"clone3", SYS_clone3, {0, 0}},
                    Refused{"fork", SYS_fork, {}},
                    Refused{"vfork", SYS_vfork, {}},
                    Refused{"execveat", SYS_execveat, {-1, 0, 0, 0, 0}},
                    Refused{"process_vm_readv", SYS_process_vm_readv, {0, 0, 0, 0, 0, 0}},
                    Refused{"tkill_self", SYS_tkill, {0, 0}},
                    Refused{"tgkill_self", SYS_tgkill, {0, 0, 0}},
                    Refused{"rt_tgsigqueueinfo_self", SYS_rt_tgsigqueueinfo, {0, 0, SIGUSR1, 0}},
                    Refused{"rt_sigreturn", SYS_rt_sigreturn, {}},
                    Refused{"brk", SYS_brk, {0}},
                    Refused{"exit", SYS_exit, {0}},
                    Refused{"socket", SYS_socket, {-1, 0, 0}},
                    Refused{"prlimit64_set", SYS_prlimit64, {0, RLIMIT_CORE, 1, 0}}),
    [](const testing::TestParamInfo<Refused> &i) { return std::string(i.param.name); });

// The same window before an API gate's exit drops back into the domain.
namespace {
void gate_then_getpgrp(B *b) {
  (void)sdrad_depth();  // an API gate: elevates, and drops back at its exit
  b->r = raw1(SYS_getpgrp, 0, 0, 0);
}
}  // namespace

TEST_F(Confinement, SignalBeforeAGateExitLeavesTheDomainConfined) {
  if (!pku()) GTEST_SKIP() << "the gate-exit window race needs protection keys (PKU lane)";
  int64_t h = domain("conf.gate-window");
  WindowRun r;
  ASSERT_NO_FATAL_FAILURE(
      run_with_window_signal(sdrad::ConfineWindow::GateExit, [&] { return call(h, gate_then_getpgrp); }, &r));
  EXPECT_EQ(r.signals, 1) << "the hook's signal was not handled before the gate's exit";
  EXPECT_EQ(r.st, SDRAD_FAULT_SYSCALL) << "the domain's refused system call reached the kernel (selector on allow)";
  EXPECT_GE(r.resyncs, 1u) << "the gate's drop did not find the selector on allow";
}

// And before the re-arm stub's drop (after an allowed system call the
// domain re-executes at the stub, or any signal that interrupted it).
namespace {
void getpid_then_getpgrp(B *b) {
  (void)raw1(SYS_getpid, 0, 0, 0);  // allowed: passed back, then re-armed
  b->r = raw1(SYS_getpgrp, 0, 0, 0);
}
}  // namespace

TEST_F(Confinement, SignalBeforeAReArmLeavesTheDomainConfined) {
  if (!pku()) GTEST_SKIP() << "the re-arm window race needs protection keys (PKU lane)";
  int64_t h = domain("conf.rearm-window");
  WindowRun r;
  ASSERT_NO_FATAL_FAILURE(
      run_with_window_signal(sdrad::ConfineWindow::Rearm, [&] { return call(h, getpid_then_getpgrp); }, &r));
  EXPECT_EQ(r.signals, 1) << "the hook's signal was not handled before the re-arm's drop";
  EXPECT_EQ(r.st, SDRAD_FAULT_SYSCALL) << "the domain's refused system call reached the kernel (selector on allow)";
  EXPECT_GE(r.resyncs, 1u) << "the re-arm's drop did not find the selector on allow";
}

// A program's signal in the re-arm stub's impl before it took the address
// the domain resumes at (the hook raises it there, deterministically; with
// or without PKU).  Its handler's return must leave that re-arm due: once,
// a nested re-arm overwrote the address with one inside the impl, and the
// outer impl then found none due and reported a gate violation (seen as a
// rare status 14 in the signal-storm test above).
TEST_F(Confinement, SignalBeforeTheReArmTakesItsAddressLeavesTheCallIntact) {
  int64_t h = domain("conf.rearm-taking");
  WindowRun r;
  ASSERT_NO_FATAL_FAILURE(
      run_with_window_signal(sdrad::ConfineWindow::RearmTaking, [&] { return call(h, getpid_then_getpgrp); }, &r));
  EXPECT_EQ(r.signals, 1) << "the hook's signal was not handled in the re-arm";
  EXPECT_EQ(r.st, SDRAD_FAULT_SYSCALL) << "the call did not resume where the domain was (SDRAD_FAULT_GATE: the re-arm was lost)";
}

// A re-arm that never ran (the domain faulted in the stub: it left itself
// no stack, so the stub's first push hits the guard page) is not left due:
// the next call's handlers would take it for in flight and return without
// re-arming, and a passed system call would leave the selector on "allow".
namespace {
void allowed_call_with_no_stack_left(B *b) {
  sdrad::ThreadState *ts = sdrad::thread_state_if_any();
  uintptr_t top = ts->frames[ts->depth - 1].inst->stack_lo + 64;
  __asm__ volatile("mov %%rsp, %%rbx\n\tmov %0, %%rsp\n\tmov %1, %%eax\n\tsyscall\n\tmov %%rbx, %%rsp"
                   :
                   : "r"(top), "i"(SYS_getpid)
                   : "rax", "rbx", "rcx", "r11", "memory");
  b->r = 1;
}
}  // namespace

TEST_F(Confinement, AFaultInTheReArmStubLeavesTheNextCallConfined) {
  int64_t h = domain("conf.rearm-fault");
  int32_t st = call(h, allowed_call_with_no_stack_left);
  EXPECT_TRUE(st == SDRAD_FAULT_STACK_OVERFLOW || st == SDRAD_FAULT_SEGV) << "status " << st;
  EXPECT_EQ(call(h, getpid_then_getpgrp), SDRAD_FAULT_SYSCALL)
      << "the next call's allowed system call left the selector on allow";
}

// A system call of root or the runtime that meets "block" is performed by
// the SIGSYS handler; an rt_sigprocmask done there on the handler's own
// mask was undone by its rt_sigreturn.  It changes the frame's mask.
TEST_F(Confinement, RootSigprocmaskMetByBlockTakesEffect) {
  int64_t h = domain("conf.mask");
  ASSERT_EQ(call(h, noop), 0);
  if (!dispatch_on_now()) GTEST_SKIP() << "dispatch is off in root (per-call): nothing meets block there";
  sdrad::ThreadState *ts = sdrad::thread_state_if_any();
  ASSERT_NE(ts, nullptr);
  sigset_t usr1, old, now;
  sigemptyset(&usr1);
  sigaddset(&usr1, SIGUSR1);
  ASSERT_EQ(pthread_sigmask(SIG_UNBLOCK, &usr1, &old), 0);
  uint64_t before = sdrad::g_sud_dispatched_other.load();
  const long args[6] = {SIG_BLOCK, (long)&usr1, 0, _NSIG / 8, 0, 0};
  *sdrad::selector_rw(ts) = sdrad::kSudBlock;
  long r = raw6(SYS_rt_sigprocmask, args);
  *sdrad::selector_rw(ts) = sdrad::kSudAllow;
  ASSERT_EQ(pthread_sigmask(SIG_SETMASK, nullptr, &now), 0);
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  EXPECT_EQ(r, 0);
  EXPECT_EQ(sdrad::g_sud_dispatched_other.load() - before, 1u) << "the call did not meet block";
  EXPECT_TRUE(sigismember(&now, SIGUSR1)) << "the mask change was undone by the handler's return";
}

// --- What a domain holds outside its slot (domain_resources.cpp) ---------
// A domain's mmap that replaces nothing is made by the runtime and kept
// with the instance: a rewind unmaps it, so a domain that maps and faults
// in a loop leaves the process's mappings as they were.
namespace {

std::vector<std::string> maps_lines() {
  std::vector<std::string> v;
  FILE *f = fopen("/proc/self/maps", "r");
  if (!f) return v;
  char line[512];
  while (fgets(line, sizeof line, f)) v.emplace_back(line);
  fclose(f);
  return v;
}
// Entries of `after` not in `before`, for the failure message.
std::string maps_added(const std::vector<std::string> &before, const std::vector<std::string> &after) {
  std::string out;
  for (const auto &l : after)
    if (std::find(before.begin(), before.end(), l) == before.end()) out += l;
  return out;
}

bool page_mapped(uintptr_t p) {
  unsigned char v;
  return mincore((void *)p, 4096, &v) == 0;
}

constexpr int kMapsPerRun = 4;
struct MapB {
  uintptr_t addr[kMapsPerRun];
  long err;
  long n;
};

long raw_mmap(long addr, long len, long prot, long flags) {
  long a[6] = {addr, len, prot, flags, -1, 0};
  return raw6(SYS_mmap, a);
}

// Four mappings whose protections alternate (adjacent ones do not merge
// into one entry of /proc/self/maps), the writable ones written once.
void map_four_then_fault(MapB *) {
  for (int i = 0; i < kMapsPerRun; i++) {
    long r = raw_mmap(0, 4096, i % 2 ? PROT_READ : PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS);
    if (r < 0 && r > -4096) return;
    if (i % 2 == 0) *(volatile char *)r = 1;
  }
  __builtin_trap();
}
void fault_now(MapB *) { __builtin_trap(); }

}  // namespace

TEST_F(Confinement, ARewindUnmapsTheDomainsMappings) {
  int64_t h = domain("conf.maps.rewind");
  // Warm up: the instance exists and the first fault's one-time mappings
  // (the old-slot reclaimer, if any) are made.
  for (int i = 0; i < 20; i++) {
    InDomain<MapB> d(h);
    ASSERT_EQ(d.run(map_four_then_fault), SDRAD_FAULT_ILL);
  }
  // The runtime's threads that the warm-up started (the old-slot
  // reclaimer) map their own stacks when they first run, which a loaded
  // machine may delay: wait until the count holds still.
  auto before = maps_lines();
  for (int i = 0; i < 40; i++) {
    usleep(25000);
    auto now = maps_lines();
    if (now.size() == before.size()) break;
    before = now;
  }
  for (int i = 0; i < 200; i++) {
    InDomain<MapB> d(h);
    ASSERT_EQ(d.run(map_four_then_fault), SDRAD_FAULT_ILL) << "run " << i;
  }
  auto after = maps_lines();
  EXPECT_LE(after.size(), before.size() + 2)
      << "entries of /proc/self/maps: " << before.size() << " before 200 rewinds, " << after.size()
      << " after; new:\n" << maps_added(before, after);
}

TEST_F(Confinement, ADomainsMappingIsGoneAfterItsRewind) {
  int64_t h = domain("conf.maps.gone");
  InDomain<MapB> d(h);
  d.b->err = 0;
  ASSERT_EQ(d.run([](MapB *b) {
    long r = raw_mmap(0, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS);
    b->addr[0] = (uintptr_t)r;
    if (r < 0 && r > -4096) return;
    *(volatile char *)r = 1;  // the domain's memory (its key under PKU)
  }), 0);
  uintptr_t p = d.b->addr[0];
  ASSERT_TRUE(page_mapped(p));
  ASSERT_EQ(d.run(fault_now), SDRAD_FAULT_ILL);
  EXPECT_FALSE(page_mapped(p)) << "the domain's mapping outlived its rewind";
}

// Part of a mapping unmapped by the domain and mapped again by root: the
// rewind unmaps the domain's pieces and leaves root's page alone.
TEST_F(Confinement, ARewindUnmapsOnlyWhatTheDomainStillHolds) {
  int64_t h = domain("conf.maps.split");
  InDomain<MapB> d(h);
  d.b->err = 0;
  ASSERT_EQ(d.run([](MapB *b) {
    long r = raw_mmap(0, 3 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS);
    b->addr[0] = (uintptr_t)r;
    if (r < 0 && r > -4096) return;
    b->err = raw1(SYS_munmap, r + 4096, 4096, 0);  // the middle page: two pieces left
  }), 0);
  uintptr_t p = d.b->addr[0];
  ASSERT_EQ(d.b->err, 0);
  void *root = mmap((void *)(p + 4096), 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE,
                    -1, 0);
  ASSERT_EQ(root, (void *)(p + 4096));
  *(volatile int *)root = 42;
  ASSERT_EQ(d.run(fault_now), SDRAD_FAULT_ILL);
  EXPECT_FALSE(page_mapped(p));
  EXPECT_FALSE(page_mapped(p + 2 * 4096));
  ASSERT_TRUE(page_mapped(p + 4096)) << "root's page in the hole was unmapped with the domain's";
  EXPECT_EQ(*(volatile int *)root, 42);
  munmap(root, 4096);
}

// Beyond the bound (Instance::kMaxMaps mappings, 1 GiB) the domain's mmap
// fails with ENOMEM; the domain and the process go on.
TEST_F(Confinement, DomainMappingsBeyondTheBoundGetEnomem) {
  int64_t h = domain("conf.maps.bound");
  InDomain<MapB> d(h);
  d.b->err = 0;
  d.b->n = 0;
  ASSERT_EQ(d.run([](MapB *b) {
    long r = raw_mmap(0, 1L << 31, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE);
    b->err = r < 0 && r > -4096 ? -r : 0;
  }), 0);
  EXPECT_EQ(d.b->err, ENOMEM) << "2 GiB in one mapping";
  d.b->err = 0;
  ASSERT_EQ(d.run([](MapB *b) {
    for (int i = 0; i < 1000; i++) {
      long r = raw_mmap(0, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS);
      if (r < 0 && r > -4096) {
        b->err = -r;
        return;
      }
      b->n++;
    }
  }), 0);
  EXPECT_EQ(d.b->n, sdrad::Instance::kMaxMaps);
  EXPECT_EQ(d.b->err, ENOMEM);
  ASSERT_EQ(d.run(fault_now), SDRAD_FAULT_ILL);  // releases all of them
  InDomain<MapB> again(h);
  again.b->err = 0;
  ASSERT_EQ(again.run([](MapB *b) {
    long r = raw_mmap(0, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS);
    b->err = r < 0 && r > -4096 ? -r : 0;
  }), 0);
  EXPECT_EQ(again.b->err, 0) << "after the rewind the bound starts again";
}

// munmap and mremap outside the slot act on exactly the domain's mappings.
TEST_F(Confinement, DomainRemapsItsOwnMappingButUnmapsNoOther) {
  void *root = mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  ASSERT_NE(root, MAP_FAILED);
  int64_t h = domain("conf.maps.remap");
  InDomain<MapB> d(h);
  d.b->err = -1;
  d.b->addr[1] = (uintptr_t)root;
  ASSERT_EQ(d.run([](MapB *b) {
    long r = raw_mmap(0, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS);
    if (r < 0 && r > -4096) return;
    *(volatile char *)r = 7;
    long a[6] = {r, 4096, 16 * 4096, MREMAP_MAYMOVE, 0, 0};
    long m = raw6(SYS_mremap, a);
    if (m < 0 && m > -4096) return;
    *(volatile char *)(m + 15 * 4096) = 1;
    b->addr[0] = (uintptr_t)m;
    b->err = *(volatile char *)m == 7 ? 0 : -2;
  }), 0);
  EXPECT_EQ(d.b->err, 0);
  uintptr_t m = d.b->addr[0];
  EXPECT_TRUE(page_mapped(m + 15 * 4096));
  EXPECT_EQ(d.run([](MapB *b) { raw1(SYS_munmap, (long)b->addr[1], 4096, 0); }), SDRAD_FAULT_SYSCALL);
  EXPECT_TRUE(page_mapped((uintptr_t)root));
  EXPECT_FALSE(page_mapped(m)) << "the rewind after the refused munmap releases the remapped mapping";
  munmap(root, 4096);
}

// --- Descriptors: a domain closes only what it opened -------------------
namespace {
struct FdB {
  long fd, r, r2;
};
void close_fd(FdB *b) { b->r = raw1(SYS_close, b->fd, 0, 0); }
void open_then_close_twice(FdB *b) {
  b->fd = raw1(SYS_openat, AT_FDCWD, (long)"/dev/null", O_RDONLY);
  if (b->fd < 0) return;
  b->r = raw1(SYS_close, b->fd, 0, 0);
  b->r2 = raw1(SYS_close, b->fd, 0, 0);
}
void open_only(FdB *b) { b->fd = raw1(SYS_openat, AT_FDCWD, (long)"/dev/null", O_RDONLY); }
}  // namespace

TEST_F(Confinement, DomainCannotCloseRootsDescriptor) {
  int fd = open("/dev/null", O_RDONLY);
  ASSERT_GE(fd, 0);
  int64_t h = domain("conf.fd.root");
  InDomain<FdB> d(h);
  d.b->fd = fd;
  d.b->r = 1;
  EXPECT_EQ(d.run(close_fd), SDRAD_FAULT_SYSCALL);
  sdrad_fault f;
  ASSERT_TRUE(sdrad_last_fault(&f));
  EXPECT_EQ(f.addr, (uintptr_t)SYS_close);
  EXPECT_GE(fcntl(fd, F_GETFD), 0) << "root's descriptor was closed by the domain";
  close(fd);
}

TEST_F(Confinement, DomainUnderEpermCannotCloseRootsDescriptor) {
  int fd = open("/dev/null", O_RDONLY);
  ASSERT_GE(fd, 0);
  int64_t h = domain("conf.fd.root.eperm", SDRAD_POLICY_INTEGRITY | SDRAD_POLICY_SYSCALLS_EPERM);
  InDomain<FdB> d(h);
  d.b->fd = fd;
  ASSERT_EQ(d.run(close_fd), 0);
  EXPECT_EQ(d.b->r, -EPERM);
  EXPECT_GE(fcntl(fd, F_GETFD), 0) << "root's descriptor was closed by the domain";
  close(fd);
}

TEST_F(Confinement, DomainClosesWhatItOpened) {
  int64_t h = domain("conf.fd.own");
  InDomain<FdB> d(h);
  ASSERT_EQ(d.run(open_then_close_twice), 0);
  EXPECT_GE(d.b->fd, 0);
  EXPECT_EQ(d.b->r, 0);
  EXPECT_EQ(d.b->r2, -EBADF) << "closed already: not open, nothing to refuse";
}

// A number the domain opened, closed by root and reused for root's own
// file, is root's now: the domain's close of it is refused.
TEST_F(Confinement, DomainCannotCloseANumberRootReused) {
  int64_t h = domain("conf.fd.reused");
  InDomain<FdB> d(h);
  ASSERT_EQ(d.run(open_only), 0);
  int fd = (int)d.b->fd;
  ASSERT_GE(fd, 0);
  ASSERT_EQ(close(fd), 0);
  int mine = open("/dev/zero", O_RDONLY);
  if (mine != fd) {
    if (mine >= 0) close(mine);
    GTEST_SKIP() << "root's open did not reuse the number " << fd;
  }
  EXPECT_EQ(d.run(close_fd), SDRAD_FAULT_SYSCALL);
  EXPECT_GE(fcntl(mine, F_GETFD), 0) << "root's descriptor was closed by the domain";
  close(mine);
}

TEST_F(Confinement, ARewindClosesTheDomainsDescriptors) {
  int64_t h = domain("conf.fd.rewind");
  long fd;
  {
    InDomain<FdB> d(h);
    ASSERT_EQ(d.run(open_only), 0);
    fd = d.b->fd;
  }
  ASSERT_GE(fd, 0);
  ASSERT_GE(fcntl((int)fd, F_GETFD), 0);
  int before = fd_count();
  for (int i = 0; i < 50; i++) {
    InDomain<FdB> e(h);
    ASSERT_EQ(e.run(open_only), 0);
    ASSERT_EQ(e.run([](FdB *) { __builtin_trap(); }), SDRAD_FAULT_ILL);
  }
  EXPECT_LT(fcntl((int)fd, F_GETFD), 0) << "the domain's descriptor outlived its rewind";
  EXPECT_EQ(fd_count(), before - 1);
}

// dup2/dup3 onto a number and close_range could also take one of root's
// descriptors: refused like the other calls outside the policy.
INSTANTIATE_TEST_SUITE_P(Descriptors, ConfinementRefuses,
                         testing::Values(Refused{"dup2", SYS_dup2, {2, 1001}},
                                         Refused{"dup3", SYS_dup3, {2, 1002, 0}},
                                         Refused{"close_range", SYS_close_range, {1003, 1004, 0}}),
                         [](const testing::TestParamInfo<Refused> &i) { return std::string(i.param.name); });

// --- Windows the test hook cannot reach --------------------------------
// A compat rewind lands in sdrad_init's caller: here a confined native
// domain (the parent), whose selector pop_frame blocked.  A signal handled
// before the jump's WRPKRU leaves "allow"; the jump checks the selector
// after it (sdrad_jump_to_domain).  The function runs on the child's stack
// between sdrad_enter and the rewind: unoptimised, with a frame pointer.
namespace {
#if defined(__clang__)
#define SDRAD_TEST_UNOPTIMISED __attribute__((noinline, optnone))
#else
#define SDRAD_TEST_UNOPTIMISED __attribute__((noinline, optimize("O0")))
#endif
SDRAD_TEST_UNOPTIMISED long child_faults_then_parent_getpgrp(uint64_t udi) {
  int32_t err = sdrad_init(udi, SDRAD_EXECUTION_DOMAIN | SDRAD_NONISOLATED_DOMAIN);
  if (err == SDRAD_SUCCESSFUL_RETURNED) {
    sdrad_enter(udi);
    raw1(SYS_getpgrp, 0, 0, 0);  // refused in the child: rewinds to sdrad_init
    sdrad_exit();
    return -2;
  }
  if (err != (int32_t)udi) return -3;
  return raw1(SYS_getpgrp, 0, 0, 0);  // back in the parent: refused as well
}
void parent_of_compat_child(B *b) { b->r = child_faults_then_parent_getpgrp(151); }
}  // namespace

TEST_F(Confinement, SignalBeforeACompatRewindsJumpLeavesTheParentConfined) {
  if (!pku()) GTEST_SKIP() << "the jump window race needs protection keys (PKU lane)";
  int64_t h = domain("conf.jump-window");
  WindowRun r;
  ASSERT_NO_FATAL_FAILURE(
      run_with_window_signal(sdrad::ConfineWindow::Jump, [&] { return call(h, parent_of_compat_child); }, &r));
  EXPECT_EQ(r.signals, 1) << "the hook's signal was not handled before the rewind's jump";
  EXPECT_EQ(r.st, SDRAD_FAULT_SYSCALL) << "the parent's refused system call reached the kernel (selector on allow)";
  sdrad_fault f;
  ASSERT_TRUE(sdrad_last_fault(&f));
  EXPECT_EQ(f.addr, (uintptr_t)SYS_getpgrp);
  EXPECT_GE(r.resyncs, 1u) << "the jump's drop did not find the selector on allow";
}

// The call fast path (__sdrad_call_with, switch.S) blocks the selector and
// then drops into the domain, checking it.  No test hook there (the fast
// path's instruction count): a hardware breakpoint on the instruction
// before the drop (sdrad_fast_path_drop, perf_event_open) sends a program
// signal exactly in the window, once.
namespace {
uintptr_t fast_path_enter_call() { return (uintptr_t)sdrad::sdrad_fast_path_drop; }
// A breakpoint at `addr` that sends `sig` to this thread once; -1 if the
// kernel refuses (no perf events, or not allowed).
int breakpoint_signal_once(uintptr_t addr, int sig) {
  struct perf_event_attr a;
  memset(&a, 0, sizeof a);
  a.type = PERF_TYPE_BREAKPOINT;
  a.size = sizeof a;
  a.bp_type = HW_BREAKPOINT_X;
  a.bp_addr = addr;
  a.bp_len = sizeof(long);
  a.sample_period = 1;
  a.wakeup_events = 1;
  a.disabled = 1;
  a.exclude_kernel = 1;
  a.exclude_hv = 1;
  int fd = (int)syscall(SYS_perf_event_open, &a, 0, -1, -1, 0);
  if (fd < 0) return -1;
  struct f_owner_ex owner = {F_OWNER_TID, (pid_t)syscall(SYS_gettid)};
  if (fcntl(fd, F_SETFL, O_ASYNC) != 0 || fcntl(fd, F_SETSIG, sig) != 0 || fcntl(fd, F_SETOWN_EX, &owner) != 0 ||
      ioctl(fd, PERF_EVENT_IOC_REFRESH, 1) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}
void getpgrp_entry(void *blk) { getpgrp_in_domain((B *)blk); }
void noop_entry(void *blk) { noop((B *)blk); }
}  // namespace

TEST_F(Confinement, SignalInTheFastPathsEntryWindowLeavesTheDomainConfined) {
  if (sdrad::g_shared.confine != sdrad::kConfineAlwaysOn)
    GTEST_SKIP() << "per-call: a confined call turns dispatch on (a prctl), which the fast path leaves to C++";
  uintptr_t at = fast_path_enter_call();
  ASSERT_NE(at, 0u);
  int64_t h = domain("conf.fast-window");
  B blk{0};
  // The instance exists, dispatch is on and its heap limit open: the next
  // call takes the fast path.
  ASSERT_EQ(__sdrad_call_with(h, noop_entry, &blk, sizeof blk), 0);
  ASSERT_EQ(__sdrad_call_with(h, noop_entry, &blk, sizeof blk), 0);
  struct sigaction sa, old;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_usr1_in_window;
  ASSERT_EQ(sigaction(SIGUSR1, &sa, &old), 0);
  uint64_t resyncs = sdrad::g_sud_resyncs.load();
  long signals = g_window_signals.load();
  int fd = breakpoint_signal_once(at, SIGUSR1);
  if (fd < 0) {
    sigaction(SIGUSR1, &old, nullptr);
    GTEST_SKIP() << "no hardware breakpoint (perf_event_open: " << strerror(errno) << ")";
  }
  int32_t st = __sdrad_call_with(h, getpgrp_entry, &blk, sizeof blk);
  close(fd);
  sigaction(SIGUSR1, &old, nullptr);
  EXPECT_EQ(g_window_signals.load() - signals, 1) << "the breakpoint's signal was not handled in the fast path";
  EXPECT_EQ(st, SDRAD_FAULT_SYSCALL) << "the domain's refused system call reached the kernel (selector on allow)";
  if (pku()) {
    EXPECT_GE(sdrad::g_sud_resyncs.load() - resyncs, 1u) << "the drop did not find the selector on allow";
  }
}
