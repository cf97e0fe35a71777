#include "shared.h"

SDRAD_ISOLATE("store", fallback_value(-1))
int store_push(SDRAD_SHARED struct node *head, int v) {
  struct node *n = (struct node *)malloc(sizeof *n);
  n->value = v;
  n->next = head->next;
  head->next = n;
  return 0;
}

SDRAD_ISOLATE("store", fallback_value(-1))
int store_crash(SDRAD_SHARED struct node *head) {
  head->next = (struct node *)(uintptr_t)0x10; /* then walk it */
  long s = 0;
  for (struct node *n = head; n; n = n->next)
    s += n->value;
  return (int)s;
}
