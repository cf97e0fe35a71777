/* binary_scan.c - executable memory with unchecked PKRU-setting encodings
 * hidden inside other instructions (unaligned): the runtime's start-up scan
 * must see the WRPKRU here (0f 01 ef inside a mov's immediate), and the
 * scan after dlopen the XRSTORS in the library (argv[1], if given).
 * Checked by ctest on SDRAD_LOG output; SDRAD_BINARY_SCAN=strict must
 * refuse to start. */
#include <dlfcn.h>
#include <stdio.h>

__attribute__((noinline)) unsigned hidden_wrpkru(void) {
  unsigned r;
  __asm__ volatile("mov $0x00ef010f, %0" : "=r"(r)); /* b8 0f 01 ef 00 */
  return r;
}

int main(int argc, char **argv) {
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
