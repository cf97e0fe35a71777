// A fault outside every domain behaves exactly as without the runtime.
#include <setjmp.h>
#include <signal.h>
#include <stdlib.h>

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
