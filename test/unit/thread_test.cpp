// Threads: per-thread instances, concurrent faults recover on their own
// threads, and thread exit releases the thread's instances.
#include <pthread.h>
#include <signal.h>
#include <sys/wait.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <atomic>
#include <thread>
#include <vector>

#include "internal.h"
#include "test_util.h"

using namespace sdrad_test;

namespace {
struct B {
  int r;
  int crash;
  long x;
};
}  // namespace

TEST(Threads, ConcurrentFaultsRecoverOnTheirOwnThreads) {
  int64_t h = domain("threads.faults");
  std::atomic<bool> stop{false};
  std::atomic<long> computed{0};
  std::thread worker([&] {  // root work that must not be disturbed
    long acc = 0;
    do acc += 1;  // at least once: the calls below can all end before this thread first runs
    while (!stop);
    computed = acc;
  });
  std::atomic<int> bad{0}, faults{0}, oks{0};
  std::vector<std::thread> ts;
  for (int t = 0; t < 3; ++t)
    ts.emplace_back([&, t] {
      for (int i = 0; i < 300; ++i) {
        InDomain<B> d(h);
        d.b->crash = (i + t) % 2;
        d.b->x = i;
        int st = d.run([](B *b) {
          char *p = (char *)malloc(100);
          p[0] = (char)b->x;
          if (b->crash) *(volatile int *)nullptr = 1;
          b->r = (int)b->x * 2;
          free(p);
        });
        if (st == SDRAD_FAULT_SEGV) {
          faults++;
          if (last_fault_kind() != SDRAD_FAULT_SEGV) bad++;
        } else if (st == 0 && d.b->r == i * 2) {
          oks++;
        } else {
          bad++;
        }
        if (sdrad_depth() != 0) bad++;
      }
    });
  for (auto &t : ts) t.join();
  stop = true;
  worker.join();
  EXPECT_EQ(bad.load(), 0);
  EXPECT_EQ(faults.load(), 450);
  EXPECT_EQ(oks.load(), 450);
  EXPECT_GT(computed.load(), 0);
}

TEST(Threads, InstancesArePerThread) {
  int64_t h = domain("threads.perthread");
  void *main_ptr = nullptr;
  {
    InDomain<B> d(h);
    main_ptr = d.b;
  }
  void *other_ptr = nullptr;
  int other_owns_main = -1;
  std::thread t([&] {
    InDomain<B> d(h);
    other_ptr = d.b;
    other_owns_main = sdrad_owns(h, main_ptr);
  });
  t.join();
  EXPECT_NE(other_ptr, nullptr);
  EXPECT_FALSE(sdrad_owns(h, other_ptr)) << "another thread's instance is not this thread's";
  EXPECT_EQ(other_owns_main, 0);
}

TEST(Threads, ThreadExitReleasesInstances) {
  int64_t h = domain("threads.exit");
  auto rss_pages = [] {
    long size = 0, resident = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (fscanf(f, "%ld %ld", &size, &resident) != 2) resident = -1;
    fclose(f);
    return resident;
  };
  long before = rss_pages();
  ASSERT_GT(before, 0);
  int touched = 0;
  for (int i = 0; i < 40; ++i) {
    std::thread t([&] {
      InDomain<B> d(h);
      touched += d.run([](B *) {  // touch 1 MiB
        void *p = malloc(1 << 20);
        if (!p) abort();
        free(opaque(memset(p, 1, 1 << 20)));
      }) == 0;
    });
    t.join();
  }
  // Otherwise there is nothing to release and the test proves nothing.
  EXPECT_EQ(touched, 40) << "threads whose instance touched 1 MiB";
  long after = rss_pages();
  // 40 threads x 1 MiB would be 10240 pages if instances leaked.
  EXPECT_LT(after - before, 2048) << "resident pages grew by " << (after - before);
}

namespace {
struct Secret {
  char *where;
  int found;
};
}  // namespace

TEST(Threads, ExitedThreadsInstanceIsWipedAndReused) {
  int64_t h = domain("threads.reuse");
  char *where = nullptr;
  std::thread a([&] {
    InDomain<Secret> d(h);
    ASSERT_EQ(d.run([](Secret *s) {
                s->where = opaque((char *)malloc(4096));
                strcpy(s->where, "left behind by thread a");
              }),
              0);
    where = d.b->where;
  });
  a.join();
  int reused = -1, found = -1;
  std::thread b([&] {
    InDomain<Secret> d(h);
    reused = sdrad_owns(h, where);
    d.b->where = where;
    ASSERT_EQ(d.run([](Secret *s) { s->found = memmem(s->where, 4096, "left behind", 11) != nullptr; }), 0);
    found = d.b->found;
  });
  b.join();
  EXPECT_EQ(reused, 1) << "the new thread got the exited thread's instance";
  EXPECT_EQ(found, 0) << "and nothing of the old thread's data";
}

// Under PKU every thread's alternate signal stack is a block of the
// runtime's arena (signals.cpp: root-keyed handler half, key-0 frame half);
// a thread whose state was made before the arena existed got a plain key-0
// stack instead (session 8: a dlopen at start-up did that to the main
// thread, and its handlers ran where domains on other threads can write).
namespace {
extern "C" uintptr_t sdrad_alt_arena_base, sdrad_alt_arena_size;
bool altstack_in_arena() {
  stack_t ss{};
  if (sigaltstack(nullptr, &ss) != 0 || (ss.ss_flags & SS_DISABLE)) return false;
  return (uintptr_t)ss.ss_sp - sdrad_alt_arena_base < sdrad_alt_arena_size;
}
}  // namespace

TEST(Threads, MainAndWorkerThreadsHandleSignalsOnArenaStacksUnderPku) {
  if (!sdrad::g_shared.pku) GTEST_SKIP() << "the arena exists under PKU only";
  sdrad_depth();  // the main thread's state exists
  EXPECT_TRUE(altstack_in_arena()) << "the main thread's alternate stack is not an arena block";
  bool worker = false;
  std::thread t([&] {
    sdrad_depth();
    worker = altstack_in_arena();
  });
  t.join();
  EXPECT_TRUE(worker) << "a worker thread's alternate stack is not an arena block";
}

// fork's child: the stacks of the threads that ran at the fork go to
// glibc's cache as the runtime tagged them, split in two kernel mappings
// that never merge again in the child.  A thread the child starts on one
// of them was left unprotected ("not a page-aligned block inside its
// mapping"): its root frames writable by domains (threads.cpp,
// thread_stack_seal_gone and forked_block_known).
namespace {
std::atomic<int> g_fork_hold{1}, g_fork_running{0};
void *held_at_fork(void *) {
  ++g_fork_running;
  while (g_fork_hold.load()) usleep(1000);
  return nullptr;
}
void *reports_its_stack_tagged(void *) {
  sdrad::ThreadState *ts = sdrad::thread_state();
  return (void *)(uintptr_t)(ts && ts->tagged_stack_hi != 0);
}
}  // namespace

TEST(Threads, AForkedChildsThreadsOnStacksOfThreadsThatRanAtTheForkAreProtected) {
  if (!pku()) GTEST_SKIP() << "thread stacks are tagged under PKU only";
  g_fork_hold = 1, g_fork_running = 0;
  pthread_t held[3];
  for (pthread_t &t : held) ASSERT_EQ(pthread_create(&t, nullptr, held_at_fork, nullptr), 0);
  while (g_fork_running.load() < 3) usleep(1000);  // in their loops, out of thread start-up
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    alarm(10);
    int unprotected = 0;
    for (int i = 0; i < 6; ++i) {  // the held threads' stacks come first from glibc's cache
      pthread_t t;
      void *tagged = nullptr;
      if (pthread_create(&t, nullptr, reports_its_stack_tagged, nullptr) != 0) _exit(20);
      pthread_join(t, &tagged);
      if (!tagged) ++unprotected;
    }
    _exit(unprotected);
  }
  g_fork_hold = 0;
  for (pthread_t t : held) pthread_join(t, nullptr);
  int st = 0;
  ASSERT_EQ(waitpid(pid, &st, 0), pid);
  ASSERT_TRUE(WIFEXITED(st)) << "signal " << WTERMSIG(st);
  EXPECT_EQ(WEXITSTATUS(st), 0) << "threads of the child whose stack stayed unprotected";
}
