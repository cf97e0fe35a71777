// The root allocator (runtime/src/root_alloc.h): per-thread heaps of
// size-class pages in front of the boundary-tag root heap, and the domain
// heap's front cache.
#include <malloc.h>
#include <pthread.h>
#include <string.h>
#include <sys/mman.h>

#include <map>
#include <random>
#include <set>
#include <thread>
#include <vector>

#include "root_alloc.h"
#include "test_util.h"

using namespace sdrad_test;
namespace small = sdrad::small;

namespace {

struct Live {
  size_t size;
  uint8_t fill;
};

bool filled(const void *p, const Live &b) {
  const uint8_t *q = static_cast<const uint8_t *>(p);
  for (size_t i = 0; i < b.size; ++i)
    if (q[i] != b.fill) return false;
  return true;
}

}  // namespace

TEST(RootAlloc, RandomOperationsMatchModel) {
  std::mt19937_64 rng(777);
  std::map<void *, Live> live;
  for (int step = 0; step < 30000; ++step) {
    int op = rng() % 10;
    if (op < 5 || live.empty()) {
      size_t n = (rng() % 8 == 0) ? rng() % 20000 : rng() % 1100;
      size_t align = (rng() % 8 == 0) ? (size_t)1 << (3 + rng() % 10) : 0;
      void *p = nullptr;
      if (align) ASSERT_EQ(posix_memalign(&p, align, n), 0);
      else p = malloc(n);
      ASSERT_NE(p, nullptr);
      if (align) ASSERT_EQ((uintptr_t)p % align, 0u) << n << " bytes aligned to " << align;
      ASSERT_EQ((uintptr_t)p % 16, 0u);
      ASSERT_GE(malloc_usable_size(p), n);
      auto it = live.upper_bound(p);
      if (it != live.end()) ASSERT_LE((uintptr_t)p + n, (uintptr_t)it->first);
      if (it != live.begin()) {
        --it;
        ASSERT_LE((uintptr_t)it->first + it->second.size, (uintptr_t)p);
      }
      uint8_t fill = (uint8_t)rng();
      memset(p, fill, n);
      live[p] = {n, fill};
    } else if (op < 8) {
      auto it = live.begin();
      std::advance(it, rng() % live.size());
      ASSERT_TRUE(filled(it->first, it->second));
      free(it->first);
      live.erase(it);
    } else {
      auto it = live.begin();
      std::advance(it, rng() % live.size());
      Live b = it->second;
      size_t n = 1 + rng() % 9000;
      void *q = realloc(it->first, n);
      ASSERT_NE(q, nullptr);
      live.erase(it);
      ASSERT_TRUE(filled(q, Live{std::min(n, b.size), b.fill}));
      uint8_t fill = (uint8_t)rng();
      memset(q, fill, n);
      live[q] = {n, fill};
    }
  }
  for (auto &kv : live) {
    ASSERT_TRUE(filled(kv.first, kv.second));
    free(kv.first);
  }
}

TEST(RootAlloc, SmallObjectsComeFromTheSmallObjectArea) {
  void *p = malloc(100), *q = malloc(small::kMax), *big = malloc(small::kMax + 1);
  EXPECT_TRUE(small::owns(p));
  EXPECT_TRUE(small::owns(q));
  EXPECT_FALSE(small::owns(big));
  EXPECT_EQ(malloc_usable_size(p), 112u);
  free(p);
  free(q);
  free(big);
}

TEST(RootAlloc, ReallocWithinTheSizeClassKeepsTheObject) {
  char *p = static_cast<char *>(malloc(100));
  memset(p, 7, 100);
  EXPECT_EQ(realloc(p, 110), p);
  char *q = static_cast<char *>(realloc(p, 3000));
  ASSERT_NE(q, nullptr);
  for (int i = 0; i < 100; ++i) ASSERT_EQ(q[i], 7);
  free(q);
}

TEST(RootAlloc, ObjectsFreedByAnotherThreadAreReusedByTheOwner) {
  constexpr int kN = 3000, kPerPage = small::kPageSize / 64;
  std::vector<void *> first(kN), again(kN);
  for (auto &p : first) p = malloc(64);
  std::set<void *> before(first.begin(), first.end());
  size_t pages = small::pages_in_use();
  std::thread([&] {
    for (void *p : first) free(p);
  }).join();
  int reused = 0;
  for (auto &p : again) p = malloc(64);
  for (void *p : again) reused += before.count(p) != 0;
  // All but at most the never-used tail of the current page come back.
  EXPECT_GE(reused, kN - kPerPage) << "the other thread's frees came back to this thread's pages";
  EXPECT_LE(small::pages_in_use(), pages + 1);
  for (void *p : again) free(p);
}

// Objects freed into an earlier page of the class are handed out before
// never-used memory of the current page is touched (beyond the at most
// 4 KiB of it already prepared).
TEST(RootAlloc, FreedObjectsAreReusedBeforeFreshMemory) {
  const size_t kSize = small::class_size(small::class_of(720));  // a class nothing else here uses
  const int kPerPage = (int)(small::kPageSize / kSize), kFreed = 8, kPrepared = (int)(4096 / kSize);
  std::vector<void *> v;
  for (int i = 0; i < kPerPage + 1; ++i) v.push_back(malloc(kSize));
  ASSERT_NE(small::page_addr(v.back()), small::page_addr(v[0])) << "the last object starts a second page";
  std::set<void *> freed(v.begin(), v.begin() + kFreed);
  for (int i = 0; i < kFreed; ++i) free(v[i]);
  int reused = 0;
  for (int i = 0; i < kFreed + kPrepared; ++i) {
    void *p = malloc(kSize);
    reused += freed.count(p) != 0;
    v.push_back(p);
  }
  EXPECT_EQ(reused, kFreed) << "never-used memory of the second page was handed out first";
  for (size_t i = kFreed; i < v.size(); ++i) free(v[i]);
}

TEST(RootAlloc, ThreadExitReturnsItsEmptyPages) {
  std::thread([] {}).join();  // this thread's pages for std::thread's own blocks
  size_t before = small::pages_in_use();
  std::thread([] {
    std::vector<void *> v;
    for (int i = 0; i < 20000; ++i) v.push_back(malloc(16 + i % 1000));
    EXPECT_GT(small::pages_in_use(), 100u);
    for (void *p : v) free(p);
  }).join();
  EXPECT_EQ(small::pages_in_use(), before);
}

// A page that empties goes back to the kernel (MADV_DONTNEED), except a
// few kept for reuse: a page some class once filled does not stay
// resident for another class that needs less of it (docs/design.md).
TEST(RootAlloc, EmptiedPagesGoBackToTheKernel) {
  constexpr int kPages = 64;
  const size_t kSize = small::class_size(small::class_of(4096));
  const size_t kPerPage = small::kPageSize / kSize;
  std::set<uintptr_t> pages;
  std::thread([&] {
    std::vector<void *> v;
    for (size_t i = 0; i < kPages * kPerPage; ++i) {
      void *p = malloc(kSize);
      memset(p, 1, kSize);
      v.push_back(p);
      pages.insert(small::page_addr(p));
    }
    for (void *p : v) free(p);
  }).join();
  // Only pages below the huge-page part of the area are given back (a test
  // run alone uses a few MiB of the area, below it).
  int eligible = 0, resident = 0;
  for (uintptr_t pg : pages) {
    if (pg >= small::huge_pages_from()) continue;
    ++eligible;
    unsigned char vec[small::kPageSize / 4096];
    ASSERT_EQ(mincore((void *)pg, small::kPageSize, vec), 0);
    for (unsigned char r : vec)
      if (r & 1) {
        ++resident;
        break;
      }
  }
  // After other tests in the same process the area may be past that.
  if (eligible < 48) GTEST_SKIP() << "only " << eligible << " pages below the huge pages: run alone (as ctest does)";
  // At most 24 pages are kept warm (kWarmPages in root_alloc.cpp).
  EXPECT_LE(resident, 24) << "of " << eligible << " emptied pages, " << resident << " are still resident";
}

TEST(RootAlloc, AnExitedThreadsHeapIsAdoptedByTheNextThread) {
  void *kept = nullptr;
  std::thread([&] { kept = malloc(200); }).join();
  size_t pages = small::pages_in_use();
  void *next = nullptr;
  std::thread([&] { next = malloc(200); }).join();
  // The page that still holds `kept` serves the new thread: no new page.
  EXPECT_EQ(small::page_addr(next), small::page_addr(kept));
  EXPECT_EQ(small::pages_in_use(), pages);
  free(kept);
  free(next);
}

TEST(RootAllocDeathTest, DoubleFreeAcrossThreadsAborts) {
  EXPECT_DEATH(
      {
        void *p = opaque(malloc(64));
        std::thread([p] { free(p); }).join();
        free(opaque(p));
      },
      "double free");
}

TEST(RootAllocDeathTest, FreeInsideAnObjectAborts) {
  EXPECT_DEATH(
      {
        char *p = opaque(static_cast<char *>(malloc(64)));
        free(opaque(p + 16));
      },
      "invalid pointer");
}

TEST(RootAllocDeathTest, FreeOfNeverAllocatedAreaMemoryAborts) {
  EXPECT_DEATH(
      {
        char *p = opaque(static_cast<char *>(malloc(64)));
        free(opaque(p + (small::kPageSize - 64)));  // same page, beyond what was handed out
      },
      // Beyond the page's carved objects, or one of them (they carry the freed tag).
      "invalid pointer|never-allocated");
}

namespace {
char g_root_target[64];
}

// A use-after-free write aims a freed object's link at a root global: the
// next allocation must not follow it.
TEST(RootAllocDeathTest, CorruptedFreeListLinkIsNotFollowed) {
  EXPECT_DEATH(
      {
        void **a = opaque(static_cast<void **>(malloc(48)));
        void **b = opaque(static_cast<void **>(malloc(48)));
        free(a);
        free(b);
        *opaque(b) = g_root_target;
        void *p = opaque(malloc(48));
        void *q = opaque(malloc(48));
        printf("%p %p\n", p, q);
      },
      "corrupted free list");
}

// The same inside a domain, for the domain heap's front cache: the domain
// is rewound, and no allocation returns the root global.
struct ForgeBlock {
  char *target;
  void *got;
};
TEST(DomainHeap, ForgedFrontCacheLinkIsDetected) {
  int64_t h = domain("rootalloc.forgecache");
  InDomain<ForgeBlock> d(h);
  d.b->target = g_root_target;
  EXPECT_EQ(d.run([](ForgeBlock *b) {
              void **x = opaque(static_cast<void **>(malloc(48)));
              void **y = opaque(static_cast<void **>(malloc(48)));
              free(x);
              free(y);
              *opaque(y) = b->target - 16;  // a chunk header before the global
              b->got = opaque(malloc(48));
              b->got = opaque(malloc(48));
            }),
            SDRAD_FAULT_HEAP_CORRUPTION);
}
