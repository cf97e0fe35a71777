// Root's exit handlers are kept by the runtime (exit_handlers.cpp): a
// domain cannot add one that root runs at exit, nor rewrite one of glibc's
// frozen entries, and root's own registrations, made on any thread while a
// domain runs, still run at exit.  Each case runs in a child process whose
// exit status says what ran.
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <thread>

#include "internal.h"
#include "test_util.h"

using namespace sdrad_test;

namespace {

// The child's exit status (or -signal).
template <typename F>
int in_child(F body) {
  fflush(stdout);
  pid_t pid = fork();
  if (pid == 0) {
    body();
    exit(0);
  }
  int ws = 0;
  waitpid(pid, &ws, 0);
  return WIFEXITED(ws) ? WEXITSTATUS(ws) : -WTERMSIG(ws);
}

extern "C" __attribute__((noinline, used)) void exit_landing() { _exit(42); }

struct Reg {
  int result;
};
void register_in_domain(void *p) { ((Reg *)p)->result = atexit(exit_landing); }

uintptr_t mangled(uintptr_t fn) {
  uintptr_t guard;
  __asm__ volatile("movq %%fs:0x30, %0" : "=r"(guard));
  uintptr_t m = fn ^ guard;
  return (m << 0x11) | (m >> (64 - 0x11));
}
// Rewrites the frozen entry right under the runner (the runtime's marker)
// into an atexit-style call of exit_landing: not seen on return, put back
// by the runner at exit.
__attribute__((no_stack_protector)) void rewrite_entry_below_runner(void *) {
  auto *e = (uintptr_t *)sdrad::g_exit_guard.runner - 4;
  e[0] = 3;  // ef_at... flavor of an atexit handler taking no argument
  e[1] = mangled((uintptr_t)&exit_landing);
}

void spin(void *p) {
  auto *stop = (std::atomic<int> *)p;
  for (long i = 0; i < 400000000 && !stop->load(std::memory_order_relaxed); ++i) __builtin_ia32_pause();
}
void root_handler() { _exit(33); }

}  // namespace

TEST(ExitHandlers, AtexitInsideADomainIsRefusedAndDoesNotRunAtExit) {
  int code = in_child([] {
    Reg r{0};
    int32_t st = __sdrad_call_with(domain("exit.atexit"), register_in_domain, &r, sizeof r);
    if (st != 0 || r.result != -1) _exit(10 + (st != 0));
  });
  EXPECT_EQ(code, 0) << "42: the domain's handler ran at exit; 10: atexit was not refused; 11: the call faulted";
}

TEST(ExitHandlers, AnEntryRewrittenInPlaceByADomainIsPutBackBeforeExitRunsIt) {
  if (!sdrad::g_exit_guard.armed) GTEST_SKIP() << "exit-handler guard not armed";
  int code = in_child([] {
    int32_t st = __sdrad_call(domain("exit.rewrite"), rewrite_entry_below_runner, nullptr);
    if (st != 0) _exit(11);
  });
  EXPECT_EQ(code, 0) << "42: the rewritten entry ran at exit";
}

// A root thread registers a handler while a domain runs on another thread;
// the domain's return must not take it for the domain's.
TEST(ExitHandlers, RootHandlerRegisteredWhileADomainRunsOnAnotherThreadRunsAtExit) {
  int code = in_child([] {
    static std::atomic<int> stop{0};
    int32_t st = -1;
    std::thread t([&] { st = __sdrad_call(domain("exit.concurrent"), spin, &stop); });
    usleep(20000);
    if (atexit(root_handler) != 0) _exit(12);
    stop = 1;
    t.join();
    if (st != 0) _exit(11);
  });
  EXPECT_EQ(code, 33) << "root's handler did not run at exit (11: the call faulted, 12: atexit failed)";
}

// glibc counts its list down at exit: an isolated call made by a root exit
// handler then must not be taken for a domain that changed the list.
namespace {
void nothing(void *) {}
void handler_calls_a_domain() { _exit(__sdrad_call(domain("exit.inhandler"), nothing, nullptr) == 0 ? 21 : 22); }
}  // namespace

TEST(ExitHandlers, IsolatedCallFromARootExitHandlerReturnsNormally) {
  int code = in_child([] {
    if (atexit(handler_calls_a_domain) != 0) _exit(12);
  });
  EXPECT_EQ(code, 21) << "22: the call was a fault; 12: atexit failed";
}

// quick_exit's list (exit_handlers.cpp): root's at_quick_exit handlers are
// the runtime's, run newest first by quick_exit; a domain's is refused.
namespace {
int g_quick_order;
void quick_first() { _exit(g_quick_order * 10 + 1); }  // registered first: runs last
void quick_second() { g_quick_order = 2; }
void register_quick_in_domain(void *p) { ((Reg *)p)->result = at_quick_exit(exit_landing); }
}  // namespace

TEST(ExitHandlers, RootQuickExitHandlersRunNewestFirstAtQuickExit) {
  int code = in_child([] {
    if (at_quick_exit(quick_first) != 0 || at_quick_exit(quick_second) != 0) _exit(5);
    quick_exit(0);
  });
  EXPECT_EQ(code, 21) << "0: no handler ran; 1: the first ran without the second before it; 5: registration failed";
}

TEST(ExitHandlers, AtQuickExitInsideADomainIsRefusedAndDoesNotRunAtQuickExit) {
  int code = in_child([] {
    Reg r{0};
    int32_t st = __sdrad_call_with(domain("exit.at_quick_exit"), register_quick_in_domain, &r, sizeof r);
    if (st != 0 || r.result != -1) _exit(10 + (st != 0));
    quick_exit(0);
  });
  EXPECT_EQ(code, 0) << "42: the domain's handler ran at quick_exit; 10: at_quick_exit was not refused; 11: the call faulted";
}
