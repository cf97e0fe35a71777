// An exception or a thread exit that leaves a program's signal handler
// (signals.cpp, handler_fence.S).  A handler that interrupted an isolated
// call is root code on top of the domain's frames: an unwind out of it
// would walk on into those frames, read from the domain's stack, and run
// the landing pads it names with root's rights.  The runtime stops it at
// the handler's edge and ends the process with a message; a cancellation
// that comes then waits for the handler.  A handler that interrupted root
// code is not affected.  Each test runs in a child.
#include <pthread.h>
#include <stdlib.h>
#include <signal.h>
#include <unistd.h>

#include <stdexcept>
#include <string>

#include "test_util.h"

using namespace sdrad_test;

namespace {
int64_t g_dom;
// [0] the call returned, [1] a domain landing pad ran, [2] root caught or
// cleaned up, [3] about to enter, [4] in the handler, [5] the handler may return
volatile int *g_shared;
pthread_t g_target;
// Shared-heap memory: the domain says it runs.  The pointer is volatile:
// clang's GlobalOpt otherwise turns the one malloc stored in an internal
// global into a static variable (root memory) - docs/libraries.md.
volatile int *volatile g_inside;

// Memory a domain may write, from root's shared heap (in each child).
void make_inside_flag() {
  int was = sdrad_shared_allocations(1);
  g_inside = (volatile int *)malloc(sizeof(int));
  sdrad_shared_allocations(was);
  *g_inside = 0;
}

[[gnu::noinline]] void spin() {
  for (volatile int s = 1; s;) {
  }
}

// A domain's frame with a landing pad: its destructor writes root memory
// (under PKU it can only with root's rights).
struct MarksWhenDestroyed {
  ~MarksWhenDestroyed() { g_shared[1] = 1; }
};
void spins_with_a_cleanup(void *) {
  MarksWhenDestroyed m;
  *g_inside = 1;
  spin();
}

void throws(int) { throw std::runtime_error("from a signal handler"); }
void exits(int) { pthread_exit(nullptr); }

void *signaller(void *) {
  while (!*g_inside) usleep(1000);
  usleep(5 * 1000);  // in spin()
  pthread_kill(g_target, SIGUSR1);
  return nullptr;
}

void install(void (*h)(int)) {
  struct sigaction sa {};
  sa.sa_handler = h;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGUSR1, &sa, nullptr);
}

int call_then_catch() {
  g_shared[3] = 1;  // about to enter
  try {
    __sdrad_call_with(g_dom, spins_with_a_cleanup, nullptr, 0);
    g_shared[0] = 1;
  } catch (...) {
    g_shared[2] = 1;
  }
  return 0;
}

void *worker(void *) {
  call_then_catch();
  return nullptr;
}

// In a child: a call into g_dom from the main thread or from a worker,
// and a signaller thread that sends it SIGUSR1 (`handler`) once inside.
struct Outcome {
  int exit_code = -1, signal = 0, returned = 0, pad_ran = 0, root_caught = 0;
  std::string err;  // the child's standard error
};
constexpr const char *kStopped = "left a signal handler that had interrupted an isolated call";
Outcome in_child(void (*handler)(int), bool on_worker) {
  g_shared = shared_page();
  ChildEnd e = run_in_child(
      [=] {
        make_inside_flag();
        install(handler);
        pthread_t s, w;
        if (on_worker) {
          pthread_create(&w, nullptr, worker, nullptr);
          g_target = w;
          pthread_create(&s, nullptr, signaller, nullptr);
          pthread_join(w, nullptr);
          return 0;
        }
        g_target = pthread_self();
        pthread_create(&s, nullptr, signaller, nullptr);
        return call_then_catch();
      },
      true);
  Outcome o;
  o.exit_code = e.exit_code;
  o.signal = e.signal;
  o.err = e.err;
  o.returned = g_shared[0];
  o.pad_ran = g_shared[1];
  o.root_caught = g_shared[2];
  return o;
}
}  // namespace

TEST(HandlerUnwind, AnExceptionOutOfAHandlerThatInterruptedADomainEndsTheProcess) {
  g_dom = domain("handler_unwind.throw");
  Outcome o = in_child(throws, false);
  EXPECT_EQ(o.pad_ran, 0) << "the unwind ran the domain's landing pad";
  EXPECT_EQ(o.returned, 0) << "the call returned as if the domain had thrown";
  EXPECT_EQ(o.root_caught, 0) << "root caught it: the unwind went through the domain's frames";
  EXPECT_EQ(o.signal, 0);
  EXPECT_EQ(o.exit_code, 70) << "not ended by the runtime (EX_SOFTWARE)";
  EXPECT_NE(o.err.find(kStopped), std::string::npos) << o.err;
}

TEST(HandlerUnwind, AThreadExitOutOfAHandlerThatInterruptedADomainEndsTheProcess) {
  g_dom = domain("handler_unwind.exit");
  Outcome o = in_child(exits, true);
  EXPECT_EQ(o.pad_ran, 0) << "the forced unwind ran the domain's landing pad";
  EXPECT_EQ(o.returned, 0);
  EXPECT_EQ(o.signal, 0);
  EXPECT_EQ(o.exit_code, 70) << "not ended by the runtime (EX_SOFTWARE)";
  EXPECT_NE(o.err.find(kStopped), std::string::npos) << o.err;
}

namespace {
void *root_spins(void *) {
  *g_inside = 1;
  spin();
  return nullptr;
}
}  // namespace

// Not the runtime's to stop: the handler's frames sit on root's.
TEST(HandlerUnwind, APthreadExitOutOfAHandlerThatInterruptedRootEndsTheThread) {
  domain("handler_unwind.root");  // the runtime in use
  g_shared = shared_page();
  ChildEnd e = run_in_child([] {
    make_inside_flag();
    install(exits);
    pthread_t w, s;
    pthread_create(&w, nullptr, root_spins, nullptr);
    g_target = w;
    pthread_create(&s, nullptr, signaller, nullptr);
    void *r = (void *)1;
    pthread_join(w, &r);
    return r == nullptr ? 0 : 1;
  });
  EXPECT_EQ(e.signal, 0);
  EXPECT_EQ(e.exit_code, 0);
}

// A SIGCANCEL (asynchronous cancellation) that comes while a program's
// handler runs on top of a domain: glibc's handler would unwind from there
// into the domain's frames.  It waits for the handler to return, then acts
// as inside the domain (cancel.cpp): the calls are rewound, and the
// thread ends as cancelled from root's frames.
namespace {
void waits_in_handler(int) {
  g_shared[4] = 1;
  while (!g_shared[5]) {
  }
}
void root_cleanup(void *) { g_shared[2] = 1; }
void *cancellable_worker(void *) {
  pthread_setcanceltype(PTHREAD_CANCEL_ASYNCHRONOUS, nullptr);
  pthread_cleanup_push(root_cleanup, nullptr);
  g_shared[3] = 1;
  __sdrad_call_with(g_dom, spins_with_a_cleanup, nullptr, 0);
  g_shared[0] = 1;  // the call returned
  pthread_cleanup_pop(0);
  return nullptr;
}
}  // namespace

TEST(HandlerUnwind, ACancellationWhileAHandlerRunsOnTopOfADomainWaitsForTheHandler) {
  g_dom = domain("handler_unwind.cancel");
  g_shared = shared_page();
  ChildEnd e = run_in_child([] {
    make_inside_flag();
    install(waits_in_handler);
    pthread_t w;
    pthread_create(&w, nullptr, cancellable_worker, nullptr);
    while (!*g_inside) usleep(1000);
    usleep(5 * 1000);  // in spin()
    pthread_kill(w, SIGUSR1);
    while (!g_shared[4]) usleep(1000);
    if (pthread_cancel(w) != 0) return 11;
    usleep(50 * 1000);  // SIGCANCEL delivered while the handler waits
    g_shared[5] = 1;
    void *r = nullptr;
    if (pthread_join(w, &r) != 0) return 12;
    if (r != PTHREAD_CANCELED) return 13;
    if (__sdrad_call_with(g_dom, [](void *) {}, nullptr, 0) != 0) return 14;
    return 0;
  });
  EXPECT_EQ(e.signal, 0) << "signal " << e.signal;
  EXPECT_EQ(e.exit_code, 0) << "11-14: cancel, join, not cancelled, later call; 70: the runtime ended it";
  EXPECT_EQ(g_shared[0], 0) << "the call returned to the worker";
  EXPECT_EQ(g_shared[1], 0) << "a domain landing pad ran";
  EXPECT_EQ(g_shared[2], 1) << "root's cleanup handler did not run";
}
