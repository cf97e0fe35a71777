/* faults.c - each way an isolated function can fail, recovered.
 *
 *   faults_{c,cxx} <mode>
 *
 * For the mode, three isolated functions with the same bug and different
 * alternate actions (fallback_value(-1), fallback(function), none: zero) are
 * each made to fault; the caller must get the alternate action's result and
 * sdrad_last_fault() the expected kind.  Then 1,000 more calls of each must
 * succeed with correct results.  Built as C (faults_c) and as C++
 * (faults_cxx, which adds the "throw" mode).
 */
#include "e2e.h"

#include <signal.h>
#include <string.h>

enum mode {
  OK,
  HEAP_OVERFLOW,
  STACK_OVERFLOW,
  WILD_WRITE,
  NULL_READ,
  DIV_ZERO,
  ABORT,
  RECURSION,
  THROW
};

static const char *const mode_names[] = {
    "ok",       "heap_overflow", "stack_overflow", "wild_write", "null_read",
    "div_zero", "abort",         "recursion",      "throw"};

/* Opaque to the optimizer, so the bugs stay in the code. */
static volatile int zero = 0;
static volatile size_t big = 4096;

static int __attribute__((noinline)) recurse(int n) {
  volatile char pad[256];
  pad[0] = (char)n;
  return recurse(n + 1) + pad[0];
}

/* The buggy code, run inside the domains. */
static int __attribute__((noinline)) work(int mode, int x) {
  switch (mode) {
  case HEAP_OVERFLOW: {
    /* Run off the end of a heap buffer, on through the end of the domain
     * heap (the test runs with SDRAD_HEAP_SIZE=1 MiB). */
    volatile char *p = (volatile char *)malloc(16);
    for (size_t i = 0; i < ((size_t)64 << 20); i += 512)
      p[i] = 'A';
    return p[0];
  }
  case STACK_OVERFLOW: {
    char buf[16];
    char src[64];
    memset(src, 'B', sizeof src);
    memcpy(buf, src, big / 64); /* 64 bytes into 16 */
    return buf[3];
  }
  case WILD_WRITE:
    *(volatile int *)(uintptr_t)0xdead0000 = x;
    break;
  case NULL_READ:
    return *(volatile int *)(uintptr_t)zero;
  case DIV_ZERO:
    return x / zero;
  case ABORT:
    abort();
  case RECURSION:
    return recurse(x);
#ifdef __cplusplus
  case THROW:
    throw x;
#endif
  }
  return 2 * x + 1;
}

SDRAD_ISOLATE(fallback_value(-1))
int victim_value(int mode, int x) { return work(mode, x); }

int victim_fallback_alt(int mode, int x) { return -1000 - mode - x; }

SDRAD_ISOLATE(fallback(victim_fallback_alt))
int victim_fallback(int mode, int x) { return work(mode, x); }

SDRAD_ISOLATE()
int victim_zero(int mode, int x) { return work(mode, x); }

static int expected_kind(int mode, int kind) {
  switch (mode) {
  case HEAP_OVERFLOW:
    /* The first guard page past the domain heap is reported as the
     * domain's stack guard: any memory fault will do. */
    return kind == SDRAD_FAULT_SEGV || kind == SDRAD_FAULT_KEY_VIOLATION ||
           kind == SDRAD_FAULT_HEAP_CORRUPTION ||
           kind == SDRAD_FAULT_STACK_OVERFLOW;
  case STACK_OVERFLOW:
    return kind == SDRAD_FAULT_STACK_PROTECTOR;
  case WILD_WRITE:
  case NULL_READ:
    return kind == SDRAD_FAULT_SEGV || kind == SDRAD_FAULT_KEY_VIOLATION;
  case DIV_ZERO:
    return kind == SDRAD_FAULT_FPE;
  case ABORT:
    return kind == SDRAD_FAULT_ABORT;
  case RECURSION:
    return kind == SDRAD_FAULT_STACK_OVERFLOW || kind == SDRAD_FAULT_SEGV;
  case THROW:
    return kind == SDRAD_FAULT_EXCEPTION;
  }
  return 0;
}

int main(int argc, char **argv) {
  CHECK(argc == 2, "usage: %s <mode>", argv[0]);
  int mode = -1;
  for (int i = 0; i < (int)(sizeof mode_names / sizeof *mode_names); ++i)
    if (!strcmp(argv[1], mode_names[i]))
      mode = i;
  CHECK(mode >= 0, "unknown mode %s", argv[1]);

  /* Warm up: all three domains work. */
  CHECK_EQ(victim_value(OK, 1), 3);
  CHECK_EQ(victim_fallback(OK, 2), 5);
  CHECK_EQ(victim_zero(OK, 3), 7);
  CHECK_EQ(take_fault(), 0);

  if (mode != OK) {
    int kind;
    CHECK_EQ(victim_value(mode, 5), -1);
    kind = take_fault();
    CHECK(expected_kind(mode, kind), "victim_value: fault kind %d (%s)", kind,
          sdrad_fault_kind_name(kind));
    CHECK_EQ(victim_fallback(mode, 5), -1000 - mode - 5);
    kind = take_fault();
    CHECK(expected_kind(mode, kind), "victim_fallback: fault kind %d (%s)",
          kind, sdrad_fault_kind_name(kind));
    CHECK_EQ(victim_zero(mode, 5), 0);
    kind = take_fault();
    CHECK(expected_kind(mode, kind), "victim_zero: fault kind %d (%s)", kind,
          sdrad_fault_kind_name(kind));
    printf("%s: recovered (%s)\n", mode_names[mode],
           sdrad_fault_kind_name(kind));
  }

  for (int i = 0; i < 1000; ++i) {
    CHECK_EQ(victim_value(OK, i), 2 * i + 1);
    CHECK_EQ(victim_fallback(OK, i + 1), 2 * i + 3);
    CHECK_EQ(victim_zero(OK, i + 2), 2 * i + 5);
  }
  CHECK_EQ(take_fault(), 0);
  printf("%s: 1000 calls after the fault OK\n", mode_names[mode]);
  return 0;
}
