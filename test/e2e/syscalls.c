/* System calls from domains isolated with the plugin: the default policy
 * turns a refused call into a fault of kind "syscall" (and the fallback
 * runs), syscalls(eperm) makes it fail with EPERM, syscalls(any) lets it
 * through; what libraries commonly do (stdio to stderr, growing the heap,
 * clocks) works under the default policy; SDRAD_REQUIRE_CONFINEMENT
 * refuses to start without confinement; SDRAD_CONFINEMENT=always-on
 * confines the same way, and an unknown mode refuses to start.  Mode:
 * default | eperm | any | common | require | modes. */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "e2e.h"

static char g_page[8192] __attribute__((aligned(4096)));

static long raw_mprotect(void *p, long len, long prot) {
  long r;
  register long rdx __asm__("rdx") = prot;
  __asm__ volatile("syscall" : "=a"(r) : "a"((long)SYS_mprotect), "D"(p), "S"(len), "r"(rdx) : "rcx", "r11", "memory");
  return r;
}

/* Makes a root page read-only (and back), with the system call instruction. */
SDRAD_ISOLATE("sys_default", fallback_value(-1000))
long mprotect_default(SDRAD_SHARED void *p) { return raw_mprotect(p, 4096, PROT_READ | PROT_WRITE); }
SDRAD_ISOLATE("sys_eperm", syscalls(eperm), fallback_value(-1000))
long mprotect_eperm(SDRAD_SHARED void *p) { return raw_mprotect(p, 4096, PROT_READ | PROT_WRITE); }
SDRAD_ISOLATE("sys_any", syscalls(any), fallback_value(-1000))
long mprotect_any(SDRAD_SHARED void *p) { return raw_mprotect(p, 4096, PROT_READ | PROT_WRITE); }

SDRAD_ISOLATE("sys_common", fallback_value(-1))
int common_calls(int n) {
  int ok = fprintf(stderr, "e2e.syscalls: stdio to stderr from a domain\n") > 0;
  struct timespec ts;
  ok &= clock_gettime(CLOCK_REALTIME, &ts) == 0;
  char *p = (char *)malloc((size_t)n << 20);  /* the domain heap grows */
  ok &= p != NULL;
  if (p) {
    memset(p, 7, (size_t)n << 20);
    ok &= p[((size_t)n << 20) - 1] == 7;
    free(p);
  }
  ok &= getpid() > 0;
  return ok;
}

/* SDRAD_REQUIRE_CONFINEMENT=1 with confinement unavailable (here: turned
 * off) is a start-up failure with a message: run self again that way. */
static void check_require(const char *self) {
  static const char *const env[] = {"SDRAD_CONFINEMENT", "0", "SDRAD_REQUIRE_CONFINEMENT", "1", NULL};
  char buf[2048];
  int st = rerun_self(self, "common", env, buf, sizeof buf);
  CHECK(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 70, "status %#x, stderr: %s", st, buf);
  CHECK(strstr(buf, "SDRAD_REQUIRE_CONFINEMENT") != NULL, "stderr: %s", buf);
}

/* The default and common checks again with dispatch on only during calls;
 * a misspelt mode is a start-up failure that names the variable. */
static void check_modes(const char *self) {
  static const char *const always[] = {"SDRAD_CONFINEMENT", "per-call", NULL};
  static const char *const bogus[] = {"SDRAD_CONFINEMENT", "sometimes", NULL};
  static const char *const modes[] = {"default", "eperm", "common"};
  char buf[2048];
  for (unsigned i = 0; i < sizeof modes / sizeof modes[0]; i++) {
    int st = rerun_self(self, modes[i], always, buf, sizeof buf);
    CHECK(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0, "per-call %s: status %#x, stderr: %s", modes[i], st,
          buf);
  }
  int st = rerun_self(self, "default", bogus, buf, sizeof buf);
  CHECK(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 70, "status %#x, stderr: %s", st, buf);
  CHECK(strstr(buf, "SDRAD_CONFINEMENT=sometimes") != NULL, "stderr: %s", buf);
}

int main(int argc, char **argv) {
  const char *mode = argc > 1 ? argv[1] : "default";
  sdrad_clear_fault();
  if (!strcmp(mode, "default")) {
    CHECK_EQ(mprotect_default(g_page), -1000);
    sdrad_fault f;
    CHECK(sdrad_last_fault(&f), "no fault recorded");
    CHECK_EQ(f.kind, SDRAD_FAULT_SYSCALL);
    CHECK_EQ(f.addr, SYS_mprotect);
  } else if (!strcmp(mode, "eperm")) {
    CHECK_EQ(mprotect_eperm(g_page), -EPERM);
    CHECK_EQ(take_fault(), 0);
  } else if (!strcmp(mode, "any")) {
    CHECK_EQ(mprotect_any(g_page), 0);
    CHECK_EQ(take_fault(), 0);
  } else if (!strcmp(mode, "modes")) {
    check_modes(argv[0]);
  } else if (!strcmp(mode, "require")) {
    check_require(argv[0]);
  } else if (!strcmp(mode, "common")) {
    CHECK_EQ(common_calls(64), 1);
    CHECK_EQ(take_fault(), 0);
  } else {
    CHECK(0, "unknown mode %s", mode);
  }
  g_page[0] = 1;  /* root's page is still writable */
  return 0;
}
