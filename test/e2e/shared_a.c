/* shared_a.c / shared_b.c / shared_main.c - functions of two translation
 * units naming the same domain "store" share it: a list built by one TU's
 * functions lives on in the domain heap and is extended and read by the
 * other's. */
#include "shared.h"

SDRAD_ISOLATE("store", shared)
struct node *store_new(int v) {
  struct node *n = (struct node *)malloc(sizeof *n);
  n->value = v;
  n->next = NULL;
  return n;
}

SDRAD_ISOLATE("store", fallback_value(-1))
long store_sum(SDRAD_SHARED struct node *head) {
  long s = 0;
  for (struct node *n = head; n; n = n->next)
    s += n->value;
  return s;
}
