// A program's signal handler is root code: an isolated call it makes while
// the thread is inside a domain is root's call, and the interrupted call
// goes on as it was (signals.cpp: the thread's call state is parked while
// the handler runs).  Row rt10_signal_storm_handler_calls_other_domain
// does the same under a timer storm; these are the deterministic cases: the
// domain raises the signal itself (its system calls are not confined).
#include <setjmp.h>
#include <signal.h>
#include <string.h>

#include "test_util.h"

using namespace sdrad_test;

namespace {
struct Inner {
  int in, out;
};
void twice(void *p) {
  auto *b = (Inner *)p;
  b->out = 2 * b->in;
}
void aborts(void *) { abort(); }

int64_t g_target;                 // the domain the handler calls
void (*g_target_entry)(void *);   // ... and what it runs there
int32_t g_handler_status;
int g_handler_out;
int g_handler_depth;
void on_usr1(int) {
  Inner b{21, 0};
  g_handler_depth = sdrad_depth();
  g_handler_status = __sdrad_call_with(g_target, g_target_entry, &b, sizeof b);
  g_handler_out = b.out;
}

struct Outer {
  int before, after;
};
// The interrupted domain: raises the signal, then finishes its own work.
void raise_then_work(Outer *b) {
  b->before = 1;
  raise(SIGUSR1);
  b->after = b->before + 41;
}

struct Handler {
  struct sigaction old;
  Handler() {
    struct sigaction sa {};
    sa.sa_handler = on_usr1;
    sigaction(SIGUSR1, &sa, &old);
    g_handler_status = -1;
    g_handler_out = 0;
    g_handler_depth = -1;
  }
  ~Handler() { sigaction(SIGUSR1, &old, nullptr); }
};

bool usr1_blocked() {
  sigset_t now;
  sigprocmask(SIG_BLOCK, nullptr, &now);
  return sigismember(&now, SIGUSR1);
}
}  // namespace

// The handler, interrupting domain `interrupted`, calls domain `target` as
// root; the interrupted call goes on.
static void expect_handler_call_is_roots(const char *target, const char *interrupted) {
  Handler h;
  g_target = domain(target);
  g_target_entry = twice;
  InDomain<Outer> d(domain(interrupted, SDRAD_POLICY_SYSCALLS_ANY));
  ASSERT_EQ(d.run(raise_then_work), 0);  // not discarded
  EXPECT_EQ(d.b->after, 42);
  EXPECT_EQ(g_handler_depth, 0);         // root, for the handler
  EXPECT_EQ(g_handler_status, 0);
  EXPECT_EQ(g_handler_out, 42);
  EXPECT_FALSE(usr1_blocked());
  EXPECT_EQ(sdrad_depth(), 0);
}

TEST(SignalHandlerCall, HandlerInterruptingADomainCallsAnotherDomainAsRoot) {
  expect_handler_call_is_roots("sighandler.other", "sighandler.interrupted");
}

TEST(SignalHandlerCall, FaultInTheHandlersCallLeavesTheInterruptedCall) {
  Handler h;
  g_target = domain("sighandler.faulting");
  g_target_entry = aborts;
  InDomain<Outer> d(domain("sighandler.interrupted2", SDRAD_POLICY_SYSCALLS_ANY));
  ASSERT_EQ(d.run(raise_then_work), 0);
  EXPECT_EQ(d.b->after, 42);
  EXPECT_EQ(g_handler_status, SDRAD_FAULT_ABORT);
  EXPECT_FALSE(usr1_blocked());
}

TEST(SignalHandlerCall, HandlerCallIntoTheInterruptedDomainIsRefusedAsNesting) {
  Handler h;
  int64_t self = domain("sighandler.self", SDRAD_POLICY_SYSCALLS_ANY);
  g_target = self;
  g_target_entry = twice;
  InDomain<Outer> d(self);
  ASSERT_EQ(d.run(raise_then_work), 0);
  EXPECT_EQ(d.b->after, 42);
  EXPECT_EQ(g_handler_status, SDRAD_E_NESTING);
  EXPECT_FALSE(usr1_blocked());
}

// The interrupted domain's rights after a program's handler returns: the
// PKRU the signal interrupted, also with confinement off (ctest
// unit.signal_handler_call.unconfined).  The handler's return once put back
// a stale record there (PKRU 0: root's rights for the rest of the call).
namespace {
struct Rights {
  uint32_t before, after;
};
uint32_t rdpkru() {
  uint32_t eax, edx;
  __asm__ volatile(".byte 0x0f,0x01,0xee" : "=a"(eax), "=d"(edx) : "c"(0));
  return eax;
}
void rights_around_a_handler(Rights *b) {
  b->before = rdpkru();
  raise(SIGUSR1);
  b->after = rdpkru();
}
void on_usr1_quiet(int) {}
}  // namespace

TEST(SignalHandlerCall, TheInterruptedDomainKeepsItsRightsAfterTheHandler) {
  if (!pku()) GTEST_SKIP() << "needs protection keys (backend is " << sdrad_backend_name() << ")";
  struct sigaction sa {}, old;
  sa.sa_handler = on_usr1_quiet;
  sigaction(SIGUSR1, &sa, &old);
  InDomain<Rights> d(domain("sighandler.rights", SDRAD_POLICY_SYSCALLS_ANY));
  EXPECT_EQ(d.run(rights_around_a_handler), 0);
  sigaction(SIGUSR1, &old, nullptr);
  EXPECT_NE(d.b->before, 0u);
  EXPECT_EQ(d.b->after, d.b->before);
}

// A handler that interrupted a domain and leaves by siglongjmp never
// returns to have the thread's call state put back: the interrupted call
// is abandoned.  Its park slot (64 in the pool) and its instance must not
// stay taken: the next call into the instance works, and after more jumps
// than there are slots a handler's call is still root's.
namespace {
sigjmp_buf g_jump_out;
int g_jumps;
void on_usr1_jumps_out(int) {
  ++g_jumps;
  siglongjmp(g_jump_out, 1);
}
void raises(void *) { raise(SIGUSR1); }
}  // namespace

TEST(SignalHandlerCall, HandlersLeftBySiglongjmpDoNotUseUpTheParkSlots) {
  struct sigaction sa {}, old {};
  sa.sa_handler = on_usr1_jumps_out;
  sigaction(SIGUSR1, &sa, &old);
  int64_t jumpy = domain("sighandler.longjmp", SDRAD_POLICY_SYSCALLS_ANY);
  constexpr int kRounds = 70;  // more than the 64 slots
  g_jumps = 0;
  int refused = 0;
  for (int i = 0; i < kRounds; ++i) {
    long blk = 0;
    if (sigsetjmp(g_jump_out, 1) == 0) {
      int32_t st = __sdrad_call_with(jumpy, raises, &blk, sizeof blk);
      if (st != 0) ++refused;  // the call never got in: no jump
    }
    ASSERT_EQ(sdrad_depth(), 0);
  }
  sigaction(SIGUSR1, &old, nullptr);
  EXPECT_EQ(refused, 0);
  EXPECT_EQ(g_jumps, kRounds);
  // The abandoned instance is usable again.
  Inner b{4, 0};
  EXPECT_EQ(__sdrad_call_with(jumpy, twice, &b, sizeof b), 0);
  EXPECT_EQ(b.out, 8);
  // A handler that returns is still parked: its call is root's.
  expect_handler_call_is_roots("sighandler.after_jumps", "sighandler.after_jumps.interrupted");
}
