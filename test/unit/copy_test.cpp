// Canary-guarded argument copies used by compiler thunks.
#include <string.h>

#include "test_util.h"

using namespace sdrad_test;

namespace {
struct B {
  char *in;
  char *out;
  size_t n;
  int r;
};
}  // namespace

TEST(Copy, CopyInCheckOutRoundTrip) {
  int64_t h = domain("copy.roundtrip");
  const char src[] = "hello, domain";
  char dst[sizeof(src)] = {};
  InDomain<B> d(h);
  d.b->in = (char *)__sdrad_copy_in(h, src, sizeof(src));
  d.b->out = (char *)__sdrad_copy_in(h, nullptr, sizeof(src));
  d.b->n = sizeof(src);
  ASSERT_TRUE(sdrad_owns(h, d.b->in));
  ASSERT_EQ(d.b->out[0], 0);
  ASSERT_EQ(d.run([](B *b) {
              for (size_t i = 0; i + 1 < b->n; ++i) b->out[i] = (char)(b->in[i] ^ 0x20);
            }),
            0);
  EXPECT_EQ(__sdrad_copy_check(h, d.b->in), 0);
  EXPECT_EQ(__sdrad_copy_check(h, d.b->out), 0);
  __sdrad_copy_out(h, dst, d.b->out, sizeof(dst));
  EXPECT_STREQ(dst, "HELLO\x0c\x00");
  EXPECT_EQ(memcmp(dst, "HELLO", 5), 0);
  __sdrad_block_free(h, d.b->in);
  __sdrad_block_free(h, d.b->out);
}

TEST(Copy, OverflowPastCopyIsACanaryFault) {
  int64_t h = domain("copy.overflow");
  char buf[16] = "0123456789abcde";
  InDomain<B> d(h);
  d.b->in = (char *)__sdrad_copy_in(h, buf, sizeof(buf));
  char *copy = d.b->in;
  ASSERT_EQ(d.run([](B *b) { memset(b->in, 'X', 24); }), 0);  // 8 bytes too far
  EXPECT_EQ(__sdrad_copy_check(h, copy), SDRAD_FAULT_CANARY);
  EXPECT_EQ(last_fault_kind(), SDRAD_FAULT_CANARY);
  EXPECT_STREQ(buf, "0123456789abcde") << "the caller's buffer is untouched";
}

TEST(Copy, UnderflowBeforeCopyIsACanaryFault) {
  int64_t h = domain("copy.underflow");
  char buf[32] = {};
  InDomain<B> d(h);
  d.b->in = (char *)__sdrad_copy_in(h, buf, sizeof(buf));
  char *copy = d.b->in;
  // Flip the byte (a fixed value equalled the random canary's byte in 1 run of 256).
  ASSERT_EQ(d.run([](B *b) { b->in[-3] = (char)~b->in[-3]; }), 0);
  EXPECT_EQ(__sdrad_copy_check(h, copy), SDRAD_FAULT_CANARY);
}

TEST(Copy, StringCopyIncludesTerminator) {
  int64_t h = domain("copy.string");
  InDomain<B> d(h);
  d.b->in = __sdrad_copy_string(h, "abc");
  EXPECT_EQ(__sdrad_copy_string(h, nullptr), nullptr);
  ASSERT_EQ(d.run([](B *b) { b->r = (int)strlen(b->in); }), 0);
  EXPECT_EQ(d.b->r, 3);
  EXPECT_EQ(__sdrad_copy_check(h, d.b->in), 0);
}

TEST(Copy, ZeroByteCopyIsValid) {
  int64_t h = domain("copy.zero");
  void *c = __sdrad_copy_in(h, "", 0);
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(__sdrad_copy_check(h, c), 0);
  __sdrad_block_free(h, c);
}

TEST(Copy, CopyOutOfForeignRangeIsRefused) {
  int64_t h = domain("copy.foreign");
  char dst[8] = "keepme";
  char other[8] = "other!!";
  testing::internal::CaptureStderr();
  __sdrad_copy_out(h, dst, other, sizeof(dst));
  EXPECT_NE(testing::internal::GetCapturedStderr().find("refused"), std::string::npos);
  EXPECT_STREQ(dst, "keepme");
}

TEST(Copy, CorruptedDomainHeapFailsAllocationWithoutKillingCaller) {
  int64_t h = domain("copy.corrupt");
  InDomain<B> d(h);
  // A "successful" call that scribbles over its own allocator's free list.
  ASSERT_EQ(d.run([](B *) {
              char *a = (char *)malloc(64);
              char *b = (char *)malloc(64);
              free(a);
              memset(a - 16, 0x41, 48);
              (void)b;
            }),
            0);
  // The next allocation from outside detects it, discards, and reports.
  void *p = __sdrad_block_alloc(h, 64);
  if (p == nullptr) {
    EXPECT_EQ(last_fault_kind(), SDRAD_FAULT_HEAP_CORRUPTION);
  }
  InDomain<B> e(h);
  ASSERT_NE(e.b, nullptr);
  EXPECT_EQ(e.run([](B *b) { b->r = 1; }), 0);
}

// __sdrad_copies_end (what thunks use): every canary is checked before any
// buffer is copied back, so a broken second copy leaves the first one's
// destination untouched; an intact set is copied back and freed.
TEST(Copy, CopiesEndChecksAllBeforeCopyingAnyBack) {
  int64_t h = domain("copy.end");
  char a[16] = "keep-a", b[16] = "keep-b";
  InDomain<B> d(h);
  d.b->in = (char *)__sdrad_copy_in(h, nullptr, sizeof(a));
  d.b->out = (char *)__sdrad_copy_in(h, nullptr, sizeof(b));
  ASSERT_EQ(d.run([](B *x) {
              strcpy(x->in, "from-domain");
              memset(x->out, 'X', 24);  // 8 bytes past the second copy
            }),
            0);
  __sdrad_copy_end e[2] = {{d.b->in, a, sizeof(a)}, {d.b->out, b, sizeof(b)}};
  EXPECT_EQ(__sdrad_copies_end(h, e, 2), SDRAD_FAULT_CANARY);
  EXPECT_EQ(last_fault_kind(), SDRAD_FAULT_CANARY);
  EXPECT_STREQ(a, "keep-a") << "nothing copied back before every check passed";
  EXPECT_STREQ(b, "keep-b");
  d.b = nullptr;  // discarded with the instance

  InDomain<B> g(h);
  g.b->in = (char *)__sdrad_copy_in(h, nullptr, sizeof(a));
  g.b->out = __sdrad_copy_string(h, "in only");
  ASSERT_EQ(g.run([](B *x) { strcpy(x->in, "from-domain"); }), 0);
  __sdrad_copy_end f[2] = {{g.b->in, a, sizeof(a)}, {g.b->out, nullptr, 0}};
  EXPECT_EQ(__sdrad_copies_end(h, f, 2), 0);
  EXPECT_STREQ(a, "from-domain");
  testing::internal::CaptureStderr();
  __sdrad_block_free(h, g.b->in);  // already freed by __sdrad_copies_end
  EXPECT_NE(testing::internal::GetCapturedStderr().find("refused"), std::string::npos);
}

TEST(Copy, CopiesEndRefusesAForeignCopy) {
  int64_t h = domain("copy.end.foreign");
  char dst[8] = "keepme", other[8] = "other!!";
  __sdrad_copy_end e = {other, dst, sizeof(dst)};
  testing::internal::CaptureStderr();
  EXPECT_EQ(__sdrad_copies_end(h, &e, 1), SDRAD_E_BAD_ARGUMENT);
  EXPECT_NE(testing::internal::GetCapturedStderr().find("refused"), std::string::npos);
  EXPECT_STREQ(dst, "keepme");
}

// A copy named twice in one __sdrad_copies_end is released once: the
// second entry must not count as another block of the argument arena,
// which would let the arena start over under a copy still in use.
TEST(Copy, CopiesEndReleasesADuplicateOnce) {
  int64_t h = domain("copy.end.duplicate");
  char src[16] = "live";
  char *live = (char *)__sdrad_copy_in(h, src, sizeof(src));
  void *c = __sdrad_copy_in(h, src, sizeof(src));
  ASSERT_TRUE(live && c);
  __sdrad_copy_end e[2] = {{c, nullptr, 0}, {c, nullptr, 0}};
  testing::internal::CaptureStderr();
  EXPECT_EQ(__sdrad_copies_end(h, e, 2), 0);
  testing::internal::GetCapturedStderr();
  char *next = (char *)__sdrad_copy_in(h, src, sizeof(src));
  ASSERT_NE(next, nullptr);
  EXPECT_TRUE(next + sizeof(src) <= live || next >= live + sizeof(src)) << "a new copy overlaps a live one";
  EXPECT_STREQ(live, "live");
  __sdrad_block_free(h, live);
  __sdrad_block_free(h, next);
}

// A saturated size (what a thunk passes when count * element size
// overflows) gives no copy, so the call fails.  It used to wrap to a
// 63-byte block once the alignment slack was added, and the copy ran off
// it (SIGSEGV in the caller).
TEST(Copy, SaturatedSizeGivesNoCopy) {
  int64_t h = domain("copy.saturated");
  const char in[4] = "abc";
  EXPECT_EQ(__sdrad_copy_in(h, in, SIZE_MAX), nullptr);
  EXPECT_EQ(__sdrad_copy_in(h, nullptr, SIZE_MAX), nullptr);
}
