// libc's writable data under a protection key of its own
// (libc_data_key.cpp): under PKU a domain may read it; its first write
// marks its instance and is let through, the instance's returns compare
// libc's state from then on (ReturnCheck.* run that way in the PKU lane),
// and a discard takes the mark and the write right back.  Without PKU
// (or without the key) these tests skip: there is no key to tell a write.
#include <stdio.h>

#include "internal.h"
#include "test_util.h"

using namespace sdrad_test;

namespace {
bool libc_keyed() { return sdrad::g_shared.pku && sdrad::g_shared.libc_key > 0; }
sdrad::Instance *instance_of(int64_t h) {
  sdrad::ThreadState *ts = sdrad::thread_state();
  return ts ? sdrad::instance_cached(ts, h) : nullptr;
}
void nothing(void *) {}
void reads_stdout(void *p) { *(int *)p = fileno(stdout) + (stdout->_IO_write_ptr == stdout->_IO_write_end ? 0 : 0); }
void rewrites_stdout_flags(void *) {
  volatile int *f = &stdout->_flags;
  *f = *f;
}
void crashes(void *) { __builtin_trap(); }
}  // namespace

TEST(LibcDataKey, DomainReadsLibcDataWithoutBeingMarked) {
  if (!libc_keyed()) GTEST_SKIP() << "needs PKU and the key for libc's data";
  int64_t h = domain("libckey.read");
  int fd = -1;
  ASSERT_EQ(__sdrad_call_with(h, reads_stdout, &fd, sizeof fd), 0);
  EXPECT_EQ(fd, 1);
  ASSERT_NE(instance_of(h), nullptr);
  EXPECT_FALSE(instance_of(h)->libc_written);
  EXPECT_NE(instance_of(h)->pkru & sdrad::g_shared.libc_wd_bits, 0u);
}

TEST(LibcDataKey, FirstWriteToLibcDataMarksTheInstanceAndCompletes) {
  if (!libc_keyed()) GTEST_SKIP() << "needs PKU and the key for libc's data";
  int64_t h = domain("libckey.write");
  sdrad_clear_fault();
  ASSERT_EQ(__sdrad_call_with(h, nothing, nullptr, 0), 0);
  ASSERT_FALSE(instance_of(h)->libc_written);
  ASSERT_EQ(__sdrad_call_with(h, rewrites_stdout_flags, nullptr, 0), 0);
  sdrad::Instance *in = instance_of(h);
  EXPECT_TRUE(in->libc_written);
  EXPECT_EQ(in->pkru & sdrad::g_shared.libc_wd_bits, 0u);
  EXPECT_EQ(__sdrad_call_with(h, rewrites_stdout_flags, nullptr, 0), 0);
  sdrad_fault f;
  EXPECT_EQ(sdrad_last_fault(&f), 0) << "no call of this test is a fault";
}

TEST(LibcDataKey, DiscardTakesTheMarkAndTheWriteRightBack) {
  if (!libc_keyed()) GTEST_SKIP() << "needs PKU and the key for libc's data";
  int64_t h = domain("libckey.discard");
  ASSERT_EQ(__sdrad_call_with(h, rewrites_stdout_flags, nullptr, 0), 0);
  ASSERT_TRUE(instance_of(h)->libc_written);
  EXPECT_NE(__sdrad_call_with(h, crashes, nullptr, 0), 0);
  ASSERT_EQ(__sdrad_call_with(h, nothing, nullptr, 0), 0);
  sdrad::Instance *in = instance_of(h);
  EXPECT_FALSE(in->libc_written);
  EXPECT_NE(in->pkru & sdrad::g_shared.libc_wd_bits, 0u);
}

// Root faults whose program handler jumps out (signals.cpp,
// signal_handlers_left_by_jump): each gave its signal level back only
// lazily, if ever; past 8 levels the grant of a first write was refused
// and the domain's legitimate write to libc's data became a fault.
TEST(LibcDataKey, FirstWriteIsGrantedAfterRootFaultHandlersLeftBySiglongjmp) {
  if (!libc_keyed()) GTEST_SKIP() << "needs PKU and the key for libc's data";
  int64_t h = domain("libckey.after-jumps");
  handlers_left_by_jump(SIGSEGV, 10);
  sdrad_clear_fault();
  EXPECT_EQ(__sdrad_call_with(h, rewrites_stdout_flags, nullptr, 0), 0);
  EXPECT_TRUE(instance_of(h)->libc_written);
}
