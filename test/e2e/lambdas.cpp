// Isolated lambdas: SDRAD_IN(n) copies n elements (the count is found in the
// call operator), a fault in the lambda is recovered, and the next call
// sees its own fresh copy.  Built as C++17 and C++20.
#include "e2e.h"

#include <cstring>

int main() {
  auto sum = [](SDRAD_IN(n) const int *p, int n, int bad)
      SDRAD_ISOLATE("lambda", fallback_value(-1)) -> int {
        if (bad)
          *(volatile int *)nullptr = 1; // fault inside the domain
        int s = 0;
        for (int i = 0; i < n; ++i)
          s += p[i];
        return s;
      };
  int a[5] = {1, 2, 3, 4, 5};
  CHECK_EQ(sum(a, 5, 0), 15);
  CHECK_EQ(take_fault(), 0);
  CHECK_EQ(sum(a, 5, 1), -1);
  CHECK(take_fault() != 0, "the fault was not recorded");
  CHECK_EQ(sum(a, 3, 0), 6);

  // An out buffer written through the copy, in a generic lambda.
  auto fill = [](SDRAD_OUT(n) auto *out, int n, char c)
      SDRAD_ISOLATE("lambda") {
        for (int i = 0; i < n; ++i)
          out[i] = c;
        return n;
      };
  char buf[8];
  memset(buf, 'x', sizeof buf);
  CHECK_EQ(fill(buf, 4, 'q'), 4);
  CHECK(memcmp(buf, "qqqqxxxx", 8) == 0, "buf = %.8s", buf);
  return 0;
}
