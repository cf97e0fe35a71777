// Unmapping the file pages that only the runtime's own reads made resident
// (runtime/src/resident_pages.cpp): the start-up's, and the binary scan's as
// it passes each mapping (binary_scan.cpp).
#include <gtest/gtest.h>

#include <elf.h>
#include <fcntl.h>
#include <link.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "resident_pages.h"

namespace {

constexpr size_t kPg = 4096;

// A private, read-only mapping of a new file of `pages` pages; page i holds
// the byte i except where the caller writes the file.
struct FileMapping {
  int fd = -1, pm = -1;
  uint8_t *p = nullptr;
  size_t pages;
  explicit FileMapping(size_t n) : pages(n) {
    char path[] = "/tmp/sdrad_resident_XXXXXX";
    fd = mkstemp(path);
    if (fd < 0) return;
    unlink(path);
    static uint8_t page[kPg];
    for (size_t i = 0; i < n; ++i) {
      memset(page, (int)i, kPg);
      if (pwrite(fd, page, kPg, (off_t)(i * kPg)) != (ssize_t)kPg) return;
    }
    pm = open("/proc/self/pagemap", O_RDONLY);
  }
  bool put(size_t off, const void *bytes, size_t n) { return pwrite(fd, bytes, n, (off_t)off) == (ssize_t)n; }
  bool map() {
    void *m = mmap(nullptr, pages * kPg, PROT_READ, MAP_PRIVATE, fd, 0);
    p = m == MAP_FAILED ? nullptr : (uint8_t *)m;
    return p != nullptr;
  }
  bool usable() const { return fd >= 0 && pm >= 0; }
  uint64_t entry(size_t i) const {
    uint64_t e = 0;
    if (pread(pm, &e, 8, (off_t)(((uintptr_t)p / kPg + i) * 8)) != 8) return 0;
    return e;
  }
  bool present(size_t i) const { return entry(i) >> 63; }
  uint8_t read(size_t i) const { return *(volatile uint8_t *)(p + i * kPg + 100); }
  // Makes page i an anonymous copy holding `v` (as a debugger's write would).
  bool write(size_t i, uint8_t v) {
    if (mprotect(p + i * kPg, kPg, PROT_READ | PROT_WRITE)) return false;
    p[i * kPg + 100] = v;
    return mprotect(p + i * kPg, kPg, PROT_READ) == 0;
  }
  ~FileMapping() {
    if (p) munmap(p, pages * kPg);
    if (fd >= 0) close(fd);
    if (pm >= 0) close(pm);
  }
};

}  // namespace

TEST(ResidentPages, UnmapsFilePagesReadAfterTheNoteAndKeepsThoseResidentBefore) {
  FileMapping f(32);
  ASSERT_TRUE(f.usable() && f.map()) << "needs a temporary file and /proc/self/pagemap";
  // The kernel maps up to 16 neighbours with page 0 (fault-around).
  EXPECT_EQ(f.read(0), 0);
  uint64_t absent[1] = {0};
  ASSERT_TRUE(sdrad::pages_note_absent(f.pm, (uintptr_t)f.p, 32, absent));
  EXPECT_EQ(absent[0] & 1, 0u) << "page 0 was read";
  EXPECT_EQ(absent[0] >> 16, 0xffffu) << "pages 16-31 were not";
  for (size_t i = 20; i < 28; ++i) EXPECT_EQ(f.read(i), i);
  EXPECT_GE(sdrad::pages_drop_file(f.pm, (uintptr_t)f.p, 0, 32, absent), 8u);
  for (size_t i = 0; i < 32; ++i)
    EXPECT_EQ(f.present(i), !((absent[0] >> i) & 1)) << "page " << i << ": resident before the note or not";
  for (size_t i = 0; i < 32; ++i) EXPECT_EQ(f.read(i), i) << "page " << i << " read again";
}

TEST(ResidentPages, KeepsAPageWrittenAfterTheNote) {
  FileMapping f(16);
  ASSERT_TRUE(f.usable() && f.map()) << "needs a temporary file and /proc/self/pagemap";
  uint64_t absent[1] = {0};
  ASSERT_TRUE(sdrad::pages_note_absent(f.pm, (uintptr_t)f.p, 16, absent));
  ASSERT_TRUE(f.write(5, 0xab));
  EXPECT_EQ(f.read(6), 6);
  sdrad::pages_drop_file(f.pm, (uintptr_t)f.p, 0, 16, absent);
  EXPECT_TRUE(f.present(5)) << "the written page is an anonymous copy: unmapping it would lose the write";
  EXPECT_EQ(f.read(5), 0xab);
  EXPECT_FALSE(f.present(6));
}

// A WRPKRU across the scan's 64-page window boundary and an XRSTOR further
// on, in pages that no one had read: found, and left unmapped again.
TEST(BinaryScan, FindsEncodingsInPagesThatWereNotResidentAndUnmapsThem) {
  FileMapping f(130);
  ASSERT_TRUE(f.usable()) << "needs a temporary file and /proc/self/pagemap";
  const uint8_t wrpkru[] = {0x0f, 0x01, 0xef}, xrstor[] = {0x0f, 0xae, 0x2f};  // xrstor (%rdi)
  ASSERT_TRUE(f.put(64 * kPg - 2, wrpkru, 3) && f.put(100 * kPg + 10, xrstor, 3));
  ASSERT_TRUE(f.map());
  for (size_t i = 0; i < 130; ++i) ASSERT_FALSE(f.present(i)) << "page " << i << " of a new mapping";
  EXPECT_EQ(sdrad::binary_scan_range((uintptr_t)f.p, (uintptr_t)f.p + 130 * kPg, "test file", true), 2);
  for (size_t i = 0; i < 130; ++i) EXPECT_FALSE(f.present(i)) << "page " << i << " left resident";
  EXPECT_EQ(memcmp(f.p + 64 * kPg - 2, wrpkru, 3), 0);
}

// The scan reads the memory, not the file: an encoding written into a
// mapped page (an anonymous copy now) is found, and the page kept.
TEST(BinaryScan, ScansWhatIsMappedNotWhatTheFileHolds) {
  FileMapping f(16);
  ASSERT_TRUE(f.usable() && f.map()) << "needs a temporary file and /proc/self/pagemap";
  ASSERT_EQ(mprotect(f.p + 9 * kPg, kPg, PROT_READ | PROT_WRITE), 0);
  const uint8_t wrpkru[] = {0x0f, 0x01, 0xef};
  memcpy(f.p + 9 * kPg + 7, wrpkru, 3);
  ASSERT_EQ(mprotect(f.p + 9 * kPg, kPg, PROT_READ), 0);
  EXPECT_EQ(sdrad::binary_scan_range((uintptr_t)f.p, (uintptr_t)f.p + 16 * kPg, "test file", true), 1);
  EXPECT_TRUE(f.present(9));
  EXPECT_EQ(memcmp(f.p + 9 * kPg + 7, wrpkru, 3), 0);
}

namespace {

int find_libm_eh_hdr(dl_phdr_info *info, size_t, void *out) {
  if (!strstr(info->dlpi_name, "libm.so")) return 0;
  for (int i = 0; i < info->dlpi_phnum; ++i)
    if (info->dlpi_phdr[i].p_type == PT_GNU_EH_FRAME) {
      *(uintptr_t *)out = info->dlpi_addr + info->dlpi_phdr[i].p_vaddr;
      return 1;
    }
  return 0;
}

}  // namespace

// The runtime's start-up reads the header of every object's unwind table
// (unwind_ranges.cpp); the kernel maps the 64 KiB around each read.  The
// program does not use libm's table (nothing here unwinds through libm):
// the page must not be resident after the start-up.
TEST(StartupPages, LibmsUnwindTableHeaderIsNotLeftResident) {
  const char *keep = getenv("SDRAD_STARTUP_PAGES");
  if (keep && !strcmp(keep, "keep")) GTEST_SKIP() << "SDRAD_STARTUP_PAGES=keep";
  uintptr_t hdr = 0;
  dl_iterate_phdr(find_libm_eh_hdr, &hdr);
  ASSERT_NE(hdr, 0u) << "this test needs libm loaded (libstdc++ depends on it)";
  int pm = open("/proc/self/pagemap", O_RDONLY);
  ASSERT_GE(pm, 0);
  uint64_t e = 0;
  ASSERT_EQ(pread(pm, &e, 8, (off_t)(hdr / kPg * 8)), 8);
  close(pm);
  EXPECT_FALSE(e >> 63) << "libm's .eh_frame_hdr page is resident";
}
