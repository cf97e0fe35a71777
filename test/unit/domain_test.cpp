// Domains: create on first use, run, keep heap state, share by name.
#include <malloc.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "test_util.h"

using namespace sdrad_test;

namespace {
struct Sum {
  int a, b, r;
};
struct Keep {
  char *saved;
  int len;
  int owned;
};
}  // namespace

TEST(Domain, CallRunsFunctionAndReturnsResult) {
  int64_t h = domain("domain.call");
  InDomain<Sum> d(h);
  d.b->a = 20;
  d.b->b = 22;
  ASSERT_EQ(d.run([](Sum *s) { s->r = s->a + s->b; }), 0);
  EXPECT_EQ(d.b->r, 42);
  EXPECT_EQ(sdrad_depth(), 0);
}

TEST(Domain, SameNameGivesSameHandle) {
  EXPECT_EQ(domain("domain.shared"), domain("domain.shared"));
  EXPECT_NE(domain("domain.shared"), domain("domain.other"));
}

TEST(Domain, PolicyConflictIsAnError) {
  domain("domain.policy", SDRAD_POLICY_INTEGRITY);
  EXPECT_EQ(sdrad_domain_by_name("domain.policy", SDRAD_POLICY_CONFIDENTIALITY), SDRAD_E_POLICY_CONFLICT);
}

TEST(Domain, BadNamesAndHandlesAreRejected) {
  EXPECT_EQ(sdrad_domain_by_name("", 0), SDRAD_E_BAD_ARGUMENT);
  EXPECT_EQ(sdrad_domain_by_name(nullptr, 0), SDRAD_E_BAD_ARGUMENT);
  EXPECT_EQ(sdrad_domain_by_name("x", 7), SDRAD_E_BAD_ARGUMENT);
  EXPECT_EQ(__sdrad_call(9999, [](void *) {}, nullptr), SDRAD_E_BAD_HANDLE);
  EXPECT_EQ(__sdrad_call(-3, [](void *) {}, nullptr), SDRAD_E_BAD_HANDLE);
  EXPECT_EQ(__sdrad_block_alloc(9999, 16), nullptr);
  int64_t h = domain("domain.nullentry");
  EXPECT_EQ(__sdrad_call(h, nullptr, nullptr), SDRAD_E_BAD_ARGUMENT);
}

// The call path and the argument-copy gates look the thread's instance up
// by the handle's index first: once an instance exists, a handle with the
// same index but another generation (or negative) must still be refused.
TEST(Domain, ForgedGenerationsOfAnEnteredDomainAreRejected) {
  int64_t h = domain("domain.forged");
  ASSERT_EQ(__sdrad_call(h, [](void *) {}, nullptr), 0);  // the instance exists now
  const int64_t forged[] = {h + 256, h - 256, h + (int64_t)256 * 1000, (int64_t)((uint64_t)h | (1ull << 63))};
  for (int64_t f : forged) {
    EXPECT_EQ(__sdrad_call(f, [](void *) {}, nullptr), SDRAD_E_BAD_HANDLE) << f;
    char blk[8] = {};
    EXPECT_EQ(__sdrad_call_with(f, [](void *) {}, blk, sizeof blk), SDRAD_E_BAD_HANDLE) << f;
    EXPECT_EQ(__sdrad_copy_in(f, blk, sizeof blk), nullptr) << f;
    EXPECT_EQ(__sdrad_block_alloc(f, 16), nullptr) << f;
  }
  EXPECT_EQ(__sdrad_call(h, [](void *) {}, nullptr), 0);
}

TEST(Domain, HandleRefCachesRegistration) {
  static __sdrad_domain_ref ref = {0, "domain.ref", SDRAD_POLICY_INTEGRITY, SDRAD_ABI_VERSION};
  int64_t h = __sdrad_domain_handle(&ref);
  EXPECT_GT(h, 0);
  EXPECT_EQ(ref.handle, h);
  EXPECT_EQ(__sdrad_domain_handle(&ref), h);
  static __sdrad_domain_ref bad = {0, "domain.badabi", 0, 999};
  EXPECT_EQ(__sdrad_domain_handle(&bad), SDRAD_E_ABI_VERSION);
  EXPECT_EQ(bad.handle, 0);
}

TEST(Domain, HeapStatePersistsAcrossCalls) {
  int64_t h = domain("domain.persist");
  InDomain<Keep> d(h);
  ASSERT_EQ(d.run([](Keep *k) {
              k->saved = strdup("kept across calls");
              k->owned = 1;
            }),
            0);
  EXPECT_TRUE(sdrad_owns(h, d.b->saved)) << "domain malloc must come from the domain heap";
  ASSERT_EQ(d.run([](Keep *k) {
              k->len = (int)strlen(k->saved);
              free(k->saved);
            }),
            0);
  EXPECT_EQ(d.b->len, 17);
}

TEST(Domain, RootMallocIsNotInDomainHeap) {
  int64_t h = domain("domain.rootmalloc");
  InDomain<Keep> d(h);
  void *p = malloc(64);
  EXPECT_FALSE(sdrad_owns(h, p));
  free(p);
}

TEST(Domain, StatsCountCallsAndFaults) {
  int64_t h = domain("domain.stats");
  sdrad_domain_stats before{}, after{};
  ASSERT_EQ(sdrad_get_stats(h, &before), 0);
  {
    InDomain<Sum> d(h);
    ASSERT_EQ(d.run([](Sum *) { opaque(malloc(100000)); }), 0);
  }
  {
    InDomain<Sum> d(h);
    ASSERT_NE(d.run([](Sum *) { abort(); }), 0);
  }
  ASSERT_EQ(sdrad_get_stats(h, &after), 0);
  EXPECT_EQ(after.calls - before.calls, 2u);
  EXPECT_EQ(after.faults - before.faults, 1u);
  EXPECT_GE(after.heap_high_water, 100000u);
  EXPECT_EQ(sdrad_get_stats(12345, &after), SDRAD_E_BAD_HANDLE);
}

// Pages of [p, p + n) resident in memory; an unmapped page counts as not
// resident.
static size_t resident_pages(const void *p, size_t n) {
  const size_t ps = (size_t)sysconf(_SC_PAGESIZE);
  uintptr_t a = (uintptr_t)p & ~(ps - 1), end = (uintptr_t)p + n;
  size_t count = 0;
  for (; a < end; a += ps) {
    unsigned char v = 0;
    if (mincore((void *)a, ps, &v) == 0 && (v & 1)) ++count;
  }
  return count;
}
constexpr size_t kReleaseBytes = 1 << 20;

TEST(Domain, ReleaseInstanceFreesMemoryAndNextCallRecreates) {
  int64_t h = domain("domain.release");
  char *big = nullptr;
  {
    InDomain<Keep> d(h);
    ASSERT_EQ(d.run([](Keep *k) {
                k->saved = (char *)malloc(kReleaseBytes);
                if (k->saved) memset(k->saved, 0x5a, kReleaseBytes);
              }),
              0);
    big = d.b->saved;
  }
  ASSERT_NE(big, nullptr);
  ASSERT_TRUE(sdrad_owns(h, big));
  sdrad_domain_stats st{};
  ASSERT_EQ(sdrad_get_stats(h, &st), 0);
  EXPECT_GE(st.heap_in_use, kReleaseBytes);
  const size_t pages = kReleaseBytes / (size_t)sysconf(_SC_PAGESIZE);
  ASSERT_GE(resident_pages(big, kReleaseBytes), pages - 1) << "the domain's heap pages are in memory";

  EXPECT_EQ(sdrad_release_instance(h), 0);
  EXPECT_EQ(resident_pages(big, kReleaseBytes), 0u) << "the released instance's heap is still in memory";
  EXPECT_FALSE(sdrad_owns(h, big)) << "the thread has no instance of the domain any more";
  ASSERT_EQ(sdrad_get_stats(h, &st), 0);
  EXPECT_EQ(st.heap_in_use, 0u);

  // The next call creates a new instance, with an empty heap.
  InDomain<Sum> d(h);
  d.b->a = 3;
  ASSERT_EQ(d.run([](Sum *s) { s->r = s->a * 2; }), 0);
  EXPECT_EQ(d.b->r, 6);
  ASSERT_EQ(sdrad_get_stats(h, &st), 0);
  EXPECT_LT(st.heap_in_use, kReleaseBytes);
}

TEST(Domain, AllocatorFamilyWorksInsideDomain) {
  int64_t h = domain("domain.allocfamily");
  InDomain<Sum> d(h);
  ASSERT_EQ(d.run([](Sum *s) {
              void *p = nullptr;
              int ok = posix_memalign(&p, 256, 1000) == 0 && ((uintptr_t)p % 256) == 0;
              void *q = aligned_alloc(64, 128);
              ok &= ((uintptr_t)q % 64) == 0;
              char *c = (char *)calloc(10, 10);
              for (int i = 0; i < 100; ++i) ok &= c[i] == 0;
              c = (char *)realloc(c, 5000);
              ok &= malloc_usable_size(c) >= 5000;
              int *n = new int[100];
              n[99] = 7;
              ok &= n[99] == 7;
              delete[] n;
              free(p);
              free(q);
              free(c);
              s->r = ok;
            }),
            0);
  EXPECT_EQ(d.b->r, 1);
}
