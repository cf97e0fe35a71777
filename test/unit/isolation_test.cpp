// Memory isolation: what a domain may not touch.  These need real
// protection keys and skip themselves in the unprotected backend (they run
// in the PKU lane, test/pku).
#include <stdlib.h>
#include <string.h>

#include <thread>
#include <vector>

#include "internal.h"
#include "test_util.h"

using namespace sdrad_test;

namespace {

int g_root_global = 1234;
const char g_secret[] = "root secret";

struct B {
  void *target;
  int r;
  char c;
};

class Isolation : public testing::Test {
 protected:
  void SetUp() override {
    if (!pku()) GTEST_SKIP() << "needs protection keys (backend is " << sdrad_backend_name() << ")";
  }
};

void expect_blocked(int64_t h, void (*fn)(B *), void *target) {
  InDomain<B> d(h);
  d.b->target = target;
  EXPECT_EQ(d.run(fn), SDRAD_FAULT_KEY_VIOLATION);
  sdrad_fault f;
  ASSERT_TRUE(sdrad_last_fault(&f));
  EXPECT_EQ(f.addr, (uintptr_t)target);
  EXPECT_GT(f.pkey, 0);
  InDomain<B> again(h);
  EXPECT_EQ(again.run([](B *b) { b->r = 7; }), 0);
}

void write_int(B *b) { *(volatile int *)b->target = 1; }
void read_char(B *b) { b->c = *(volatile char *)b->target; }

}  // namespace

TEST_F(Isolation, DomainCannotWriteGlobals) {
  expect_blocked(domain("iso.global"), write_int, &g_root_global);
  EXPECT_EQ(g_root_global, 1234);
}

TEST_F(Isolation, DomainCannotWriteRootHeap) {
  int *p = (int *)malloc(sizeof(int));
  *p = 5;
  expect_blocked(domain("iso.rootheap"), write_int, p);
  EXPECT_EQ(*p, 5);
  free(p);
}

TEST_F(Isolation, DomainCannotWriteCallerStack) {
  volatile int local = 9;
  expect_blocked(domain("iso.stack"), write_int, (void *)&local);
  EXPECT_EQ(local, 9);
}

TEST_F(Isolation, DomainCannotWriteCallerStackOnAnotherThread) {
  int64_t h = domain("iso.threadstack");
  std::thread t([h] {
    volatile int local = 11;
    expect_blocked(h, write_int, (void *)&local);
    EXPECT_EQ(local, 11);
  });
  t.join();
}

TEST_F(Isolation, DomainCannotWriteAnotherDomainsHeap) {
  int64_t a = domain("iso.a"), b = domain("iso.b");
  InDomain<B> other(b);
  other.b->r = 21;
  expect_blocked(a, write_int, &other.b->r);
  EXPECT_EQ(other.b->r, 21);
}

TEST_F(Isolation, DomainCannotWriteRuntimeState) {
  // The runtime's thread states (depth, saved contexts, fault records) and
  // the domain table live in its state region under the root key.
  int64_t h = domain("iso.runtime");
  {
    InDomain<B> warm(h);  // makes sure this thread has a state
    ASSERT_EQ(warm.run([](B *) {}), 0);
  }
  void *state = (void *)sdrad::thread_state_if_any();
  ASSERT_NE(state, nullptr);
  expect_blocked(h, write_int, state);
  EXPECT_EQ(sdrad_depth(), 0);
}

TEST_F(Isolation, IntegrityDomainMayReadRootMemory) {
  InDomain<B> d(domain("iso.read"));
  d.b->target = (void *)g_secret;
  ASSERT_EQ(d.run(read_char), 0);
  EXPECT_EQ(d.b->c, 'r');
}

TEST_F(Isolation, ConfidentialityDomainCannotReadRootMemory) {
  static char secret_global[] = "top secret";
  int64_t h = domain("iso.confidential", SDRAD_POLICY_CONFIDENTIALITY);
  InDomain<B> d(h);
  d.b->target = secret_global;
  EXPECT_EQ(d.run(read_char), SDRAD_FAULT_KEY_VIOLATION);
}

TEST_F(Isolation, KeysRunOutWithAClearError) {
  std::vector<int64_t> hs;
  int64_t last = 0;
  for (int i = 0; i < 20; ++i) {
    last = sdrad_domain_by_name(("iso.keys" + std::to_string(i)).c_str(), 0);
    if (last < 0) break;
    hs.push_back(last);
  }
  EXPECT_EQ(last, SDRAD_E_NO_KEY) << "16 hardware keys cannot hold 20 domains";
  EXPECT_STREQ(sdrad_error_name(SDRAD_E_NO_KEY), "no protection key left");
}
