// The start-up scan of executable memory (binary_scan.cpp) reads every byte
// of every library's code; it must not leave all of it resident.
#include <gtest/gtest.h>

#include <stdio.h>
#include <string.h>

namespace {

// Size and resident size (KiB) of the executable mapping of the library
// whose path contains `name`, from /proc/self/smaps; false if none.
bool code_mapping(const char *name, long *size_kib, long *rss_kib) {
  FILE *f = fopen("/proc/self/smaps", "r");
  if (!f) return false;
  char line[512];
  bool in = false, found = false;
  while (fgets(line, sizeof line, f)) {
    char perms[8] = {0};
    unsigned long lo, hi;
    if (sscanf(line, "%lx-%lx %7s", &lo, &hi, perms) == 3 && strchr(line, '-') < strchr(line, ' ')) {
      in = !found && perms[2] == 'x' && strstr(line, name);
      continue;
    }
    if (in && sscanf(line, "Size: %ld kB", size_kib) == 1) continue;
    if (in && sscanf(line, "Rss: %ld kB", rss_kib) == 1) found = true, in = false;
  }
  fclose(f);
  return found;
}

}  // namespace

TEST(BinaryScan, LeavesLibraryCodeTheProgramDoesNotRunUnmapped) {
  long size = 0, rss = 0;
  ASSERT_TRUE(code_mapping("libstdc++", &size, &rss)) << "this test needs libstdc++'s code mapping";
  ASSERT_GT(size, 256);
  // The scan read all of it; the tests run a small part of it.
  EXPECT_LT(rss, size * 9 / 10) << "resident " << rss << " KiB of " << size << " KiB";
}
