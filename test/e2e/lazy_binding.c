/* lazy_binding.c - a program linked with -z lazy (as SDRaD's own example
 * Makefile links): the first call of each imported function happens inside
 * a domain.  With lazy binding that call would make the dynamic linker write
 * the executable's GOT, root memory under pku, and fault on every call.
 * The runtime binds the executable's PLT at start-up: every JUMP_SLOT of
 * this executable must point outside it before main runs (that check fails
 * on any machine when the runtime does not bind), and the calls from the
 * domain must succeed (that part fails under pku). */
#define _GNU_SOURCE
#include "e2e.h"

#include <elf.h>
#include <link.h>
#include <stdint.h>
#include <string.h>

static int check_exe(struct dl_phdr_info *info, size_t size, void *p) {
  (void)size;
  uintptr_t lo = UINTPTR_MAX, hi = 0;
  const ElfW(Dyn) *dyn = NULL;
  for (int i = 0; i < info->dlpi_phnum; ++i) {
    const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
    if (ph->p_type == PT_DYNAMIC) dyn = (const ElfW(Dyn) *)(info->dlpi_addr + ph->p_vaddr);
    if (ph->p_type != PT_LOAD || !(ph->p_flags & PF_X)) continue;
    if (info->dlpi_addr + ph->p_vaddr < lo) lo = info->dlpi_addr + ph->p_vaddr;
    if (info->dlpi_addr + ph->p_vaddr + ph->p_memsz > hi) hi = info->dlpi_addr + ph->p_vaddr + ph->p_memsz;
  }
  CHECK(dyn != NULL, "no dynamic section");
  const ElfW(Rela) *rel = NULL;
  size_t n = 0;
  int bind_now = 0;
  for (; dyn->d_tag != DT_NULL; ++dyn) {
    if (dyn->d_tag == DT_JMPREL) rel = (const ElfW(Rela) *)dyn->d_un.d_ptr;
    if (dyn->d_tag == DT_PLTRELSZ) n = dyn->d_un.d_val / sizeof(ElfW(Rela));
    if (dyn->d_tag == DT_BIND_NOW) bind_now = 1;
    if (dyn->d_tag == DT_FLAGS && (dyn->d_un.d_val & DF_BIND_NOW)) bind_now = 1;
    if (dyn->d_tag == DT_FLAGS_1 && (dyn->d_un.d_val & DF_1_NOW)) bind_now = 1;
  }
  CHECK(!bind_now, "the test program must be linked with lazy binding");
  CHECK(rel != NULL && n > 0, "no PLT relocations");
  if ((uintptr_t)rel < info->dlpi_addr) rel = (const ElfW(Rela) *)((uintptr_t)rel + info->dlpi_addr);
  int unbound = 0;
  for (size_t i = 0; i < n; ++i) {
    if (ELF64_R_TYPE(rel[i].r_info) != R_X86_64_JUMP_SLOT) continue;
    uintptr_t target = *(uintptr_t *)(info->dlpi_addr + rel[i].r_offset);
    if (target >= lo && target < hi) ++unbound;
  }
  *(int *)p = unbound;
  return 1;
}

/* Each imported function is first called here, inside the domain. */
SDRAD_ISOLATE(fallback_value(-1))
static int use_imports(int x) {
  char buf[64];
  snprintf(buf, sizeof buf, "%d", x);
  long v = strtol(buf, NULL, 10);
  char *copy = strdup(buf);
  int same = strcmp(copy, buf) == 0;
  free(copy);
  return (int)labs(v) + same;
}

int main(void) {
  int unbound = -1;
  dl_iterate_phdr(check_exe, &unbound);
  CHECK_EQ(unbound, 0);
  for (int i = 0; i < 100; ++i) {
    CHECK_EQ(use_imports(-i), i + 1);
    CHECK_EQ(take_fault(), 0);
  }
  puts("lazy_binding: ok");
  return 0;
}
