// Syscall confinement's modes (SDRAD_CONFINEMENT, syscall_confine.cpp):
// per-call (the default) turns Syscall User Dispatch off on the way back to
// root, so root's system calls never reach the dispatcher; always-on keeps
// it on.  Either way every system call of a confined domain is dispatched.
// These need Syscall User Dispatch, not protection keys; ctest runs them
// in both modes (test/unit/CMakeLists.txt).
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "internal.h"
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
