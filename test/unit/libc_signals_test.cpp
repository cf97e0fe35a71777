// glibc's own signals (SIGSETXID for setuid & co. in a threaded program,
// SIGCANCEL for pthread_cancel) run handlers glibc installed itself.  Under
// PKU the kernel starts them with only key 0 open; they read libc's data
// and the caller's root-keyed stack (signals.cpp,
// signals_wrap_libc_handlers).
#include <pthread.h>
#include <unistd.h>

#include <atomic>

#include "test_util.h"

using namespace sdrad_test;

namespace {
std::atomic<int> g_stop;
std::atomic<int> g_ready;

void *root_waits(void *) {
  g_ready = 1;
  while (!g_stop) usleep(1000);
  return nullptr;
}

struct Spin {
  volatile long n;
};
std::atomic<Spin *> g_spin;  // the domain's block, published by its root thread
void spins_until_stopped(Spin *b) {
  while (!g_stop) b->n++;  // root memory is read-only here: the block says it runs
}
void *domain_spins(void *p) {
  InDomain<Spin> d(*(int64_t *)p);
  g_spin = d.b;
  return (void *)(intptr_t)d.run(spins_until_stopped);
}
}  // namespace

// memcached -u: setuid() after the worker threads started.
TEST(LibcSignals, SetuidWithAnotherRootThreadRunning) {
  g_stop = 0, g_ready = 0;
  pthread_t t;
  ASSERT_EQ(pthread_create(&t, nullptr, root_waits, nullptr), 0);
  while (!g_ready) usleep(100);
  EXPECT_EQ(setgid(getgid()), 0);
  EXPECT_EQ(setuid(getuid()), 0);
  g_stop = 1;
  pthread_join(t, nullptr);
}

TEST(LibcSignals, SetuidWhileAnotherThreadIsInsideADomain) {
  int64_t h = domain("libcsig.spin");
  g_stop = 0, g_ready = 0;
  pthread_t t;
  g_spin = nullptr;
  ASSERT_EQ(pthread_create(&t, nullptr, domain_spins, &h), 0);
  while (!g_spin || !g_spin.load()->n) usleep(100);
  EXPECT_EQ(setuid(getuid()), 0);
  g_stop = 1;
  void *st = nullptr;
  pthread_join(t, &st);
  EXPECT_EQ((intptr_t)st, 0);  // the interrupted call went on
}

namespace {
void *root_sleeps(void *) {
  g_ready = 1;
  for (;;) pause();  // a cancellation point
  return nullptr;
}
}  // namespace

TEST(LibcSignals, PthreadCancelOfAThreadInACancellationPoint) {
  for (int i = 0; i < 3; ++i) {
    g_ready = 0;
    pthread_t t;
    ASSERT_EQ(pthread_create(&t, nullptr, root_sleeps, nullptr), 0);
    while (!g_ready) usleep(100);
    usleep(2000);  // in pause()
    EXPECT_EQ(pthread_cancel(t), 0);
    void *r = nullptr;
    EXPECT_EQ(pthread_join(t, &r), 0);
    EXPECT_EQ(r, PTHREAD_CANCELED);
  }
}

// A cancelled thread's exit seals its stack as any exit does (threads.cpp,
// sdrad_thread_call_start): in glibc's cache, its descriptor (whose stack
// bounds glibc's exit path and the cache trust) is root-keyed, so a domain
// cannot rewrite them before the stack is unmapped or reused.
namespace {
struct Target {
  volatile char *p;
};
void rewrites_target(Target *b) { *b->p = *b->p; }
}  // namespace

TEST(LibcSignals, ACancelledThreadsCachedStackIsSealed) {
  if (!pku()) GTEST_SKIP() << "needs protection keys (backend is " << sdrad_backend_name() << ")";
  int64_t h = domain("libcsig.stackwrite");
  for (int i = 0; i < 3; ++i) {
    // The instance first: its creation may start a runtime thread, which
    // glibc would give the cached stack (a live thread's top is key 0).
    InDomain<Target> d(h);
    g_ready = 0;
    pthread_t t;
    ASSERT_EQ(pthread_create(&t, nullptr, root_sleeps, nullptr), 0);
    while (!g_ready) usleep(100);
    usleep(2000);
    ASSERT_EQ(pthread_cancel(t), 0);
    ASSERT_EQ(pthread_join(t, nullptr), 0);
    d.b->p = (volatile char *)t;  // glibc's struct pthread, at the stack's top
    EXPECT_NE(d.run(rewrites_target), 0) << "round " << i << ": a domain wrote a cancelled thread's descriptor";
  }
}
