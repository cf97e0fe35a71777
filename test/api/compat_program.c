/* A program written for the original SDRaD C library, built with GCC as its
 * users build it (test api.gcc.compat_program): the init/enter/exit
 * pattern, a fault rewound out of sdrad_init, sdrad_call and a data domain.
 * Compiled with -O0 and a frame pointer, as SDRaD requires of the code
 * between sdrad_enter and sdrad_exit (docs/sdrad-api.md).  Exits non-zero
 * with a message when a check fails. */
#include <sdrad_api.h>
#include <stdio.h>
#include <stdlib.h>

#define CHECK(c)                                                      \
  do {                                                                \
    if (!(c)) {                                                       \
      fprintf(stderr, "%s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #c); \
      exit(1);                                                        \
    }                                                                 \
  } while (0)

static const long kFlags = SDRAD_EXECUTION_DOMAIN | SDRAD_NONISOLATED_DOMAIN;

static void __attribute__((noinline)) work_ok(int *out) { *out = 42; }
static void __attribute__((noinline)) work_crash(int *out) {
  (void)out;
  *(volatile int *)0 = 1;
}

/* The classic pattern: what the domain produced, or -1 after a fault. */
static int __attribute__((noinline)) pattern(uint64_t udi, void (*work)(int *)) {
  int *out = NULL;
  int32_t err = sdrad_init(udi, kFlags);
  if (err == SDRAD_SUCCESSFUL_RETURNED || err == SDRAD_WARNING_SAVE_EC) {
    out = (int *)sdrad_malloc(udi, sizeof(int));
    CHECK(out != NULL);
    sdrad_enter(udi);
    work(out);
    sdrad_exit();
    sdrad_deinit(udi);
    int v = *out;
    sdrad_free(udi, out);
    return v;
  }
  CHECK(err == (int32_t)udi);
  return -1;
}

struct arg {
  int a, b, sum;
};
static int32_t add(struct arg *x) {
  x->sum = x->a + x->b;
  return x->sum * 2;
}
static int32_t crash(struct arg *x) {
  (void)x;
  abort();
}

int main(void) {
  CHECK(pattern(11, work_ok) == 42);
  CHECK(pattern(11, work_ok) == 42); /* second init: SDRAD_WARNING_SAVE_EC */
  CHECK(pattern(12, work_crash) == -1);
  CHECK(pattern(12, work_ok) == 42); /* usable again after the fault */
  CHECK(sdrad_destroy(11, SDRAD_NO_HEAP_MERGE) == 0);
  CHECK(sdrad_destroy(12, 0) == 0);

  CHECK(sdrad_init(13, kFlags) == SDRAD_SUCCESSFUL_RETURNED);
  struct arg arg = {2, 3, 0};
  int32_t ret = 0;
  CHECK(sdrad_call(13, (int32_t(*)())(void *)add, &arg, sizeof(arg), &ret) == SDRAD_SUCCESSFUL_RETURNED);
  CHECK(ret == 10 && arg.sum == 5);
  CHECK(sdrad_call(13, (int32_t(*)())(void *)crash, &arg, sizeof(arg), &ret) == 13);
  CHECK(sdrad_deinit(13) == 0);
  CHECK(sdrad_destroy(13, 0) == 0);

  CHECK(sdrad_init(14, SDRAD_DATA_DOMAIN) == SDRAD_SUCCESSFUL_RETURNED);
  int *v = (int *)sdrad_calloc(14, 8, sizeof(int));
  CHECK(v != NULL && v[7] == 0);
  v[7] = 7;
  sdrad_free(14, v);
  CHECK(sdrad_destroy(14, 0) == 0);

  puts("compat_program: ok");
  return 0;
}
