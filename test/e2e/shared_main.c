#include "shared.h"

int main(void) {
  struct node *head = store_new(1);
  CHECK(head != NULL, "store_new failed");
  int64_t h = sdrad_domain_by_name("store", 0);
  CHECK(h > 0, "no domain 'store': %lld", (long long)h);
  CHECK(sdrad_owns(h, head), "the list head is not in the store heap");
  long want = 1;
  for (int i = 2; i <= 200; ++i) {
    CHECK_EQ(store_push(head, i), 0);
    want += i;
    CHECK_EQ(store_sum(head), want);
  }
  CHECK(sdrad_owns(h, head->next), "pushed nodes are not in the store heap");
  sdrad_domain_stats st;
  CHECK_EQ(sdrad_get_stats(h, &st), 0);
  CHECK(st.calls >= 399, "store calls: %llu", (unsigned long long)st.calls);
  /* A fault discards the domain's memory, the list with it; the domain
   * itself keeps working. */
  CHECK_EQ(store_crash(head), -1);
  CHECK(take_fault() != 0, "store_crash did not fault");
  struct node *again = store_new(5);
  CHECK(again != NULL, "store_new after the fault failed");
  CHECK_EQ(store_push(again, 6), 0);
  CHECK_EQ(store_sum(again), 11);
  printf("shared domain across TUs: OK\n");
  return 0;
}
