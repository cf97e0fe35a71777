/* threads.c - each thread has its own instance of a domain: a fault in one
 * thread's instance must not disturb calls running in other threads'
 * instances of the same domain (their copies, blocks and results) - not
 * even a stack smash that runs off the top of the faulting thread's domain
 * stack (as the example server's parser bug does). */
#include "e2e.h"

#include <pthread.h>
#include <string.h>

struct result {
  long sum;
  long count;
};

SDRAD_ISOLATE("worker", fallback_value(-1))
int summarize(SDRAD_IN(n) const long *v, int n, SDRAD_OUT(1) struct result *r,
              int crash) {
  long s = 0;
  for (int i = 0; i < n; ++i)
    s += v[i];
  if (crash == 1)
    abort();
  if (crash == 2) { /* smash upwards, past the top of the domain stack */
    volatile long tmp[4];
    /* Written through a pointer the optimiser cannot trace back to tmp:
     * indexing tmp itself past its end is undefined behaviour, and at -O3
     * the compiler drops those stores (the call then returns normally). */
    volatile long *p = tmp;
    __asm__ volatile("" : "+r"(p));
    for (int i = 0; i < 96; ++i)
      p[i] = 0x4141414141414141;
    return (int)tmp[1];
  }
  r->sum = s;
  r->count = n;
  return 0;
}

#define ROUNDS 3000

static void *good(void *arg) {
  long base = (long)(intptr_t)arg, v[8];
  for (int i = 0; i < ROUNDS; ++i) {
    for (int k = 0; k < 8; ++k)
      v[k] = base + i + k;
    struct result r = {-5, -5};
    int rc = summarize(v, 8, &r, 0);
    CHECK(rc == 0 && r.sum == 8 * (base + i) + 28 && r.count == 8,
          "thread %ld round %d: rc %d sum %ld count %ld", base, i, rc, r.sum,
          r.count);
  }
  return NULL;
}

static void *bad_once(void *arg) {
  long v[4] = {1, 2, 3, 4};
  int i = (int)(intptr_t)arg;
  struct result r = {-5, -5};
  CHECK_EQ(summarize(v, 4, &r, 1 + (i & 1)), -1);
  CHECK(r.sum == -5, "a failed call wrote its out buffer");
  CHECK_EQ(summarize(v, 4, &r, 0), 0);
  CHECK_EQ(r.sum, 10);
  return NULL;
}

/* Faults, each in a new short-lived thread (like a server's connection
 * threads). */
static void *bad(void *arg) {
  for (int i = 0; i < ROUNDS / 10; ++i) {
    pthread_t t;
    pthread_create(&t, NULL, bad_once, (void *)(intptr_t)i);
    pthread_join(t, NULL);
  }
  return NULL;
}

int main(void) {
  pthread_t t[4];
  pthread_create(&t[0], NULL, good, (void *)(intptr_t)1000);
  pthread_create(&t[1], NULL, good, (void *)(intptr_t)2000000);
  pthread_create(&t[2], NULL, good, (void *)(intptr_t)-3000);
  pthread_create(&t[3], NULL, bad, NULL);
  for (int i = 0; i < 4; ++i)
    pthread_join(t[i], NULL);
  printf("threads: OK\n");
  return 0;
}
