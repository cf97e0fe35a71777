// The liveness API: who may set it, heap limits in C++, shared allocations.
#include <stdlib.h>
#include <string.h>
#include <new>

#include "sdrad/sdrad.h"
#include "test_util.h"

using namespace sdrad_test;

namespace {
struct B {
  int64_t h;
  int rc;
  int caught;
  char *p;
};
}  // namespace

TEST(Liveness, SettersAreRootOnly) {
  int64_t h = domain("liveness-setters");
  int64_t other = domain("liveness-setters-target");
  InDomain<B> d(h);
  d.b->h = other;
  EXPECT_EQ(d.run([](B *b) { b->rc = sdrad_set_timeout(b->h, 1); }), SDRAD_FAULT_GATE);
  InDomain<B> d2(h);
  d2.b->h = other;
  EXPECT_EQ(d2.run([](B *b) { b->rc = sdrad_set_heap_limit(b->h, 1 << 20); }), SDRAD_FAULT_GATE);
  InDomain<B> d3(h);
  d3.b->h = other;
  EXPECT_EQ(d3.run([](B *b) { b->rc = sdrad_shared_allocations(1); }), SDRAD_FAULT_GATE);
  EXPECT_EQ(sdrad_set_timeout(-5, 10), SDRAD_E_BAD_HANDLE);
  EXPECT_EQ(sdrad_domain_epoch(-5), 0u);
}

TEST(Liveness, HeapLimitMakesNewThrowBadAlloc) {
  int64_t h = domain("liveness-bad-alloc");
  ASSERT_EQ(sdrad_set_heap_limit(h, 1 << 20), 0);
  InDomain<B> d(h);
  EXPECT_EQ(d.run([](B *b) {
              try {
                char *p = new char[2 << 20];
                b->p = opaque(p);
              } catch (const std::bad_alloc &) {
                b->caught = 1;
              }
              b->rc = opaque(malloc(2 << 20)) == nullptr;
            }),
            0);
  EXPECT_EQ(d.b->caught, 1);
  EXPECT_EQ(d.b->rc, 1);
  ASSERT_EQ(sdrad_set_heap_limit(h, 0), 0);
  sdrad_release_instance(h);
}

TEST(Liveness, SharedAllocationsAreWritableByDomainsAndFreedByRoot) {
  EXPECT_EQ(sdrad_shared_allocations(1), 0);
  char *s = static_cast<char *>(malloc(64));
  EXPECT_EQ(sdrad_shared_allocations(0), 1);
  ASSERT_NE(s, nullptr);
  char *r = static_cast<char *>(malloc(64));  // root heap again
  strcpy(s, "root wrote");
  int64_t h = domain("liveness-shared");
  InDomain<B> d(h);
  d.b->p = s;
  EXPECT_EQ(d.run([](B *b) { strcpy(b->p, "domain wrote"); }), 0) << "shared memory is writable by domains";
  EXPECT_STREQ(s, "domain wrote");
  InDomain<B> d2(h);
  d2.b->p = s;
  EXPECT_EQ(d2.run([](B *b) { free(b->p); }), SDRAD_FAULT_FOREIGN_FREE) << "only root frees shared blocks";
  if (pku()) {
    InDomain<B> d3(h);
    d3.b->p = r;
    EXPECT_EQ(d3.run([](B *b) { b->p[0] = 'x'; }), SDRAD_FAULT_KEY_VIOLATION) << "the root heap is not shared";
  }
  free(s);
  free(r);
  sdrad_clear_fault();
}

// The limit is opened in the root-owned table only when an instance's heap
// is (re)created or the domain's limit changes (state.h), not on every
// entry: a change between two calls of one instance applies to the second.
TEST(Liveness, HeapLimitChangeAppliesToTheNextCallOfTheSameInstance) {
  int64_t h = domain("liveness-limit-change");
  auto big_malloc_ok = [h](size_t n) {
    InDomain<B> d(h);
    d.b->p = reinterpret_cast<char *>(n);
    EXPECT_EQ(d.run([](B *b) {
                void *p = opaque(malloc(reinterpret_cast<size_t>(b->p)));
                b->rc = p != nullptr;
                free(p);
              }),
              0);
    return d.b->rc;
  };
  ASSERT_EQ(sdrad_set_heap_limit(h, 8 << 20), 0);
  EXPECT_EQ(big_malloc_ok(4 << 20), 1);
  ASSERT_EQ(sdrad_set_heap_limit(h, 1 << 20), 0);  // lowered: same instance, next call
  EXPECT_EQ(big_malloc_ok(4 << 20), 0);
  ASSERT_EQ(sdrad_set_heap_limit(h, 8 << 20), 0);  // raised again
  EXPECT_EQ(big_malloc_ok(4 << 20), 1);
  ASSERT_EQ(sdrad_set_heap_limit(h, 0), 0);
  sdrad_release_instance(h);
}

// A discard re-creates the heap (in place, or in a fresh slot when much of
// it was touched), which closes its limit: the next call opens it again.
TEST(Liveness, HeapLimitIsOpenAgainAfterADiscard) {
  int64_t h = domain("liveness-limit-discard");
  for (size_t touched : {size_t(4096), size_t(4) << 20}) {
    InDomain<B> d(h);
    d.b->p = reinterpret_cast<char *>(touched);
    EXPECT_EQ(d.run([](B *b) {
                size_t n = reinterpret_cast<size_t>(b->p);
                memset(opaque(malloc(n)), 1, n);
                abort();
              }),
              SDRAD_FAULT_ABORT);
    InDomain<B> e(h);
    EXPECT_EQ(e.run([](B *b) { b->rc = opaque(malloc(1 << 20)) != nullptr; }), 0) << touched;
    EXPECT_EQ(e.b->rc, 1) << touched;
  }
  sdrad_clear_fault();
  sdrad_release_instance(h);
}
