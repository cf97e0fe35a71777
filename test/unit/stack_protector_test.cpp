// Compiled with -fstack-protector-strong: a smashed frame inside a domain
// reaches __stack_chk_fail, which rewinds the domain.
#include <string.h>

#include "test_util.h"

using namespace sdrad_test;

namespace {
struct B {
  int r;
  size_t n;
};

__attribute__((noinline)) void smash(size_t n) {
  char buf[16];
  memset(buf, 'A', n);  // overflows past the canary
  __asm__ volatile("" ::"r"(buf) : "memory");
}
}  // namespace

TEST(StackProtector, SmashedFrameIsRewound) {
  int64_t h = domain("stackprotector");
  InDomain<B> d(h);
  d.b->n = 64;
  EXPECT_EQ(d.run([](B *b) { smash(b->n); }), SDRAD_FAULT_STACK_PROTECTOR);
  InDomain<B> e(h);
  e.b->n = 8;
  EXPECT_EQ(e.run([](B *b) {
              smash(b->n);
              b->r = 1;
            }),
            0);
  EXPECT_EQ(e.b->r, 1);
}

TEST(StackProtectorDeathTest, RootSmashStillAborts) {
  EXPECT_DEATH(smash(64), "stack smashing detected");
}
