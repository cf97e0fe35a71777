// A fault outside every domain behaves exactly as without the runtime.
#include <setjmp.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "internal.h"
#include "test_util.h"

using namespace sdrad_test;

TEST(RootFaultDeathTest, SegfaultStillKillsWithSigsegv) {
  EXPECT_EXIT(*(volatile int *)nullptr = 1, testing::KilledBySignal(SIGSEGV), "");
}

TEST(RootFaultDeathTest, AbortStillKillsWithSigabrt) {
  EXPECT_EXIT(abort(), testing::KilledBySignal(SIGABRT), "");
}

TEST(RootFaultDeathTest, DivisionByZeroStillKillsWithSigfpe) {
  static volatile int zero = 0;
  EXPECT_EXIT(sdrad_test::opaque(7 / zero), testing::KilledBySignal(SIGFPE), "");
}

TEST(RootFaultDeathTest, TrapStillKillsWithSigtrap) {
  EXPECT_EXIT(__asm__ volatile("int3"), testing::KilledBySignal(SIGTRAP), "");
}

TEST(RootFaultDeathTest, SegfaultAfterDomainUseStillKills) {
  int64_t h = domain("rootfault.after");
  InDomain<int> d(h);
  ASSERT_EQ(d.run([](int *) { abort(); }), SDRAD_FAULT_ABORT);
  EXPECT_EXIT(*(volatile int *)nullptr = 1, testing::KilledBySignal(SIGSEGV), "");
}

namespace {
volatile sig_atomic_t g_seen = 0;
void program_handler(int) { g_seen = 1; }
}  // namespace

TEST(RootFault, ProgramHandlersForOtherSignalsStillRun) {
  signal(SIGUSR1, program_handler);
  raise(SIGUSR1);
  EXPECT_EQ(g_seen, 1);
  signal(SIGUSR1, SIG_DFL);
}

TEST(RootFaultDeathTest, DoubleFreeInRootAborts) {
  EXPECT_DEATH(
      {
        void *p = opaque(malloc(16));
        void *q = opaque(malloc(16));  // keeps p from merging into the top
        free(p);
        free(opaque(p));
        free(q);
      },
      "double free");
}

namespace {
sigjmp_buf g_escape;
volatile sig_atomic_t g_program_segv = 0;
void program_segv_handler(int) {
  g_program_segv = 1;
  siglongjmp(g_escape, 1);
}
}  // namespace

TEST(RootFault, ProgramSegvHandlerIsChainedAndRecoveryStaysOn) {
  struct sigaction mine {}, old{};
  mine.sa_handler = program_segv_handler;
  sigemptyset(&mine.sa_mask);
  ASSERT_EQ(sigaction(SIGSEGV, &mine, &old), 0);
  // A root fault reaches the program's handler...
  if (sigsetjmp(g_escape, 1) == 0) *sdrad_test::opaque((volatile int *)nullptr) = 1;
  EXPECT_EQ(g_program_segv, 1);
  // ...and a domain fault is still rewound by the runtime.
  g_program_segv = 0;
  int64_t h = domain("rootfault.chain");
  InDomain<int> d(h);
  EXPECT_EQ(d.run([](int *) { *(volatile int *)nullptr = 1; }), SDRAD_FAULT_SEGV);
  EXPECT_EQ(g_program_segv, 0);
  struct sigaction back {};
  ASSERT_EQ(sigaction(SIGSEGV, &old, &back), 0);
  EXPECT_EQ(back.sa_handler, program_segv_handler) << "sigaction reports the program's handler";
}

// A program's handler that leaves by siglongjmp gives back the signal
// level the runtime's handler took (longjmp.cpp, signals.cpp
// signal_handlers_left_by_jump).  Kept, the levels made the next handlers
// unrecorded after 8 (no PKRU check on their way out, no libc-key write
// grant) and, without PKU, deferred every timeout of the thread's domains.
namespace {
uint32_t signal_levels() { return sdrad::thread_state()->sig_depth; }
}  // namespace

TEST(RootFault, AHandlerLeftBySiglongjmpGivesItsSignalLevelBack) {
  (void)domain("rootfault.levels");  // the runtime and this thread's state are up
  ASSERT_EQ(signal_levels(), 0u);
  handlers_left_by_jump(SIGSEGV, 12);
  EXPECT_EQ(signal_levels(), 0u) << "root faults chained to the program's handler";
  handlers_left_by_jump(SIGUSR1, 12);
  EXPECT_EQ(signal_levels(), 0u) << "a program's handler of another signal";
  handlers_left_by_jump(SIGUSR1, 12, SA_ONSTACK);
  EXPECT_EQ(signal_levels(), 0u) << "... on the alternate stack";
}

TEST(RootFault, ADomainStillTimesOutAfterRootFaultHandlersLeftBySiglongjmp) {
  int64_t h = domain("rootfault.timeout");
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    alarm(10);  // a timeout deferred for ever ends the child here
    handlers_left_by_jump(SIGSEGV, 3);
    if (sdrad_set_timeout(h, 50) != 0) _exit(5);
    InDomain<int> d(h);
    int st = d.run([](int *) {
      for (volatile int spin = 1; spin;) {
      }
    });
    _exit(st == SDRAD_FAULT_TIMEOUT ? 0 : 3);
  }
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status)) << "the domain's call never timed out (signal " << WTERMSIG(status) << ")";
  EXPECT_EQ(WEXITSTATUS(status), 0);
}
