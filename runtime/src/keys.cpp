// Protection keys: backend probe, key allocation, tagging memory, PKRU values.
#include <link.h>
#include <pthread.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <elf.h>
#include <fcntl.h>
#include <stdlib.h>

#include "internal.h"

namespace sdrad {

namespace {

// Raw syscalls: glibc's wrappers exist, but calling the kernel directly keeps
// the runtime independent of the libc version and of errno games.
long sys_pkey_alloc(unsigned flags, unsigned rights) {
  return syscall(SYS_pkey_alloc, flags, rights);
}
long sys_pkey_free(int key) { return syscall(SYS_pkey_free, key); }
long sys_pkey_mprotect(void *p, size_t len, int prot, int key) {
  return syscall(SYS_pkey_mprotect, p, len, prot, key);
}

bool cpu_has_ospke() {
  unsigned a, b, c, d;
  __asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(7), "c"(0));
  return (c >> 4) & 1;  // OSPKE: the OS enabled PKU (CR4.PKE)
}

}  // namespace

bool pku_probe() {
  if (!cpu_has_ospke()) return false;
  long k = sys_pkey_alloc(0, 0);
  if (k < 0) return false;
  sys_pkey_free((int)k);
  return true;
}

int key_alloc() {
  if (!g_shared.pku) return -1;
  // Rights 0 leave the calling thread's PKRU as it is (root, or elevated):
  // a key with restricted initial rights would change PKRU under our feet
  // and need an unchecked WRPKRU to undo.  Domains never run with a fresh
  // key's bits open: domain PKRUs cover all 15 keys.
  long k = sys_pkey_alloc(0, 0);
  return k < 0 ? -1 : (int)k;
}

// A key is given back to the kernel only when no instance's memory carries
// it any more: a domain destroyed while another thread still has an
// instance of it would otherwise hand that memory to the next domain that
// gets the key.
namespace {
std::atomic<int> g_key_users[16];
std::atomic<bool> g_key_orphaned[16];
}  // namespace

void key_hold(int key) {
  if (key > 0 && key < 16) g_key_users[key].fetch_add(1);
}

void key_release(int key) {
  if (key <= 0 || key >= 16) return;
  if (g_key_users[key].fetch_sub(1) == 1 && g_key_orphaned[key].exchange(false)) sys_pkey_free(key);
}

void key_free(int key) {
  if (key <= 0) return;
  if (key < 16 && g_key_users[key].load() > 0) {
    g_key_orphaned[key].store(true);
    // The last user may have left meanwhile.
    if (g_key_users[key].load() == 0 && g_key_orphaned[key].exchange(false)) sys_pkey_free(key);
    return;
  }
  sys_pkey_free(key);
}

int tag_memory(void *p, size_t len, int prot, int key) {
  if (g_shared.pku && key >= 0) return (int)sys_pkey_mprotect(p, len, prot, key);
  return mprotect(p, len, prot);
}

uint32_t pkru_bits(int key, bool allow_read, bool allow_write) {
  if (key <= 0) return 0;
  uint32_t ad = allow_read ? 0 : 1, wd = allow_write ? 0 : 1;
  return ((wd << 1) | ad) << (2 * key);
}

// PKRU of a domain: its own key read-write; key 0 read-write (libc, TLS);
// every other key read-only under integrity and closed under
// confidentiality; extra keys granted by sdrad_dprotect as asked.
uint32_t domain_pkru(int own_key, uint32_t policy, uint64_t extra_rw, uint64_t extra_ro) {
  uint32_t v = 0;
  for (int k = 1; k < 16; ++k) {
    if (k == own_key || (extra_rw >> k & 1)) continue;
    if (extra_ro >> k & 1) {
      v |= pkru_bits(k, true, false);
      continue;
    }
    v |= pkru_bits(k, policy == SDRAD_POLICY_INTEGRITY, false);
  }
  return v;
}

namespace {

struct ExeScan {
  int key;
  uintptr_t skip_lo, skip_hi;  // the shared page: stays key 0
  int done;
};

void tag_range_except(uintptr_t lo, uintptr_t hi, int key, uintptr_t skip_lo, uintptr_t skip_hi) {
  lo &= ~(kPage - 1);
  hi = align_up(hi, kPage);
  if (lo >= hi) return;
  if (skip_hi > lo && skip_lo < hi) {
    tag_range_except(lo, skip_lo, key, 0, 0);
    tag_range_except(skip_hi, hi, key, 0, 0);
    return;
  }
  if (tag_memory((void *)lo, hi - lo, PROT_READ | PROT_WRITE, key) != 0)
    log_line("could not tag %#lx-%#lx with key %d", lo, hi, key);
}

bool object_contains(const struct dl_phdr_info *info, uintptr_t a) {
  for (int i = 0; i < info->dlpi_phnum; ++i) {
    const ElfW(Phdr) &ph = info->dlpi_phdr[i];
    uintptr_t lo = info->dlpi_addr + ph.p_vaddr;
    if (ph.p_type == PT_LOAD && a >= lo && a < lo + ph.p_memsz) return true;
  }
  return false;
}

// Tags the writable data of the executable (the first object) and of the
// object holding the runtime itself (the same one when linked statically,
// libsdrad.so otherwise).
int scan_exe(struct dl_phdr_info *info, size_t, void *data) {
  auto *s = (ExeScan *)data;
  bool first = s->done++ == 0;
  if (!first && !object_contains(info, s->skip_lo)) return 0;
  uintptr_t lo, hi;
  for (int i = 0; i < info->dlpi_phnum; ++i)
    if (writable_segment(info, i, &lo, &hi)) tag_range_except(lo, hi, s->key, s->skip_lo, s->skip_hi);
  return 0;
}

}  // namespace

bool writable_segment(const struct dl_phdr_info *info, int i, uintptr_t *lo, uintptr_t *hi) {
  const ElfW(Phdr) &ph = info->dlpi_phdr[i];
  if (ph.p_type != PT_LOAD || !(ph.p_flags & PF_W)) return false;
  *lo = info->dlpi_addr + ph.p_vaddr;
  *hi = *lo + ph.p_memsz;
  // RELRO pages are already read-only after relocation; leave them.
  for (int k = 0; k < info->dlpi_phnum; ++k) {
    const ElfW(Phdr) &r = info->dlpi_phdr[k];
    if (r.p_type != PT_GNU_RELRO) continue;
    uintptr_t rhi = (info->dlpi_addr + r.p_vaddr + r.p_memsz) & ~(kPage - 1);
    if (rhi > *lo && rhi < *hi) *lo = rhi;
  }
  return true;
}

// The executable's .data/.bss become root memory.  Programs must be linked
// with -z now (the toolchain does): a lazily bound GOT would be written by
// the dynamic linker while a domain runs.
void protect_executable_data(int key) {
  ExeScan s{key, (uintptr_t)&g_shared, (uintptr_t)&g_shared + sizeof(SharedPage) , 0};
  s.skip_lo &= ~(kPage - 1);
  s.skip_hi = align_up(s.skip_hi, kPage);
  dl_iterate_phdr(scan_exe, &s);
}

// The main thread's stack becomes root memory, so a domain cannot write
// its caller's frames.  The whole [stack] VMA is tagged, which keeps it one
// grows-down mapping: pages it grows into get the same key.
void protect_main_stack(int key) {
  if (!g_shared.pku) return;
  uintptr_t lo = 0, hi = 0;
  for_each_maps_line([&](const char *line) {
    if (strstr(line, "[stack]")) {
      char *end;
      lo = strtoul(line, &end, 16);
      hi = strtoul(end + 1, nullptr, 16);
    }
    return true;
  });
  if (lo && hi > lo && syscall(SYS_pkey_mprotect, (void *)lo, hi - lo, PROT_READ | PROT_WRITE, key) != 0)
    log_line("could not tag the main stack with key %d", key);
}

}  // namespace sdrad
