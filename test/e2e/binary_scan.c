/* binary_scan.c - executable memory with unchecked PKRU-setting encodings
 * hidden inside other instructions (unaligned): the runtime's start-up scan
 * must see the WRPKRU here (0f 01 ef inside a mov's immediate), and the
 * scan after dlopen the XRSTORS in the library (argv[1], if given).
 * Checked by ctest on SDRAD_LOG output.  With "strict", it runs itself
 * again with SDRAD_BINARY_SCAN=strict and checks that the runtime refused
 * to start it (exit 70, the message on stderr). */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "e2e.h"

static int strict_child_refused(const char *self) {
  static const char *const env[] = {"SDRAD_BINARY_SCAN", "strict", NULL};
  char buf[4096];
  int st = rerun_self(self, NULL, env, buf, sizeof buf);
  int ok = st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 70 && strstr(buf, "SDRAD_BINARY_SCAN=strict") &&
           strstr(buf, "refusing to run");
  if (!ok) fprintf(stderr, "strict child: status %#x, stderr: %s\n", st, buf);
  return ok;
}

__attribute__((noinline)) unsigned hidden_wrpkru(void) {
  unsigned r;
  __asm__ volatile("mov $0x00ef010f, %0" : "=r"(r)); /* b8 0f 01 ef 00 */
  return r;
}

int main(int argc, char **argv) {
  if (argc > 1 && !strcmp(argv[1], "strict")) return strict_child_refused(argv[0]) ? 0 : 1;
  if (argc > 1) {
    void *h = dlopen(argv[1], RTLD_NOW);
    if (!h) {
      fprintf(stderr, "dlopen %s: %s\n", argv[1], dlerror());
      return 1;
    }
  }
  printf("ran %x\n", hidden_wrpkru());
  return 0;
}
