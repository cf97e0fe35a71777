/* nesting.c - an isolated function calling another isolated function
 * enters the callee's domain; a fault there rewinds to that call only, and
 * the caller's domain carries on. */
#include "e2e.h"

SDRAD_ISOLATE("inner", fallback_value(-1))
int inner(int x) {
  if (x < 0)
    abort();
  return sdrad_depth() * 1000 + x;
}

SDRAD_ISOLATE("outer", fallback_value(-2))
int outer(int x, int crash_outer) {
  int depth = sdrad_depth();
  int a = inner(x);      /* nested: depth + 1 */
  int b = inner(-x - 1); /* faults in the inner domain only */
  if (crash_outer)
    abort();
  return depth * 100000 + a * 10 + (b == -1);
}

int main(void) {
  CHECK_EQ(sdrad_depth(), 0);
  CHECK_EQ(inner(5), 1005);
  for (int i = 0; i < 1000; ++i) {
    CHECK_EQ(outer(i, 0), 100000 + (2000 + i) * 10 + 1);
    CHECK_EQ(take_fault(), SDRAD_FAULT_ABORT); /* the inner one */
  }
  CHECK_EQ(outer(3, 1), -2);
  CHECK_EQ(take_fault(), SDRAD_FAULT_ABORT);
  CHECK_EQ(sdrad_depth(), 0);
  CHECK_EQ(outer(4, 0), 100000 + 2004 * 10 + 1);
  printf("nesting: OK\n");
  return 0;
}
