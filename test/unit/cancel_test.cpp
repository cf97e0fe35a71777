// Asynchronous cancellation (PTHREAD_CANCEL_ASYNCHRONOUS) of a thread while
// it runs inside a domain (cancel.cpp).  glibc's SIGCANCEL handler would
// start a forced unwind from the domain's interrupted frames with root's
// rights, running whatever landing pads the domain's stack names.  The
// runtime rewinds the thread's calls instead (fault kind "cancelled") and
// the cancellation acts from root's frames.  Each test runs in a child: a
// wrong unwind ends the process.
#include <pthread.h>
#include <unistd.h>

#include "test_util.h"

using namespace sdrad_test;

namespace {
int64_t g_outer, g_inner;
volatile int g_root_word;  // root memory: a domain's write is a key violation
volatile int *g_shared;    // the parent's view of what happened

[[gnu::noinline]] void spin() {
  for (volatile int s = 1; s;) {
  }
}

// A domain's frame with a landing pad: its destructor writes root memory.
struct WritesRootWhenDestroyed {
  ~WritesRootWhenDestroyed() {
    g_root_word = 1;
    g_shared[1] = 1;  // reached only if the write above was allowed
  }
};
void spins_with_a_cleanup(void *) {
  WritesRootWhenDestroyed w;
  spin();
}
void calls_inner(void *) {
  long blk = 0;  // from a domain a block is its own memory (nullptr is refused)
  __sdrad_call_with(g_inner, spins_with_a_cleanup, &blk, sizeof blk);
}

void root_cleanup(void *) { g_shared[2] = 1; }

void *worker(void *entry) {
  pthread_setcanceltype(PTHREAD_CANCEL_ASYNCHRONOUS, nullptr);
  pthread_cleanup_push(root_cleanup, nullptr);
  g_shared[3] = 1;  // about to enter
  g_shared[0] = __sdrad_call_with(g_outer, (void (*)(void *))entry, nullptr, 0) + 1000;
  pthread_cleanup_pop(0);
  return nullptr;
}

// In a child: a worker enters `entry` (in g_outer) and is cancelled.
// Exit 0: joined as cancelled.  g_shared: [0] the call's status + 1000 if
// it returned, [1] a domain landing pad wrote root memory, [2] root's
// cleanup handler ran, [3] the worker is about to enter the domain.
int cancel_inside(void (*entry)(void *)) {
  pthread_t t;
  if (pthread_create(&t, nullptr, worker, (void *)entry) != 0) return 10;
  while (!g_shared[3]) usleep(1000);
  usleep(50 * 1000);  // inside the domain by now
  if (pthread_cancel(t) != 0) return 11;
  void *r = nullptr;
  if (pthread_join(t, &r) != 0) return 12;
  if (r != PTHREAD_CANCELED) return 13;
  // The domains still serve calls.
  if (__sdrad_call_with(g_outer, [](void *) {}, nullptr, 0) != 0) return 14;
  return 0;
}

struct Outcome {
  int exit_code = -1, signal = 0, status_plus_1000 = 0, landing_pad_as_root = 0, root_cleanup = 0;
};
Outcome in_child(void (*entry)(void *)) {
  g_shared = shared_page();
  ChildEnd e = run_in_child([entry] { return cancel_inside(entry); });
  Outcome o;
  o.exit_code = e.exit_code;
  o.signal = e.signal;
  o.status_plus_1000 = g_shared[0];
  o.landing_pad_as_root = g_shared[1];
  o.root_cleanup = g_shared[2];
  return o;
}
}  // namespace

TEST(Cancel, AsynchronousCancellationInsideADomainCancelsTheThreadFromRoot) {
  g_outer = domain("cancel.outer");
  Outcome o = in_child(spins_with_a_cleanup);
  EXPECT_EQ(o.signal, 0) << "the process died";
  EXPECT_EQ(o.exit_code, 0) << "10-14: create, cancel, join, not cancelled, later call failed";
  EXPECT_EQ(o.status_plus_1000, 0) << "the call returned to the worker";
  EXPECT_EQ(o.root_cleanup, 1) << "root's cleanup handler did not run";
}

TEST(Cancel, TheCancellationNeverRunsADomainsLandingPadWithRootsRights) {
  if (!pku()) GTEST_SKIP() << "needs PKU: without it a domain's writes are not refused anyway";
  g_outer = domain("cancel.pad");
  Outcome o = in_child(spins_with_a_cleanup);
  EXPECT_EQ(o.landing_pad_as_root, 0) << "the domain's destructor wrote root memory during the cancellation";
  EXPECT_EQ(o.signal, 0) << "the process died";
}

TEST(Cancel, NestedCallsAreAllRewoundBeforeTheCancellationActs) {
  static const __sdrad_domain_ref inner{0, "cancel.nested.inner", SDRAD_POLICY_INTEGRITY, SDRAD_ABI_VERSION};
  static const __sdrad_entry entries[] = {{spins_with_a_cleanup, &inner}};
  ASSERT_EQ(__sdrad_register_entries(entries, 1), 0);  // a call from a domain names a registered entry
  g_outer = domain("cancel.nested.outer");
  g_inner = domain("cancel.nested.inner");
  Outcome o = in_child(calls_inner);
  EXPECT_EQ(o.signal, 0) << "the process died";
  EXPECT_EQ(o.exit_code, 0) << "10-14: create, cancel, join, not cancelled, later call failed";
  EXPECT_EQ(o.landing_pad_as_root, 0);
  EXPECT_EQ(o.root_cleanup, 1);
}
