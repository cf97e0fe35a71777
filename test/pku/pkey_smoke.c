/*
 * pkey_smoke.c - a minimal protection-key test with no dependency on the
 * runtime: allocates a key, write-disables it, writes, and checks that the
 * kernel delivered SIGSEGV with SEGV_PKUERR and the right si_pkey, that the
 * handler runs with the default PKRU and that read access still works.
 *
 * Exit: 0 pass; 1 fail; 0 with "SKIP" when pkey_alloc is not available and
 * neither --require nor SDRAD_REQUIRE_PKU=1 was given (the host without PKU).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

static sigjmp_buf g_back;
static volatile int g_code, g_pkey = -1;
static volatile uint32_t g_handler_pkru;

static uint32_t rdpkru(void) {
  uint32_t eax, edx;
  __asm__ volatile(".byte 0x0f,0x01,0xee" : "=a"(eax), "=d"(edx) : "c"(0));
  return eax;
}
static void wrpkru(uint32_t v) {
  __asm__ volatile(".byte 0x0f,0x01,0xef" ::"a"(v), "c"(0), "d"(0) : "memory");
}

static void on_segv(int sig, siginfo_t *si, void *uc) {
  (void)sig; (void)uc;
  g_handler_pkru = rdpkru();
  g_code = si->si_code;
  g_pkey = si->si_pkey;
  siglongjmp(g_back, 1);
}

int main(int argc, char **argv) {
  const char *env = getenv("SDRAD_REQUIRE_PKU");
  int require = (argc > 1 && strcmp(argv[1], "--require") == 0) || (env && strcmp(env, "1") == 0);
  int key = (int)syscall(SYS_pkey_alloc, 0, 0);
  if (key < 0) {
    printf("pkey_smoke: pkey_alloc: %s -> %s\n", strerror(errno), require ? "FAIL" : "SKIP");
    return require ? 1 : 0;
  }
  char *page = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (page == MAP_FAILED || syscall(SYS_pkey_mprotect, page, 4096, PROT_READ | PROT_WRITE, key) != 0) {
    printf("pkey_smoke: mmap/pkey_mprotect failed: %s\n", strerror(errno));
    return 1;
  }
  page[0] = 42;
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_segv;
  sa.sa_flags = SA_SIGINFO;
  sigaction(SIGSEGV, &sa, NULL);

  uint32_t before = rdpkru();
  int fails = 0;
  wrpkru(before | (2u << (2 * key))); /* write-disable the key */
  int readback = page[0];             /* reading is still allowed */
  if (sigsetjmp(g_back, 1) == 0) {
    *(volatile char *)page = 7;
    wrpkru(before);
    printf("pkey_smoke: write to a write-disabled key was NOT blocked\n");
    fails++;
  } else {
    wrpkru(before);
    printf("pkey_smoke: blocked: si_code=%d si_pkey=%d (key %d) handler PKRU=0x%08x\n", g_code,
           g_pkey, key, g_handler_pkru);
    if (g_code != 4 /* SEGV_PKUERR */) fails++;
    if (g_pkey != key) fails++;
  }
  if (readback != 42) {
    printf("pkey_smoke: read under write-disable returned %d\n", readback);
    fails++;
  }
  if (page[0] != 42) {
    printf("pkey_smoke: the page changed\n");
    fails++;
  }
  syscall(SYS_pkey_free, key);
  printf("pkey_smoke: %s\n", fails ? "FAIL" : "PASS");
  return fails ? 1 : 0;
}
