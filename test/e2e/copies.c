/* copies.c - argument copy semantics of the thunk.
 *
 *   in      the domain works on a copy: the caller's buffer never changes
 *   out     the domain starts from zeros; copied back only on success
 *   inout   the domain sees the input; copied back only on success
 *   string  NUL-terminated copy
 *   NULL    passes as NULL
 *   canary  writing past a copy is a fault (canary), nothing is copied back
 *   by-value structs (in registers and in memory) and struct results
 */
#include "e2e.h"

#include <string.h>

struct small { int a, b; };
struct large { long v[6]; };

SDRAD_ISOLATE(fallback_value(-1))
int in_sum(SDRAD_IN(n) int *buf, int n) {
  int s = 0;
  for (int i = 0; i < n; ++i) {
    s += buf[i];
    buf[i] = -99; /* scribbles on its own copy */
  }
  return s;
}

/* mode 0: fill, 1: fault after filling, 2: overrun the copy by 8 bytes */
SDRAD_ISOLATE(fallback_value(-1))
int out_fill(SDRAD_OUT(n) int *buf, size_t n, int mode) {
  for (size_t i = 0; i < n; ++i)
    if (buf[i] != 0) /* out buffers start zeroed */
      return -2;
  for (size_t i = 0; i < n; ++i)
    buf[i] = (int)(100 + i);
  if (mode == 1)
    abort();
  if (mode == 2)
    memset(buf + n, 0x55, 8);
  return (int)n;
}

SDRAD_ISOLATE(fallback_value(-1))
int inout_double(SDRAD_INOUT(8) long *v, int fault) {
  for (int i = 0; i < 8; ++i)
    v[i] *= 2;
  if (fault)
    abort();
  return 8;
}

SDRAD_ISOLATE(fallback_value(-1))
int str_len(SDRAD_STRING char *s) {
  if (!s)
    return -3;
  int n = (int)strlen(s);
  if (n)
    s[0] = '#'; /* its own copy */
  return n;
}

SDRAD_ISOLATE()
int by_value(struct small s, struct large l, double d) {
  long t = 0;
  for (int i = 0; i < 6; ++i)
    t += l.v[i];
  return s.a * 1000 + s.b * 100 + (int)t + (int)d;
}

SDRAD_ISOLATE()
struct large make_large(long base, int fault) {
  struct large l;
  for (int i = 0; i < 6; ++i)
    l.v[i] = base + i;
  if (fault)
    abort();
  return l;
}

SDRAD_ISOLATE()
struct small make_small(int a) {
  struct small s = {a, -a};
  return s;
}

int main(void) {
  int buf[4] = {1, 2, 3, 4};
  for (int round = 0; round < 100; ++round) {
    /* in */
    CHECK_EQ(in_sum(buf, 4), 10);
    CHECK(buf[0] == 1 && buf[3] == 4, "in buffer changed: %d %d", buf[0],
          buf[3]);
    CHECK_EQ(in_sum(NULL, 0), 0);

    /* out: success copies back */
    int out[5] = {7, 7, 7, 7, 7};
    CHECK_EQ(out_fill(out, 5, 0), 5);
    for (int i = 0; i < 5; ++i)
      CHECK_EQ(out[i], 100 + i);
    /* out: a fault leaves the caller's buffer untouched */
    int keep[5] = {7, 7, 7, 7, 7};
    CHECK_EQ(out_fill(keep, 5, 1), -1);
    CHECK_EQ(take_fault(), SDRAD_FAULT_ABORT);
    for (int i = 0; i < 5; ++i)
      CHECK_EQ(keep[i], 7);
    /* out: overrunning the copy trips its canary */
    int over[7] = {7, 7, 7, 7, 7, 9, 9};
    CHECK_EQ(out_fill(over, 5, 2), -1);
    CHECK_EQ(take_fault(), SDRAD_FAULT_CANARY);
    for (int i = 0; i < 5; ++i)
      CHECK_EQ(over[i], 7);
    CHECK(over[5] == 9 && over[6] == 9, "bytes past the out buffer changed");
    CHECK_EQ(out_fill(NULL, 0, 0), 0);

    /* inout */
    long v[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    CHECK_EQ(inout_double(v, 0), 8);
    for (int i = 0; i < 8; ++i)
      CHECK_EQ(v[i], 2 * (i + 1));
    CHECK_EQ(inout_double(v, 1), -1);
    CHECK_EQ(take_fault(), SDRAD_FAULT_ABORT);
    for (int i = 0; i < 8; ++i)
      CHECK_EQ(v[i], 2 * (i + 1));

    /* string */
    char s[] = "isolated";
    CHECK_EQ(str_len(s), 8);
    CHECK(!strcmp(s, "isolated"), "string changed: %s", s);
    CHECK_EQ(str_len(NULL), -3);
    char empty[1] = "";
    CHECK_EQ(str_len(empty), 0);

    /* by value and struct results */
    struct small sm = {3, 4};
    struct large lg = {{1, 2, 3, 4, 5, 6}};
    CHECK_EQ(by_value(sm, lg, 7.9), 3000 + 400 + 21 + 7);
    struct large r = make_large(round, 0);
    for (int i = 0; i < 6; ++i)
      CHECK_EQ(r.v[i], round + i);
    r = make_large(round, 1);
    CHECK_EQ(take_fault(), SDRAD_FAULT_ABORT);
    for (int i = 0; i < 6; ++i)
      CHECK_EQ(r.v[i], 0); /* zero result on a fault */
    struct small ms = make_small(round);
    CHECK(ms.a == round && ms.b == -round, "make_small: %d %d", ms.a, ms.b);
  }
  CHECK_EQ(take_fault(), 0);
  printf("copies: OK\n");
  return 0;
}
