// The fused call: the argument block travels on the domain stack.
#include <stdlib.h>
#include <string.h>

#include "test_util.h"

using namespace sdrad_test;

namespace {
struct Block {
  int a, b, ret;
  char text[40];
};
void add(void *p) {
  auto *b = (Block *)p;
  b->ret = b->a + b->b;
  strcpy(b->text, "written inside");
}
void crash(void *p) {
  ((Block *)p)->ret = 99;
  abort();
}
// Past the block's padding to 16 bytes, into the canary above it.
void overflow(void *p) { memset(p, 'X', sizeof(Block) + 16); }
}  // namespace

TEST(CallWith, ResultsComeBackInTheCallersBlock) {
  int64_t h = domain("callwith.ok");
  Block b{20, 22, 0, "outside"};
  ASSERT_EQ(__sdrad_call_with(h, add, &b, sizeof(b)), 0);
  EXPECT_EQ(b.ret, 42);
  EXPECT_STREQ(b.text, "written inside");
}

TEST(CallWith, FaultLeavesTheCallersBlockUntouched) {
  int64_t h = domain("callwith.fault");
  Block b{1, 2, -1, "outside"};
  EXPECT_EQ(__sdrad_call_with(h, crash, &b, sizeof(b)), SDRAD_FAULT_ABORT);
  EXPECT_EQ(b.ret, -1);
  EXPECT_STREQ(b.text, "outside");
  ASSERT_EQ(__sdrad_call_with(h, add, &b, sizeof(b)), 0);
  EXPECT_EQ(b.ret, 3);
}

TEST(CallWith, OverflowOfTheBlockIsACanaryFault) {
  int64_t h = domain("callwith.overflow");
  Block b{1, 2, -1, "outside"};
  EXPECT_EQ(__sdrad_call_with(h, overflow, &b, sizeof(b)), SDRAD_FAULT_CANARY);
  EXPECT_EQ(b.ret, -1);
}

TEST(CallWith, OversizedBlockIsRefused) {
  int64_t h = domain("callwith.big");
  static char big[SDRAD_MAX_INLINE_BLOCK + 16];
  EXPECT_EQ(__sdrad_call_with(h, add, big, sizeof(big)), SDRAD_E_BAD_ARGUMENT);
  EXPECT_EQ(__sdrad_call_with(h, add, nullptr, 16), SDRAD_E_BAD_ARGUMENT);
}

namespace {
struct Outer {
  int64_t inner;
  int status, ret;
};
void outer(void *p) {
  auto *o = (Outer *)p;
  Block b{5, 6, 0, ""};  // on the outer domain's own stack
  o->status = __sdrad_call_with(o->inner, add, &b, sizeof(b));
  o->ret = b.ret;
}
}  // namespace

TEST(CallWith, NestedCallFromADomain) {
  Outer o{domain("callwith.inner"), -1, 0};
  allow_nested_entry(add, "callwith.inner");
  ASSERT_EQ(__sdrad_call_with(domain("callwith.outer"), outer, &o, sizeof(o)), 0);
  EXPECT_EQ(o.status, 0);
  EXPECT_EQ(o.ret, 11);
}

namespace {
// The block's first byte is its size; the entry flips every other byte.
void flip(void *p) {
  auto *b = static_cast<unsigned char *>(p);
  unsigned n = b[0];
  for (unsigned i = 1; i < n; ++i) b[i] ^= 0xff;
  b[0] = static_cast<unsigned char>(n | 0x80);
}
}  // namespace

// Every block size the fast path (switch.S) copies with fixed-size moves
// (8-64 bytes), and those on either side that the C++ path copies: all n
// bytes go in and come back, nothing past them is written.
TEST(CallWith, BlocksOfEverySizeComeBackExactly) {
  int64_t h = domain("callwith.sizes");
  for (unsigned n = 1; n <= 80; ++n) {
    unsigned char buf[96];
    memset(buf, 0xaa, sizeof buf);
    buf[0] = static_cast<unsigned char>(n);
    for (unsigned i = 1; i < n; ++i) buf[i] = static_cast<unsigned char>(i * 7);
    ASSERT_EQ(__sdrad_call_with(h, flip, buf, n), 0) << n;
    EXPECT_EQ(buf[0], n | 0x80) << n;
    for (unsigned i = 1; i < n; ++i) ASSERT_EQ(buf[i], static_cast<unsigned char>(~(i * 7))) << n << " " << i;
    for (unsigned i = n; i < sizeof buf; ++i) ASSERT_EQ(buf[i], 0xaa) << n << " " << i;
  }
}
