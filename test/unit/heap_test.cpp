// The domain/root allocator against a model, under random sequences.
#include <gtest/gtest.h>
#include <sys/mman.h>

#include <map>
#include <random>
#include <vector>

#include "internal.h"

using namespace sdrad;

namespace {

struct Region {
  size_t size;
  void *base;
  explicit Region(size_t s) : size(s) {
    base = mmap(nullptr, s, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  }
  ~Region() { munmap(base, size); }
};

struct Block {
  size_t size;
  uint8_t fill;
};

// Every byte of the block still holds its fill.  (One assertion per block,
// not per byte: the unit tests also run unoptimised in an emulated CPU.)
void check_fill(void *p, const Block &b) {
  auto *q = static_cast<uint8_t *>(p);
  size_t i = 0;
  while (i < b.size && q[i] == b.fill) ++i;
  ASSERT_EQ(i, b.size) << "byte " << i << " of a " << b.size << "-byte block changed";
}

}  // namespace

TEST(Heap, RandomOperationsMatchModel) {
  Region r(256 << 20);
  Heap *h = heap_create(r.base, r.size);
  std::mt19937_64 rng(12345);
  std::map<void *, Block> live;
  std::vector<void *> keys;
  for (int step = 0; step < 60000; ++step) {
    int op = rng() % 10;
    if (op < 5 || live.empty()) {
      size_t n = (rng() % 4 == 0) ? rng() % 70000 : rng() % 600;
      size_t align = (rng() % 8 == 0) ? (size_t)1 << (4 + rng() % 9) : 0;
      void *p = align ? heap_memalign(h, align, n) : heap_malloc(h, n);
      ASSERT_NE(p, nullptr);
      if (align) ASSERT_EQ((uintptr_t)p % align, 0u);
      ASSERT_TRUE(heap_contains(h, p));
      ASSERT_GE(heap_usable_size(h, p), n);
      // No overlap with any live block.
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
      check_fill(it->first, it->second);
      heap_free(h, it->first);
      live.erase(it);
    } else {
      auto it = live.begin();
      std::advance(it, rng() % live.size());
      Block b = it->second;
      check_fill(it->first, b);
      size_t n = rng() % 9000;
      void *q = heap_realloc(h, it->first, n);
      ASSERT_NE(q, nullptr);
      live.erase(it);
      Block kept{std::min(n, b.size), b.fill};
      check_fill(q, kept);
      uint8_t fill = (uint8_t)rng();
      memset(q, fill, n);
      live[q] = {n, fill};
    }
    if (step % 5000 == 0) ASSERT_TRUE(heap_check(h)) << "step " << step;
  }
  for (auto &kv : live) {
    check_fill(kv.first, kv.second);
    heap_free(h, kv.first);
  }
  ASSERT_TRUE(heap_check(h));
  EXPECT_EQ(heap_in_use(h), 0u);
  // Everything coalesced back into the wilderness, once the front cache
  // has given back what it keeps for reuse.
  heap_trim_cache(h);
  ASSERT_TRUE(heap_check(h));
  EXPECT_LE(heap_touched(h), 4096u);
}

TEST(Heap, ExhaustionReturnsNullAndRecovers) {
  Region r(1 << 20);
  Heap *h = heap_create(r.base, r.size);
  std::vector<void *> v;
  for (;;) {
    void *p = heap_malloc(h, 4000);
    if (!p) break;
    v.push_back(p);
  }
  EXPECT_GT(v.size(), 200u);
  EXPECT_EQ(heap_malloc(h, 4000), nullptr);
  heap_free(h, v.back());
  v.pop_back();
  EXPECT_NE(heap_malloc(h, 4000), nullptr);
  EXPECT_EQ(heap_malloc(h, (size_t)1 << 50), nullptr);
}

TEST(Heap, HighWaterTracksPeakUse) {
  Region r(1 << 20);
  Heap *h = heap_create(r.base, r.size);
  void *a = heap_malloc(h, 10000);
  void *b = heap_malloc(h, 20000);
  size_t peak = heap_in_use(h);
  heap_free(h, a);
  heap_free(h, b);
  EXPECT_EQ(heap_in_use(h), 0u);
  EXPECT_EQ(heap_high_water(h), peak);
  EXPECT_GE(peak, 30000u);
}

TEST(Heap, FreedMemoryIsReusedFirstFit) {
  Region r(1 << 20);
  Heap *h = heap_create(r.base, r.size);
  void *a = heap_malloc(h, 100);
  void *guard = heap_malloc(h, 100);
  heap_free(h, a);
  void *b = heap_malloc(h, 100);
  EXPECT_EQ(a, b);
  heap_free(h, b);
  heap_free(h, guard);
  EXPECT_TRUE(heap_check(h));
}
