// Which function holds a code address, answered from runtime-owned state.
//
// sdrad_enter/sdrad_exit (sdrad_api.cpp) accept a return address only if it
// lies in the function that entered.  libgcc's _Unwind_Find_FDE answers that
// from frame info registered with __register_frame_info first: a list in
// libgcc_s's data (key 0), which a domain can extend with a forged FDE.
// Instead, the runtime keeps its own list of the loaded objects' executable
// ranges and .eh_frame_hdr search tables (root memory, rebuilt by root at
// start-up and after dlopen/dlclose) and reads the tables and FDEs only
// where they lie in a read-only segment (a domain cannot write those pages,
// and cannot change their mapping under syscall confinement).
#include <dlfcn.h>
#include <elf.h>
#include <link.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

namespace sdrad {

namespace {

constexpr int kMaxObjects = 512;
constexpr uint8_t kDatarelSdata4 = 0x3b;  // DW_EH_PE_datarel | DW_EH_PE_sdata4
constexpr uint8_t kOmit = 0xff;

struct EhObject {
  uintptr_t text_lo, text_hi;  // an executable PT_LOAD
  const int32_t *table;        // .eh_frame_hdr's (initial_loc, fde) pairs
  uintptr_t hdr;               // datarel base of the table
  size_t count;
  uintptr_t ro_lo, ro_hi;      // the read-only PT_LOAD holding hdr and .eh_frame
};

std::atomic<int> g_eh_lock{0};
EhObject g_eh[kMaxObjects];
int g_eh_count;
bool g_eh_full;
std::atomic<bool> g_eh_built{false};

// The kernel's view of the mappings, read at each refresh: the program
// headers come from the dynamic linker's list (key 0), which a domain can
// extend with a forged object, so the ranges they call read-only or
// executable are believed only if the kernel agrees.
struct Mapping {
  uintptr_t lo, hi;
  bool w, x;
  unsigned long long inode;  // 0: anonymous
};
constexpr int kMaxMappings = 8192;
Mapping g_maps[kMaxMappings];
int g_map_count;

void read_maps() {
  g_map_count = 0;
  for_each_maps_line([](const char *line) {
    char *e;
    Mapping m{};
    m.lo = strtoul(line, &e, 16);
    m.hi = strtoul(e + 1, &e, 16);
    m.w = e[1 + 1] == 'w';
    m.x = e[1 + 2] == 'x';
    // perms offset dev inode
    char *f = e + 1;
    for (int field = 0; field < 3 && f; ++field) f = strchr(f, ' ') ? strchr(f, ' ') + 1 : nullptr;
    m.inode = f ? strtoull(f, nullptr, 10) : 0;
    g_maps[g_map_count++] = m;
    return g_map_count < kMaxMappings;
  });
}

// [a, a + n) lies in mappings the kernel has without write (and with
// execute, if asked) permission.
bool kernel_agrees(uintptr_t a, size_t n, bool exec) {
  uintptr_t end = a + n;
  for (int i = 0; i < g_map_count && a < end; ++i) {
    const Mapping &m = g_maps[i];
    if (a < m.lo || a >= m.hi) continue;
    if (m.w || (exec && !m.x)) return false;
    a = m.hi;
    i = -1;
  }
  return a >= end;
}

// The file a mapped address belongs to (0: anonymous or not mapped).
unsigned long long inode_at(uintptr_t a) {
  for (int i = 0; i < g_map_count; ++i)
    if (a >= g_maps[i].lo && a < g_maps[i].hi) return g_maps[i].inode;
  return 0;
}

bool in_readonly(const dl_phdr_info *info, uintptr_t a, size_t n, uintptr_t *lo, uintptr_t *hi) {
  for (int i = 0; i < info->dlpi_phnum; ++i) {
    const ElfW(Phdr) &ph = info->dlpi_phdr[i];
    if (ph.p_type != PT_LOAD || (ph.p_flags & PF_W)) continue;
    uintptr_t l = info->dlpi_addr + ph.p_vaddr, h = l + ph.p_memsz;
    if (a >= l && a + n <= h) {
      if (!kernel_agrees(l, h - l, false)) return false;
      *lo = l;
      *hi = h;
      return true;
    }
  }
  return false;
}

int add_object(dl_phdr_info *info, size_t, void *) {
  const ElfW(Phdr) *eh = nullptr;
  for (int i = 0; i < info->dlpi_phnum; ++i)
    if (info->dlpi_phdr[i].p_type == PT_GNU_EH_FRAME) eh = &info->dlpi_phdr[i];
  if (!eh) return 0;
  uintptr_t hdr = info->dlpi_addr + eh->p_vaddr, ro_lo, ro_hi;
  if (!in_readonly(info, hdr, 12, &ro_lo, &ro_hi)) return 0;
  const uint8_t *h = (const uint8_t *)hdr;
  // version 1, eh_frame_ptr encoding, fde_count encoding, table encoding
  if (h[0] != 1 || h[2] != 0x03 || h[3] != kDatarelSdata4) return 0;
  uint32_t count;
  memcpy(&count, h + 8, 4);
  const int32_t *table = (const int32_t *)(h + 12);
  if ((uintptr_t)(table + 2 * (size_t)count) > ro_hi) return 0;
  for (int i = 0; i < info->dlpi_phnum; ++i) {
    const ElfW(Phdr) &ph = info->dlpi_phdr[i];
    if (ph.p_type != PT_LOAD || !(ph.p_flags & PF_X)) continue;
    if (g_eh_count == kMaxObjects) {
      g_eh_full = true;
      return 1;
    }
    uintptr_t lo = info->dlpi_addr + ph.p_vaddr;
    if (!kernel_agrees(lo, ph.p_memsz, true)) continue;
    // The table must come from the file the code was mapped from: an
    // object a domain adds to the dynamic linker's list cannot pair some
    // code with read-only bytes found elsewhere.
    unsigned long long ino = inode_at(lo);
    if (!ino || ino != inode_at(hdr)) continue;
    g_eh[g_eh_count++] = {lo, lo + ph.p_memsz, table, hdr, count, ro_lo, ro_hi};
  }
  return 0;
}

uint64_t uleb(const uint8_t *&p, const uint8_t *end) {
  uint64_t v = 0;
  for (int s = 0; p < end && s < 64; s += 7) {
    uint8_t b = *p++;
    v |= (uint64_t)(b & 0x7f) << s;
    if (!(b & 0x80)) break;
  }
  return v;
}

// Reads a pointer with a DWARF EH encoding (the forms linkers emit for
// FDEs: absolute or pc-relative, 4 or 8 bytes).  False for any other.
bool read_encoded(uint8_t enc, const uint8_t *&p, bool value_only, uintptr_t *out) {
  int64_t v;
  switch (enc & 0x0f) {
    case 0x00: case 0x04: case 0x0c: { uint64_t u; memcpy(&u, p, 8); v = (int64_t)u; p += 8; break; }
    case 0x03: { uint32_t u; memcpy(&u, p, 4); v = u; p += 4; break; }
    case 0x0b: { int32_t s; memcpy(&s, p, 4); v = s; p += 4; break; }
    default: return false;
  }
  uintptr_t base = 0;
  if (!value_only) {
    switch (enc & 0x70) {
      case 0x00: break;
      case 0x10: base = (uintptr_t)p - ((enc & 0x0f) == 0x03 || (enc & 0x0f) == 0x0b ? 4 : 8); break;
      default: return false;
    }
  }
  *out = base + (uintptr_t)v;
  return true;
}

// The FDE pointer encoding from its CIE's augmentation ("zR...").
bool fde_encoding(const uint8_t *cie, const uint8_t *end, uint8_t *enc) {
  const uint8_t *p = cie + 8;  // length, CIE id
  if (p >= end) return false;
  uint8_t version = *p++;
  const char *aug = (const char *)p;
  size_t n = strnlen(aug, (size_t)(end - p));
  p += n + 1;
  if (p >= end) return false;
  uleb(p, end);  // code alignment
  uleb(p, end);  // data alignment (sleb: only skipped)
  if (version == 1) ++p; else uleb(p, end);  // return address register
  *enc = 0x00;   // absptr unless 'R' says otherwise
  if (aug[0] != 'z') return aug[0] == 0;
  uleb(p, end);  // augmentation data length
  for (const char *a = aug + 1; *a && p < end; ++a) {
    if (*a == 'R') {
      *enc = *p++;
    } else if (*a == 'L') {
      ++p;
    } else if (*a == 'P') {
      uint8_t penc = *p++;
      uintptr_t ignored;
      if (!read_encoded(penc, p, false, &ignored)) return false;
    } else if (*a != 'S' && *a != 'B') {
      return false;
    }
  }
  return true;
}

uintptr_t lookup(const EhObject &o, uintptr_t pc) {
  // The last table entry whose initial location is <= pc.
  size_t lo = 0, hi = o.count;
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    if (o.hdr + (intptr_t)o.table[2 * mid] <= pc) lo = mid + 1; else hi = mid;
  }
  if (lo == 0) return 0;
  uintptr_t fde = o.hdr + (intptr_t)o.table[2 * (lo - 1) + 1];
  const uint8_t *end = (const uint8_t *)o.ro_hi;
  if (fde < o.ro_lo || fde + 24 > o.ro_hi) return 0;
  const uint8_t *p = (const uint8_t *)fde;
  uint32_t len, cie_off;
  memcpy(&len, p, 4);
  memcpy(&cie_off, p + 4, 4);
  if (len == 0 || len == 0xffffffff || cie_off == 0) return 0;
  uintptr_t cie = fde + 4 - cie_off;
  if (cie < o.ro_lo || cie + 12 > o.ro_hi) return 0;
  uint8_t enc;
  if (!fde_encoding((const uint8_t *)cie, end, &enc) || enc == kOmit) return 0;
  p += 8;
  uintptr_t begin, range;
  if (!read_encoded(enc, p, false, &begin) || !read_encoded(enc & 0x0f, p, true, &range)) return 0;
  return pc >= begin && pc < begin + range ? begin : 0;
}

}  // namespace

// Root only (start-up, dlopen, dlclose): a domain could not write the list.
void unwind_ranges_refresh() {
  if (g_shared.pku && rdpkru_raw() != 0) return;
  SpinGuard lock(g_eh_lock);
  g_eh_count = 0;
  g_eh_full = false;
  read_maps();
  dl_iterate_phdr(add_object, nullptr);
  g_eh_built.store(true, std::memory_order_release);
  if (g_eh_full) log_line("more than %d executable segments: sdrad_enter refused from the rest", kMaxObjects);
}

uintptr_t function_start_of(uintptr_t pc) {
  // Asked before the runtime's constructor (a library's constructor that
  // calls sdrad_enter): build the list now.
  if (!g_eh_built.load(std::memory_order_acquire)) unwind_ranges_refresh();
  SpinGuard lock(g_eh_lock);
  for (int i = 0; i < g_eh_count; ++i)
    if (pc >= g_eh[i].text_lo && pc < g_eh[i].text_hi) return lookup(g_eh[i], pc);
  return 0;
}

}  // namespace sdrad

using namespace sdrad;

extern "C" SDRAD_EXPORT int dlclose(void *handle) {
  using Fn = int (*)(void *);
  static Fn real = (Fn)dlsym(RTLD_NEXT, "dlclose");
  if (!real) return -1;
  RuntimeMarked inside;  // the loader's lock, the unwind list's (switch.h)
  int r = real(handle);
  unwind_ranges_refresh();
  return r;
}
