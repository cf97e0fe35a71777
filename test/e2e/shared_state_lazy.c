/* A library's state made lazily in root on the shared heap
 * (sdrad_shared_allocations, docs/libraries.md) and kept in an internal
 * pointer global, which isolated code then updates.  Built at -O2: clang's
 * GlobalOpt turned the one allocation stored in `g_counter` into a static
 * variable (root memory), and under PKU the domain's first write faulted;
 * the plugin keeps such globals out of its reach. */
#include "e2e.h"

struct counter {
  int n;
};
static struct counter *g_counter;

static void counter_init(void) {
  int was = sdrad_shared_allocations(1);
  g_counter = malloc(sizeof *g_counter);
  sdrad_shared_allocations(was);
  CHECK(g_counter != NULL, "malloc failed");
  g_counter->n = 0;
}

SDRAD_ISOLATE("counter", fallback_value(-1))
int counter_bump(int by) {
  g_counter->n += by;
  return g_counter->n;
}

int main(void) {
  counter_init();
  int want = 0;
  for (int i = 1; i <= 5; ++i) {
    want += i;
    CHECK_EQ(counter_bump(i), want);
    CHECK_EQ(take_fault(), 0);
  }
  CHECK_EQ(g_counter->n, want);
  printf("shared state made lazily in root, updated in a domain: OK\n");
  return 0;
}
