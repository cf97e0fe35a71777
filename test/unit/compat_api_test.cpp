// The SDRaD-compatible API (sdrad_api.h): the init/enter/exit pattern,
// rewinds out of sdrad_init with the udi, data domains, and error codes.
#include <errno.h>
#include <malloc.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#include <atomic>
#include <thread>

#include "internal.h"
#include "sdrad_api.h"
#include "test_util.h"

namespace {
constexpr long kFlags = SDRAD_EXECUTION_DOMAIN | SDRAD_NONISOLATED_DOMAIN;

__attribute__((noinline)) void work_ok(int *out) { *out = 42; }
__attribute__((noinline)) void work_crash(int *) { *(volatile int *)nullptr = 1; }

// The classic SDRaD pattern; returns what the domain produced, or -1.
__attribute__((noinline)) int pattern(uint64_t udi, void (*work)(int *)) {
  int *out = (int *)sdrad_malloc(udi, sizeof(int));
  int32_t err = sdrad_init(udi, kFlags);
  if (err == SDRAD_SUCCESSFUL_RETURNED || err == SDRAD_WARNING_SAVE_EC) {
    if (!out) out = (int *)sdrad_malloc(udi, sizeof(int));
    sdrad_enter(udi);
    work(out);
    sdrad_exit();
    sdrad_deinit(udi);
    int v = *out;
    sdrad_free(udi, out);
    return v;
  }
  EXPECT_EQ(err, (int32_t)udi);
  return -1;
}
}  // namespace

TEST(CompatApi, EnterExitPatternRunsInDomain) {
  EXPECT_EQ(pattern(101, work_ok), 42);
  EXPECT_EQ(pattern(101, work_ok), 42);  // second init: WARNING_SAVE_EC path
  EXPECT_EQ(sdrad_destroy(101, SDRAD_NO_HEAP_MERGE), 0);
}

TEST(CompatApi, FaultReturnsUdiFromInit) {
  EXPECT_EQ(pattern(102, work_crash), -1);
  sdrad_fault f;
  ASSERT_TRUE(sdrad_last_fault(&f));
  EXPECT_EQ(f.udi, 102u);
  EXPECT_EQ(f.kind, SDRAD_FAULT_SEGV);
  EXPECT_EQ(sdrad_depth(), 0);
  // The domain was discarded; it can be initialised and used again.
  EXPECT_EQ(pattern(102, work_ok), 42);
  EXPECT_EQ(sdrad_destroy(102, 0), 0);
}

TEST(CompatApi, SecondInitReturnsWarningOrAlreadyInit) {
  ASSERT_EQ(sdrad_init(103, kFlags), SDRAD_SUCCESSFUL_RETURNED);
  EXPECT_EQ(sdrad_init(103, kFlags), SDRAD_ERROR_DOMAIN_ALREADY_INIT);
  EXPECT_EQ(sdrad_deinit(103), 0);
  EXPECT_EQ(sdrad_init(103, kFlags), SDRAD_WARNING_SAVE_EC);
  EXPECT_EQ(sdrad_deinit(103), 0);
  EXPECT_EQ(sdrad_destroy(103, 0), 0);
}

TEST(CompatApi, BadInputGetsErrorCodes) {
  EXPECT_EQ(sdrad_init(0, kFlags), SDRAD_ERROR_WRONG_CONFIG) << "udi 0 is the root domain";
  EXPECT_EQ(sdrad_init(104, SDRAD_EXECUTION_DOMAIN | SDRAD_DATA_DOMAIN), SDRAD_ERROR_WRONG_CONFIG);
  EXPECT_EQ(sdrad_init(104, SDRAD_ISOLATED_DOMAIN), SDRAD_ERROR_WRONG_CONFIG);
  EXPECT_EQ(sdrad_init(104, SDRAD_EXECUTION_DOMAIN | SDRAD_ISOLATED_DOMAIN | SDRAD_NONISOLATED_DOMAIN),
            SDRAD_ERROR_WRONG_CONFIG);
  EXPECT_EQ(sdrad_enter(999), SDRAD_ERROR_NO_DOMAIN);
  EXPECT_EQ(sdrad_deinit(999), SDRAD_ERROR_NO_DOMAIN);
  EXPECT_EQ(sdrad_destroy(999, 0), SDRAD_ERROR_NO_DOMAIN);
  EXPECT_EQ(sdrad_dprotect(999, 998, SDRAD_READ_ACCESS), SDRAD_ERROR_NO_DOMAIN);
  EXPECT_EQ(sdrad_malloc(999, 10), nullptr);
  testing::internal::CaptureStderr();
  sdrad_exit();  // exit without enter: reported and ignored
  EXPECT_NE(testing::internal::GetCapturedStderr().find("without a matching sdrad_enter"), std::string::npos);
  EXPECT_EQ(sdrad_depth(), 0);
}

TEST(CompatApi, EnterOfDestroyedDomainIsRefused) {
  ASSERT_EQ(sdrad_init(105, kFlags), SDRAD_SUCCESSFUL_RETURNED);
  ASSERT_EQ(sdrad_destroy(105, 0), 0);
  EXPECT_EQ(sdrad_enter(105), SDRAD_ERROR_NO_DOMAIN);
  EXPECT_EQ(sdrad_malloc(105, 8), nullptr);
}

TEST(CompatApi, HeapMergeIsRefusedClearly) {
  ASSERT_EQ(sdrad_init(106, kFlags), SDRAD_SUCCESSFUL_RETURNED);
  testing::internal::CaptureStderr();
  EXPECT_EQ(sdrad_destroy(106, SDRAD_HEAP_MERGE), SDRAD_ERROR_WRONG_CONFIG);
  EXPECT_NE(testing::internal::GetCapturedStderr().find("HEAP_MERGE"), std::string::npos);
  EXPECT_EQ(sdrad_destroy(106, 0), 0);
}

TEST(CompatApi, DataDomainHeapAndDprotect) {
  ASSERT_EQ(sdrad_init(110, SDRAD_DATA_DOMAIN), SDRAD_SUCCESSFUL_RETURNED);
  char *shared = (char *)sdrad_malloc(110, 64);
  ASSERT_NE(shared, nullptr);
  strcpy(shared, "data domain");
  void *aligned = nullptr;
  EXPECT_EQ(sdrad_memalign(110, &aligned, 128, 100), 0);
  EXPECT_EQ((uintptr_t)aligned % 128, 0u);
  char *grown = (char *)sdrad_realloc(110, shared, 4096);
  ASSERT_NE(grown, nullptr);
  EXPECT_STREQ(grown, "data domain");
  int *zeros = (int *)sdrad_calloc(110, 16, sizeof(int));
  for (int i = 0; i < 16; ++i) EXPECT_EQ(zeros[i], 0);
  ASSERT_EQ(sdrad_init(111, kFlags), SDRAD_SUCCESSFUL_RETURNED);
  EXPECT_EQ(sdrad_dprotect(111, 110, SDRAD_WRITE_ACCESS), 0);
  EXPECT_EQ(sdrad_dprotect(111, 110, 7), SDRAD_ERROR_WRONG_CONFIG);
  EXPECT_EQ(sdrad_enter(110), SDRAD_ERROR_NO_DOMAIN) << "a data domain cannot be entered";
  sdrad_free(110, grown);
  sdrad_free(110, aligned);
  sdrad_free(110, zeros);
  EXPECT_EQ(sdrad_deinit(111), 0);
  EXPECT_EQ(sdrad_destroy(111, 0), 0);
  EXPECT_EQ(sdrad_destroy(110, 0), 0);
}

namespace {
struct Arg {
  int a, b, sum;
};
int32_t add(Arg *x) {
  x->sum = x->a + x->b;
  return x->sum * 2;
}
int32_t crash(Arg *) { abort(); }
}  // namespace

TEST(CompatApi, SdradCallRunsWithCopiedArgument) {
  ASSERT_EQ(sdrad_init(120, kFlags), SDRAD_SUCCESSFUL_RETURNED);
  Arg arg{2, 3, 0};
  int32_t ret = 0;
  EXPECT_EQ(sdrad_call(120, (int32_t(*)())(void *)add, &arg, sizeof(arg), &ret), SDRAD_SUCCESSFUL_RETURNED);
  EXPECT_EQ(ret, 10);
  EXPECT_EQ(arg.sum, 5);
  EXPECT_EQ(sdrad_call(120, (int32_t(*)())(void *)crash, &arg, sizeof(arg), &ret), 120);
  EXPECT_EQ(sdrad_deinit(120), 0);
  EXPECT_EQ(sdrad_destroy(120, 0), 0);
}

TEST(CompatApi, SdradCallOnUninitialisedUdiCreatesRunsAndDestroys) {
  Arg arg{4, 5, 0};
  int32_t ret = 0;
  ASSERT_LE(sdrad::domain_find_udi(121), 0);
  EXPECT_EQ(sdrad_call(121, (int32_t(*)())(void *)add, &arg, sizeof(arg), &ret), SDRAD_SUCCESSFUL_RETURNED);
  EXPECT_EQ(ret, 18) << "the function ran";
  EXPECT_EQ(arg.sum, 9);
  EXPECT_LE(sdrad::domain_find_udi(121), 0) << "the domain is destroyed after the call";
  EXPECT_EQ(sdrad_call(121, (int32_t(*)())(void *)crash, &arg, sizeof(arg), &ret), 121) << "a fault returns the udi";
  EXPECT_LE(sdrad::domain_find_udi(121), 0) << "and destroys the domain too";
  EXPECT_EQ(sdrad_call(121, (int32_t(*)())(void *)add, &arg, sizeof(arg), &ret), SDRAD_SUCCESSFUL_RETURNED);
  EXPECT_EQ(sdrad_call(SDRAD_ROOT_DOMAIN, (int32_t(*)())(void *)add, &arg, sizeof(arg), &ret),
            SDRAD_ERROR_WRONG_CONFIG);
}

TEST(CompatApi, SdradCallOnDeinitialisedDomainRunsAndDestroysIt) {
  ASSERT_EQ(sdrad_init(122, kFlags), SDRAD_SUCCESSFUL_RETURNED);
  ASSERT_EQ(sdrad_deinit(122), 0);
  Arg arg{1, 1, 0};
  int32_t ret = 0;
  EXPECT_EQ(sdrad_call(122, (int32_t(*)())(void *)add, &arg, sizeof(arg), &ret), SDRAD_SUCCESSFUL_RETURNED);
  EXPECT_EQ(ret, 4);
  EXPECT_LE(sdrad::domain_find_udi(122), 0);
}

TEST(CompatApi, RootUdiAllocatesFromRootHeap) {
  void *p = sdrad_malloc(SDRAD_ROOT_DOMAIN, 32);
  ASSERT_NE(p, nullptr);
  EXPECT_GE(malloc_usable_size(p), 32u);
  memset(p, 1, 32);  // root memory: root may write it
  // A root-heap chunk: root's free() takes it silently (it refuses, with a
  // message, pointers into a domain: Fault.FreeOfDomainPointerByRootIsRefused).
  testing::internal::CaptureStderr();
  free(p);
  EXPECT_EQ(testing::internal::GetCapturedStderr(), "");
  void *q = sdrad_malloc(SDRAD_ROOT_DOMAIN, 64);
  ASSERT_NE(q, nullptr);
  testing::internal::CaptureStderr();
  sdrad_free(SDRAD_ROOT_DOMAIN, q);
  EXPECT_EQ(testing::internal::GetCapturedStderr(), "");
}

namespace {
int g_compat_root_global = 77;
__attribute__((noinline)) void work_write_root(int *) { g_compat_root_global = 1; }
}  // namespace

TEST(CompatApi, EnteredDomainCannotWriteRootUnderPku) {
  if (sdrad_backend() != SDRAD_BACKEND_PKU) GTEST_SKIP() << "needs protection keys";
  EXPECT_EQ(pattern(130, work_write_root), -1) << "the write must fault inside the domain";
  EXPECT_EQ(g_compat_root_global, 77);
  sdrad_fault f;
  ASSERT_TRUE(sdrad_last_fault(&f));
  EXPECT_EQ(f.kind, SDRAD_FAULT_KEY_VIOLATION);
  EXPECT_EQ(pattern(130, work_ok), 42);
  EXPECT_EQ(sdrad_destroy(130, 0), 0);
}

namespace {
int32_t try_dprotect(Arg *x) { return sdrad_dprotect(141, 140, SDRAD_WRITE_ACCESS); }
}  // namespace

TEST(CompatApi, DomainCannotGrantItselfDataAccess) {
  ASSERT_EQ(sdrad_init(140, SDRAD_DATA_DOMAIN), SDRAD_SUCCESSFUL_RETURNED);
  ASSERT_EQ(sdrad_init(141, kFlags), SDRAD_SUCCESSFUL_RETURNED);
  Arg arg{};
  int32_t ret = 0;
  testing::internal::CaptureStderr();
  EXPECT_EQ(sdrad_call(141, (int32_t(*)())(void *)try_dprotect, &arg, sizeof(arg), &ret), SDRAD_SUCCESSFUL_RETURNED);
  EXPECT_EQ(ret, SDRAD_ERROR_WRONG_CONFIG);
  EXPECT_NE(testing::internal::GetCapturedStderr().find("only root code may grant"), std::string::npos);
  EXPECT_EQ(sdrad_dprotect(141, 140, SDRAD_READ_ACCESS), 0) << "root may";
  EXPECT_EQ(sdrad_deinit(141), 0);
  EXPECT_EQ(sdrad_destroy(141, 0), 0);
  EXPECT_EQ(sdrad_destroy(140, 0), 0);
}

namespace {
int32_t destroy_other(Arg *) { return sdrad_destroy(150, 0) * 10 + sdrad_deinit(150); }
int32_t manage_own_child(Arg *) {
  if (sdrad_init(152, SDRAD_DATA_DOMAIN) != SDRAD_SUCCESSFUL_RETURNED) return 1;
  return sdrad_destroy(152, 0);
}
}  // namespace

TEST(CompatApi, DomainMayOnlyManageDomainsItCreated) {
  ASSERT_EQ(sdrad_init(150, SDRAD_DATA_DOMAIN), SDRAD_SUCCESSFUL_RETURNED);
  ASSERT_EQ(sdrad_init(151, kFlags), SDRAD_SUCCESSFUL_RETURNED);
  Arg arg{};
  int32_t ret = 0;
  testing::internal::CaptureStderr();
  EXPECT_EQ(sdrad_call(151, (int32_t(*)())(void *)destroy_other, &arg, sizeof(arg), &ret), SDRAD_SUCCESSFUL_RETURNED);
  EXPECT_EQ(ret, SDRAD_ERROR_WRONG_CONFIG * 10 + SDRAD_ERROR_WRONG_CONFIG);
  EXPECT_NE(testing::internal::GetCapturedStderr().find("may only manage domains it created"), std::string::npos);
  EXPECT_NE(sdrad_malloc(150, 8), nullptr) << "domain 150 still exists";
  EXPECT_EQ(sdrad_call(151, (int32_t(*)())(void *)manage_own_child, &arg, sizeof(arg), &ret), SDRAD_SUCCESSFUL_RETURNED);
  EXPECT_EQ(ret, 0) << "its own child it may create and destroy";
  EXPECT_EQ(sdrad_deinit(151), 0);
  EXPECT_EQ(sdrad_destroy(151, 0), 0);
  EXPECT_EQ(sdrad_destroy(150, 0), 0);
}

TEST(CompatApi, DestroyedDomainCannotBeEnteredFromAnotherThread) {
  ASSERT_EQ(sdrad_init(160, kFlags), SDRAD_SUCCESSFUL_RETURNED);
  std::atomic<int> stage{0};
  int32_t status_after = 0;
  void *block_after = (void *)1;
  std::thread other([&] {
    Arg arg{2, 3, 0};
    int32_t ret = 0;
    // Gives this thread its own instance of the domain.
    if (sdrad_call(160, (int32_t(*)())(void *)add, &arg, sizeof(arg), &ret) != SDRAD_SUCCESSFUL_RETURNED) return;
    int64_t handle = sdrad::domain_find_udi(160);
    stage = 1;
    while (stage != 2) std::this_thread::yield();
    status_after = __sdrad_call(handle, [](void *) {}, nullptr);
    block_after = __sdrad_block_alloc(handle, 8);
  });
  while (stage != 1) std::this_thread::yield();
  ASSERT_EQ(sdrad_destroy(160, 0), 0);
  stage = 2;
  other.join();
  EXPECT_EQ(status_after, SDRAD_E_BAD_HANDLE) << "the instance another thread kept must not be entered";
  EXPECT_EQ(block_after, nullptr);
}

// Syscall confinement through the SDRaD-compatible API: refused system calls
// of an entered domain fault (rewind to sdrad_init) by default and fail with
// EPERM under SDRAD_SYSCALLS_EPERM; SDRAD_SYSCALLS_ANY lets them through.
namespace {
char g_compat_root_page[4096] __attribute__((aligned(4096)));

long compat_raw_mprotect(void *p) {
  long r;
  register long rdx __asm__("rdx") = PROT_READ | PROT_WRITE;
  __asm__ volatile("syscall" : "=a"(r) : "a"((long)SYS_mprotect), "D"(p), "S"(4096L), "r"(rdx) : "rcx", "r11", "memory");
  return r;
}

// The domain's mprotect of a root page: its result, or -1000 after a rewind.
__attribute__((noinline)) long compat_mprotect(uint64_t udi, long flags) {
  long *out = (long *)sdrad_malloc(udi, sizeof(long));
  int32_t err = sdrad_init(udi, flags);
  if (err == SDRAD_SUCCESSFUL_RETURNED || err == SDRAD_WARNING_SAVE_EC) {
    if (!out) out = (long *)sdrad_malloc(udi, sizeof(long));
    sdrad_enter(udi);
    *out = compat_raw_mprotect(g_compat_root_page);
    sdrad_exit();
    long v = *out;
    sdrad_deinit(udi);
    return v;
  }
  EXPECT_EQ(err, (int32_t)udi);
  EXPECT_EQ(sdrad_test::last_fault_kind(), SDRAD_FAULT_SYSCALL);
  return -1000;
}
}  // namespace

TEST(CompatApi, SyscallFlagsChooseTheDomainsConfinement) {
  if (!sdrad::g_shared.confine) GTEST_SKIP() << "no syscall confinement";
  EXPECT_EQ(compat_mprotect(131, kFlags), -1000);
  EXPECT_EQ(compat_mprotect(132, kFlags | SDRAD_SYSCALLS_EPERM), -EPERM);
  EXPECT_EQ(compat_mprotect(133, kFlags | SDRAD_SYSCALLS_ANY), 0);
  EXPECT_EQ(sdrad_init(134, kFlags | SDRAD_SYSCALLS_EPERM | SDRAD_SYSCALLS_ANY), SDRAD_ERROR_WRONG_CONFIG);
}
