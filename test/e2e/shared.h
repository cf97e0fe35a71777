#ifndef SDRAD_E2E_SHARED_H
#define SDRAD_E2E_SHARED_H
#include "e2e.h"
#include <stdint.h>

struct node {
  int value;
  struct node *next;
};

#ifdef __cplusplus
extern "C" {
#endif
struct node *store_new(int v);
long store_sum(struct node *head);
int store_push(struct node *head, int v);
int store_crash(struct node *head);
#ifdef __cplusplus
}
#endif
#endif
