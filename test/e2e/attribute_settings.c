/* attribute_settings.c - the isolate attribute's per-domain settings:
 * timeout_ms(), heap_limit(), init(), on_discard() (no API call anywhere).
 *
 *   e2e_attribute_settings timeout     a looping call of a timeout_ms(200)
 *                                      function returns its fallback value,
 *                                      fault `timeout`, within 2x (net of
 *                                      run-queue waits, timing.h); the next
 *                                      call works
 *   e2e_attribute_settings heap_limit  an allocating loop of a
 *                                      heap_limit(8M) function gets NULL at
 *                                      8 MiB; the process lives on and the
 *                                      next call works
 *   e2e_attribute_settings forged_limit a heap_limit(4M) function that
 *                                      raises the limit field of its own
 *                                      heap header (a memory bug) still gets
 *                                      NULL at 4 MiB: the limit is the
 *                                      runtime's, not the header's
 *   e2e_attribute_settings hooks       init(f) runs in the domain once per
 *                                      instance and again after each fault;
 *                                      on_discard(g) runs in root after each
 *                                      fault
 *   e2e_attribute_settings conflict    a domain given two timeout_ms values
 *                                      by two translation units: calls through
 *                                      the one registered second fail with
 *                                      SDRAD_E_POLICY_CONFLICT, every time,
 *                                      reported once on stderr; the other and
 *                                      a domain both give the same value work
 */
#include "e2e.h"
#include "timing.h"

#include <pthread.h>
#include <string.h>
#include <time.h>

static volatile int spin = 1;

SDRAD_ISOLATE("looper", timeout_ms(200), fallback_value(-1))
int looper(int loop) {
  while (loop && spin) {
  }
  return 7;
}

static void timeout_mode(void) {
  for (int round = 0; round < 3; ++round) {
    struct call_time c;
    call_time_start(&c);
    int r = looper(1);
    call_time_stop(&c);
    CHECK_EQ(r, -1);
    CHECK_EQ(take_fault(), SDRAD_FAULT_TIMEOUT);
    CHECK_TIMED_OUT_IN_TIME(c, 200, "a timeout_ms(200) looping call");
    CHECK_EQ(looper(0), 7);
    CHECK_EQ(take_fault(), 0);
  }
}

/* Allocates 64 KiB blocks filled with `fill` until malloc fails: the bytes
 * it got, or -2 past `cap`.  Runs in the domain of its (isolated) caller. */
static long long allocate_until_refused(long long cap, int fill) {
  long long got = 0;
  char *volatile last; /* the blocks escape: malloc is not optimised away */
  for (;;) {
    char *p = malloc(65536);
    last = p;
    if (!p) return got;
    memset(p, fill, 65536);
    got += 65536;
    if (got > cap) return -2;
  }
}

/* Allocates 64 KiB blocks until malloc fails: the bytes it got, or -2 past
 * `cap`. */
SDRAD_ISOLATE("eater8", heap_limit(8M), fallback_value(-1))
long long eat(long long cap) { return allocate_until_refused(cap, 0xab); }

static void heap_limit_mode(void) {
  const long long mib = 1 << 20;
  for (int round = 0; round < 2; ++round) {
    long long got = eat(64 * mib);
    CHECK(got > 7 * mib && got <= 8 * mib, "got %lld bytes under heap_limit(8M)", got);
    CHECK_EQ(take_fault(), 0);
    int64_t h = sdrad_domain_by_name("eater8", 0);
    CHECK(h > 0, "domain");
    CHECK_EQ(sdrad_release_instance(h), 0); /* a fresh heap for round 2 */
  }
}

/* The heap header is at the start of the domain's heap region (a page
 * boundary at or below any block of it): magic "SDRaDHea", then first, top,
 * limit, region, in_use, high_water, and the limit field `cap` (bytes from
 * the region; 0 meant the whole region). */
enum { kHeaderCap = 7 };
static uint64_t *own_heap_header(void *block) {
  uintptr_t a = (uintptr_t)block & ~(uintptr_t)4095;
  for (int i = 0; i < 2048; ++i, a -= 4096) /* the block is in the first 8 MiB */
    if (*(volatile uint64_t *)a == 0x5344526144486561ull) return (uint64_t *)a;
  return NULL;
}

/* Raises its heap's limit field, then allocates 64 KiB blocks until malloc
 * fails: the bytes it got, -2 past `cap`, -3 if no header was found. */
SDRAD_ISOLATE("forger", heap_limit(4M), fallback_value(-1))
long long forge_and_eat(long long cap) {
  void *volatile first = malloc(16);
  uint64_t *hdr = own_heap_header(first);
  if (!hdr) return -3;
  hdr[kHeaderCap] = 0;
  return allocate_until_refused(cap, 0xcd);
}

static void forged_limit_mode(void) {
  const long long mib = 1 << 20;
  for (int round = 0; round < 2; ++round) {
    long long got = forge_and_eat(64 * mib);
    CHECK(got != -3, "no heap header found below the domain's first block");
    CHECK(got > 3 * mib && got <= 4 * mib, "got %lld bytes under heap_limit(4M) with a forged header", got);
    CHECK_EQ(take_fault(), 0);
    int64_t h = sdrad_domain_by_name("forger", 0);
    CHECK(h > 0, "domain");
    CHECK_EQ(sdrad_release_instance(h), 0); /* a fresh heap for round 2 */
  }
}

/* A "library" whose state lives in the domain heap. */
static __thread int *table;
static __thread int inits;      /* written inside the domain: key-0 TLS */
static int discards;            /* root memory: written by the hook, in root */
static int table_at_discard = 1;

static void lib_init(void) {
  table = malloc(16 * sizeof(int));
  for (int i = 0; i < 16; ++i) table[i] = i * i;
  inits++;
}

static void lib_discarded(void) {
  CHECK(sdrad_depth() == 0, "on_discard runs in root");
  table_at_discard = table != NULL;
  table = NULL; /* pointed into the discarded heap */
  discards++;
}

SDRAD_ISOLATE("lib", init(lib_init), on_discard(lib_discarded), fallback_value(-1))
int lib_use(int i) {
  if (i < 0) *(volatile int *)(uintptr_t)8 = 1; /* the bug */
  return table[i % 16];
}

static void *other_thread(void *arg) {
  (void)arg;
  CHECK_EQ(lib_use(3), 9); /* a new instance: init runs for it */
  CHECK_EQ(inits, 1);
  return NULL;
}

static void hooks_mode(void) {
  for (int round = 1; round <= 4; ++round) {
    for (int i = 0; i < 50; ++i) CHECK_EQ(lib_use(i), (i % 16) * (i % 16));
    CHECK_EQ(inits, round); /* once per instance, again after each fault */
    CHECK_EQ(lib_use(-1), -1);
    CHECK_EQ(take_fault(), SDRAD_FAULT_SEGV);
    CHECK_EQ(discards, round);
    CHECK(table_at_discard, "the hook ran before anything reset the table");
    CHECK(table == NULL, "the hook reset the library state");
  }
  pthread_t t;
  CHECK(pthread_create(&t, NULL, other_thread, NULL) == 0, "pthread_create");
  pthread_join(t, NULL);
  CHECK_EQ(inits, 4);
}

int conflict_main(void);
int conflict_other(void);
int agree_main(void);
int agree_other(void);

static void conflict_mode(const char *self) {
  int a = conflict_main(), ea = sdrad_last_error();
  int b = conflict_other(), eb = sdrad_last_error();
  /* Exactly one of the two registrations applied its value. */
  CHECK((a == 1) != (b == 2), "conflict_main %d, conflict_other %d", a, b);
  CHECK_EQ(a == 1 ? eb : ea, SDRAD_E_POLICY_CONFLICT);
  for (int i = 0; i < 5; ++i) {
    CHECK_EQ(conflict_main(), a);
    CHECK_EQ(conflict_other(), b);
  }
  CHECK_EQ(agree_main(), 3);
  CHECK_EQ(agree_other(), 4);
  CHECK_EQ(take_fault(), 0);
  /* Reported once, on stderr. */
  char err[4096];
  const char *env[] = {NULL};
  int st = rerun_self(self, "conflict_quiet", env, err, sizeof err);
  CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "rerun: status %d: %s", st, err);
  const char *msg = "domain 'cfg': timeout_ms given with two different values";
  char *at = strstr(err, msg);
  CHECK(at != NULL, "no report on stderr: '%s'", err);
  CHECK(strstr(at + 1, msg) == NULL, "reported more than once: '%s'", err);
}

int main(int argc, char **argv) {
  const char *mode = argc > 1 ? argv[1] : "";
  if (!strcmp(mode, "timeout"))
    timeout_mode();
  else if (!strcmp(mode, "heap_limit"))
    heap_limit_mode();
  else if (!strcmp(mode, "forged_limit"))
    forged_limit_mode();
  else if (!strcmp(mode, "hooks"))
    hooks_mode();
  else if (!strcmp(mode, "conflict"))
    conflict_mode(argv[0]);
  else if (!strcmp(mode, "conflict_quiet")) {
    for (int i = 0; i < 5; ++i) conflict_main(), conflict_other();
  } else {
    fprintf(stderr, "usage: %s timeout|heap_limit|forged_limit|hooks|conflict\n", argv[0]);
    return 2;
  }
  printf("ok %s\n", mode);
  return 0;
}

/* The first translation unit's view of two shared domains (the other is
 * attribute_settings_other.c). */
SDRAD_ISOLATE("cfg", timeout_ms(100), fallback_value(-1))
int conflict_main(void) { return 1; }
SDRAD_ISOLATE("agree", timeout_ms(300), heap_limit(16M), fallback_value(-1))
int agree_main(void) { return 3; }
