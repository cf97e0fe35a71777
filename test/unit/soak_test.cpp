// Soak: 100,000 consecutive faulting calls leak neither memory nor
// descriptors.  (Named Soak* so the PKU lane can run a shorter filter.)
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_util.h"

using namespace sdrad_test;

namespace {
long resident_kib() {
  FILE *f = fopen("/proc/self/status", "r");
  char line[256];
  long kib = -1;
  while (fgets(line, sizeof(line), f))
    if (!strncmp(line, "VmRSS:", 6)) kib = atol(line + 6);
  fclose(f);
  return kib;
}
int open_fds() {
  int n = 0;
  DIR *d = opendir("/proc/self/fd");
  while (readdir(d)) ++n;
  closedir(d);
  return n;
}
struct B {
  int i;
};
}  // namespace

TEST(Soak, HundredThousandFaultsLeakNothing) {
  int64_t h = domain("soak");
  int n = getenv("SDRAD_SOAK_CALLS") ? atoi(getenv("SDRAD_SOAK_CALLS")) : 100000;
  // Warm up so that first-use allocations are not counted.
  for (int i = 0; i < 100; ++i) {
    InDomain<B> d(h);
    d.run([](B *) {
      opaque(memset(malloc(1000), 1, 1000));
      *(volatile int *)nullptr = 0;
    });
  }
  long rss0 = resident_kib();
  int fds0 = open_fds();
  int wrong = 0;
  for (int i = 0; i < n; ++i) {
    InDomain<B> d(h);
    d.b->i = i;
    int st = d.run([](B *b) {
      opaque(memset(malloc(1000 + b->i % 5000), 1, 1000));
      if (b->i % 2) *(volatile int *)nullptr = 0;
      abort();
    });
    wrong += st != SDRAD_FAULT_SEGV && st != SDRAD_FAULT_ABORT;
  }
  long rss1 = resident_kib();
  EXPECT_EQ(wrong, 0);
  EXPECT_LT(rss1 - rss0, 1024) << "resident memory grew by " << (rss1 - rss0) << " KiB over " << n << " faults";
  EXPECT_EQ(open_fds(), fds0);
}
