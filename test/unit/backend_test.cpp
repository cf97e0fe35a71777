// Backend selection and its environment variables.
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "test_util.h"

using namespace sdrad_test;

TEST(Backend, ReportsActiveBackend) {
  const char *name = sdrad_backend_name();
  EXPECT_TRUE(!strcmp(name, "pku") || !strcmp(name, "unprotected")) << name;
  EXPECT_EQ(pku(), !strcmp(name, "pku"));
}

class BackendDeathTest : public testing::Test {
 protected:
  void SetUp() override { GTEST_FLAG_SET(death_test_style, "threadsafe"); }
};

TEST_F(BackendDeathTest, RequirePkuRefusesToStartWithoutIt) {
  if (pku()) GTEST_SKIP() << "protection keys are available here";
  setenv("SDRAD_REQUIRE_PKU", "1", 1);
  EXPECT_EXIT((void)0, testing::ExitedWithCode(70), "SDRAD_REQUIRE_PKU is set but protection keys");
  unsetenv("SDRAD_REQUIRE_PKU");
}

TEST_F(BackendDeathTest, ForcingPkuWithoutItFails) {
  if (pku()) GTEST_SKIP() << "protection keys are available here";
  setenv("SDRAD_BACKEND", "pku", 1);
  EXPECT_EXIT((void)0, testing::ExitedWithCode(70), "SDRAD_BACKEND=pku but protection keys");
  unsetenv("SDRAD_BACKEND");
}

TEST_F(BackendDeathTest, UnknownBackendIsAnError) {
  setenv("SDRAD_BACKEND", "magic", 1);
  EXPECT_EXIT((void)0, testing::ExitedWithCode(70), "SDRAD_BACKEND=magic: expected 'pku' or 'unprotected'");
  unsetenv("SDRAD_BACKEND");
}

TEST_F(BackendDeathTest, UnprotectedBackendSaysIsolationIsNotEnforced) {
  setenv("SDRAD_BACKEND", "unprotected", 1);
  EXPECT_EXIT(
      {
        sdrad_domain_by_name("backend.warn", 0);
        exit(sdrad_backend() == SDRAD_BACKEND_UNPROTECTED ? 0 : 1);
      },
      testing::ExitedWithCode(0), "isolation is NOT enforced");
  unsetenv("SDRAD_BACKEND");
}

TEST_F(BackendDeathTest, BadSizeIsReportedAndDefaultUsed) {
  setenv("SDRAD_HEAP_SIZE", "lots", 1);
  EXPECT_EXIT(
      {
        sdrad_domain_by_name("backend.size", 0);
        exit(0);
      },
      testing::ExitedWithCode(0), "SDRAD_HEAP_SIZE=lots is not a size");
  unsetenv("SDRAD_HEAP_SIZE");
}

namespace {
// Two instances fit (two domains on this thread); the third is refused.
int three_instances_with_room_for_two() {
  int64_t a = sdrad_domain_by_name("backend.max.a", 0);
  int64_t b = sdrad_domain_by_name("backend.max.b", 0);
  int64_t c = sdrad_domain_by_name("backend.max.c", 0);
  bool ok = __sdrad_block_alloc(a, 8) && __sdrad_block_alloc(b, 8) && !__sdrad_block_alloc(c, 8);
  return ok ? 0 : 1;
}
}  // namespace

TEST_F(BackendDeathTest, MaxInstancesBoundsTheArena) {
  setenv("SDRAD_MAX_INSTANCES", "2", 1);
  EXPECT_EXIT(exit(three_instances_with_room_for_two()), testing::ExitedWithCode(0), "");
  unsetenv("SDRAD_MAX_INSTANCES");
}

namespace {
// With room for two instances, a discarded large heap's slot must come back
// (reclaimed in the background) for the instance to move into it again.
int old_slot_is_reclaimed_and_reused() {
  int64_t h = sdrad_domain_by_name("backend.reclaim", 0);
  auto *b = (char *)__sdrad_block_alloc(h, 16);
  __sdrad_call(h, [](void *) {}, b);
  uintptr_t first = sdrad::thread_state()->inst[h]->heap_lo;
  auto big_fault = [](void *) {
    memset(sdrad_test::opaque(malloc(1 << 20)), 1, 1 << 20);
    abort();
  };
  if (__sdrad_call(h, big_fault, __sdrad_block_alloc(h, 16)) != SDRAD_FAULT_ABORT) return 1;
  if (sdrad::thread_state()->inst[h]->heap_lo == first) return 2;
  usleep(300 * 1000);
  if (__sdrad_call(h, big_fault, __sdrad_block_alloc(h, 16)) != SDRAD_FAULT_ABORT) return 3;
  return sdrad::thread_state()->inst[h]->heap_lo == first ? 0 : 4;
}
}  // namespace

TEST_F(BackendDeathTest, DiscardedSlotsAreReclaimedInTheBackground) {
  setenv("SDRAD_MAX_INSTANCES", "2", 1);
  EXPECT_EXIT(exit(old_slot_is_reclaimed_and_reused()), testing::ExitedWithCode(0), "");
  unsetenv("SDRAD_MAX_INSTANCES");
}
