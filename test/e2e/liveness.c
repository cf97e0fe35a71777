/* liveness.c - calls that hang, eat memory, or leave library state behind.
 *
 *   e2e_liveness timeout       a looping call and a call blocked in read()
 *                              return `timeout` within 2x their limit (net
 *                              of the time threads waited for a CPU,
 *                              timing.h); the next calls work
 *   e2e_liveness timeout_stress 300 calls over a 2 ms limit in a row
 *   e2e_liveness heap_limit    an allocating loop gets NULL at the domain's
 *                              limit (set, and the default); the process
 *                              lives on and the next call works
 *   e2e_liveness stale_pointer a pointer root kept into a large domain heap
 *                              reads as zeros after a fault discarded that
 *                              heap (moved to a fresh slot, the old one
 *                              reclaimed in the background); no crash
 *   e2e_liveness library_state sdrad_set_init runs in the domain on the
 *                              first call and after every discard;
 *                              sdrad_on_discard runs in root; the epoch
 *                              changes on every discard and only then
 */
#include "e2e.h"
#include "timing.h"

#include <string.h>
#include <sys/sysinfo.h>
#include <time.h>
#include <unistd.h>

static volatile int spin_forever = 1;
static volatile uintptr_t bad_ptr = 8;
static __thread char *doc_big; /* key-0 TLS: keeps the big block alive */

SDRAD_ISOLATE("slow", fallback_value(-1))
static int slow(int mode, int fd) {
  if (mode == 0) return 7;
  if (mode == 1)
    while (spin_forever) {
    }
  char c;
  return (int)read(fd, &c, 1); /* mode 2: nothing ever comes */
}

static void timeout_mode(void) {
  int64_t h = sdrad_domain_by_name("slow", 0);
  CHECK(h > 0, "no domain");
  CHECK_EQ(sdrad_set_timeout(h, 200), 0);
  int p[2];
  CHECK(pipe(p) == 0, "pipe");
  for (int round = 0; round < 3; ++round) {
    for (int mode = 1; mode <= 2; ++mode) {
      struct call_time c;
      call_time_start(&c);
      int r = slow(mode, p[0]);
      call_time_stop(&c);
      CHECK_EQ(r, -1);
      CHECK_EQ(take_fault(), SDRAD_FAULT_TIMEOUT);
      CHECK_TIMED_OUT_IN_TIME(c, 200, mode == 1 ? "a looping call" : "a call blocked in read()");
      CHECK_EQ(slow(0, -1), 7);
      CHECK_EQ(take_fault(), 0);
    }
  }
  /* Quick calls are not affected: 100,000 of them. */
  for (int i = 0; i < 100000; ++i) CHECK_EQ(slow(0, -1), 7);
  CHECK_EQ(take_fault(), 0);
  CHECK_EQ(sdrad_set_timeout(h, 0), 0);
}

/* Many short limits in a row: the watchdog (period 1 ms) queues its signal
 * again while the thread is still being rewound; the extra signals must
 * find nothing to rewind. */
static void timeout_stress_mode(void) {
  int64_t h = sdrad_domain_by_name("slow", 0);
  CHECK(h > 0, "no domain");
  CHECK_EQ(sdrad_set_timeout(h, 2), 0);
  for (int i = 0; i < 300; ++i) {
    CHECK_EQ(slow(1, -1), -1);
    CHECK_EQ(take_fault(), SDRAD_FAULT_TIMEOUT);
    /* A quick call (a preemption of more than 2 ms may time it out too). */
    int r = slow(0, -1), kind = take_fault();
    CHECK(r == 7 ? kind == 0 : r == -1 && kind == SDRAD_FAULT_TIMEOUT, "quick call: %d, fault %d", r, kind);
  }
  CHECK_EQ(sdrad_set_timeout(h, 0), 0);
}

/* Allocates `chunk`-byte blocks until malloc fails; returns how many bytes
 * it got, or -2 if it never failed within `cap` bytes. */
SDRAD_ISOLATE("eater", fallback_value(-1))
static long long eat(size_t chunk, long long cap) {
  long long got = 0;
  char *volatile last; /* keeps the compiler from dropping the mallocs */
  for (;;) {
    char *p = malloc(chunk);
    last = p;
    if (!p) return got;
    memset(p, 0xab, 4096); /* touch a little of each block */
    got += (long long)chunk;
    if (got > cap) return -2;
  }
}

SDRAD_ISOLATE("eater", fallback_value(-1))
static int eater_ok(void) {
  char *p = malloc(1000);
  if (!p) return 0;
  strcpy(p, "fine");
  int r = (int)strlen(p);
  free(p);
  return r;
}

static void heap_limit_mode(void) {
  int64_t h = sdrad_domain_by_name("eater", 0);
  CHECK(h > 0, "no domain");
  const size_t mib = (size_t)1 << 20;
  CHECK_EQ(sdrad_set_heap_limit(h, 64 * mib), 0);
  /* SDRAD_LOG=1 (set by the test): the runtime's report goes to stderr,
   * here a temporary file. */
  FILE *log = tmpfile();
  CHECK(log != NULL, "tmpfile");
  fflush(stderr);
  int saved_err = dup(2);
  dup2(fileno(log), 2);
  long long got = eat(mib, (long long)(128 * mib));
  dup2(saved_err, 2);
  close(saved_err);
  char text[4096] = "";
  rewind(log);
  size_t len = fread(text, 1, sizeof text - 1, log);
  text[len] = 0;
  fclose(log);
  CHECK(strstr(text, "domain heap limit of 67108864 bytes reached") != NULL, "not reported: '%s'", text);
  CHECK(got > (long long)(60 * mib) && got <= (long long)(64 * mib), "got %lld bytes under a 64 MiB limit", got);
  CHECK_EQ(take_fault(), 0);
  CHECK_EQ(eater_ok(), 4);
  /* The default: an eighth of physical memory (at least 16 MiB), at most
   * the heap region (SDRAD_HEAP_SIZE, 1 GiB). */
  CHECK_EQ(sdrad_set_heap_limit(h, 0), 0);
  CHECK_EQ(sdrad_release_instance(h), 0); /* a fresh heap: the 64 MiB leaked */
  struct sysinfo si;
  CHECK(sysinfo(&si) == 0, "sysinfo");
  long long want = (long long)si.totalram * si.mem_unit / 8;
  if (want < (long long)(16 * mib)) want = (long long)(16 * mib);
  if (want > (long long)1 << 30) want = (long long)1 << 30;
  got = eat(8 * mib, want + (long long)(64 * mib));
  CHECK(got > want - (long long)(16 * mib) && got <= want, "got %lld bytes under the default limit of %lld", got, want);
  CHECK_EQ(take_fault(), 0);
  CHECK_EQ(eater_ok(), 4);
}

/* A "library" whose state lives in the domain: a table in the domain heap,
 * reached through key-0 TLS (as a shared library's globals would be). */
static __thread int *lib_table;
static __thread int lib_inits;
static int discards_seen; /* root memory: written by the hook in root */

static void lib_init(void) {
  lib_table = malloc(16 * sizeof(int));
  for (int i = 0; i < 16; ++i) lib_table[i] = i * i;
  lib_inits++;
}

static void lib_reset(int64_t handle, void *arg) {
  (void)handle;
  lib_table = NULL; /* pointed into the discarded heap */
  *(int *)arg += 1;
}

SDRAD_ISOLATE("lib", fallback_value(-1))
static int lib_use(int i) {
  if (i < 0) *(volatile int *)0 = 1; /* the bug */
  return lib_table[i % 16];
}

static void library_state_mode(void) {
  int64_t h = sdrad_domain_by_name("lib", 0);
  CHECK(h > 0, "no domain");
  CHECK_EQ(sdrad_set_init(h, lib_init), 0);
  CHECK_EQ(sdrad_on_discard(h, lib_reset, &discards_seen), 0);
  uint64_t e0 = sdrad_domain_epoch(h);
  for (int round = 1; round <= 5; ++round) {
    for (int i = 0; i < 100; ++i) CHECK_EQ(lib_use(i), (i % 16) * (i % 16));
    CHECK_EQ(lib_inits, round);
    CHECK_EQ(sdrad_domain_epoch(h), e0 + (uint64_t)(round - 1));
    CHECK_EQ(lib_use(-1), -1);
    CHECK_EQ(take_fault(), SDRAD_FAULT_SEGV);
    CHECK_EQ(discards_seen, round);
    CHECK(lib_table == NULL, "the hook reset the library state");
    CHECK_EQ(sdrad_domain_epoch(h), e0 + (uint64_t)round);
  }
}

SDRAD_ISOLATE("doc", shared, fallback_value(NULL))
static long *make_doc(int fault) {
  if (fault) return (long *)(uintptr_t)*(volatile long *)bad_ptr;
  char *volatile big = malloc(4 << 20); /* a large heap: discarded by moving */
  memset(big, 1, 4 << 20);
  doc_big = big;
  long *doc = malloc(64 * sizeof(long));
  for (int i = 0; i < 64; ++i) doc[i] = 1000 + i;
  return doc;
}

static void stale_pointer_mode(void) {
  int64_t h = sdrad_domain_by_name("doc", 0);
  CHECK(h > 0, "no domain");
  long *doc = make_doc(0);
  CHECK(doc != NULL, "no document");
  uint64_t epoch = sdrad_domain_epoch(h);
  CHECK_EQ(doc[5], 1005);
  CHECK(make_doc(1) == NULL, "the fault");
  CHECK_EQ(take_fault(), SDRAD_FAULT_SEGV);
  CHECK(sdrad_domain_epoch(h) != epoch, "the epoch tells the document is stale");
  usleep(200 * 1000); /* the old slot is reclaimed in the background */
  long sum = 0;
  for (int i = 0; i < 64; ++i) sum += ((volatile long *)doc)[i];
  CHECK_EQ(sum, 0);
  CHECK(make_doc(0) != NULL, "the next call works");
}

int main(int argc, char **argv) {
  CHECK(argc == 2, "usage: e2e_liveness timeout|heap_limit|library_state");
  if (!strcmp(argv[1], "timeout")) timeout_mode();
  else if (!strcmp(argv[1], "timeout_stress")) timeout_stress_mode();
  else if (!strcmp(argv[1], "heap_limit")) heap_limit_mode();
  else if (!strcmp(argv[1], "library_state")) library_state_mode();
  else if (!strcmp(argv[1], "stale_pointer")) stale_pointer_mode();
  else CHECK(0, "unknown mode %s", argv[1]);
  printf("liveness %s: ok\n", argv[1]);
  return 0;
}
