// ERIM-style inspection of executable memory: every WRPKRU (0f 01 ef),
// XRSTOR (0f ae /5, memory operand) and XRSTORS (0f c7 /3, memory operand)
// encoding, at any byte offset (an instruction can be hidden inside
// another), outside the runtime's own checked gates (the `sdrad_gates`
// section of switch.S, sdrad_api_gates.S and syscall_rearm.S).  Each one is
// a way for a domain with code execution to set PKRU itself: jumping to
// it with chosen registers.  Scanned at start-up and after each dlopen;
// syscall confinement refuses every new PROT_EXEC mapping in a domain, so a
// domain cannot bring in a new one.
//
// Found occurrences are logged (SDRAD_LOG) and counted in a one-line
// summary (SDRAD_LOG); SDRAD_BINARY_SCAN=strict refuses to run (start-up)
// or aborts (dlopen) instead.  Note: glibc's pkey_set contains a WRPKRU and
// ld.so's lazy-binding trampolines contain XRSTOR, so strict mode refuses
// dynamically linked glibc programs (docs/threat-model.md).
#include <dlfcn.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "internal.h"
#include "resident_pages.h"
#include "unwind_ranges.h"

extern "C" char __start_sdrad_gates[] __attribute__((visibility("hidden")));
extern "C" char __stop_sdrad_gates[] __attribute__((visibility("hidden")));

namespace sdrad {

namespace {

struct Range {
  uintptr_t lo, hi;
};
Range g_scanned[512];
int g_nscanned;
std::atomic<int> g_scan_lock{0};

bool scanned(uintptr_t lo, uintptr_t hi) {
  for (int i = 0; i < g_nscanned; ++i)
    if (g_scanned[i].lo == lo && g_scanned[i].hi == hi) return true;
  return false;
}

// 0: none; else what the bytes at p (at least 3 readable) encode.
const char *gate_instruction(const uint8_t *p) {
  if (p[0] != 0x0f) return nullptr;
  uint8_t m = p[2];
  bool mem = (m >> 6) != 3;
  if (p[1] == 0x01 && m == 0xef) return "WRPKRU";
  if (p[1] == 0xae && ((m >> 3) & 7) == 5 && mem) return "XRSTOR";
  if (p[1] == 0xc7 && ((m >> 3) & 7) == 3 && mem) return "XRSTORS";
  return nullptr;
}

int scan_bytes(uintptr_t lo, uintptr_t hi, uintptr_t end, const char *path, int found) {
  uintptr_t glo = (uintptr_t)__start_sdrad_gates, ghi = (uintptr_t)__stop_sdrad_gates;
  for (uintptr_t a = lo; a < hi && a + 3 <= end; ++a) {
    const char *what = gate_instruction((const uint8_t *)a);
    if (!what) continue;
    if (a >= glo && a < ghi) continue;  // the runtime's checked gates
    ++found;
    if (found <= 8) log_line("binary scan: %s at %#lx in %s", what, (unsigned long)a, path);
  }
  return found;
}

// Reading a file's code maps its pages, which then count in the program's
// resident memory (ru_maxrss) although it never runs most of them: about
// 1.5 MiB for libc, libstdc++ and libm.  So for a file mapping the pages
// that are neither in the page tables nor swapped out are noted first
// (/proc/self/pagemap), and unmapped again as the scan passes them (in
// 16-page windows) and once more at the end (the kernel maps neighbouring
// pages on a fault), each only if pagemap then shows a file page, never an
// anonymous copy (resident_pages.h says why the next access maps the bytes
// that were scanned).  Without pagemap: scanned as is.
constexpr size_t kWindow = 16;                 // pages: the kernel's fault-around
constexpr size_t kMaxNoted = (size_t)1 << 20;  // pages (4 GiB of code)
alignas(4096) uint64_t g_absent[kMaxNoted / 64];  // bit per page of the mapping being scanned

int scan_range(uintptr_t lo, uintptr_t hi, const char *path, bool file) {
  int found = 0;
  size_t n = (hi - lo) / kPage;
  bool noted = false;
  int pm = file && n <= kMaxNoted ? open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC) : -1;
  if (pm >= 0) noted = pages_note_absent(pm, lo, n, g_absent);
  for (size_t w = 0; w < n; w += kWindow) {
    size_t whi = w + kWindow < n ? w + kWindow : n;
    found = scan_bytes(lo + w * kPage, lo + whi * kPage, hi, path, found);
    // The last encodings read into the next window's first page.
    if (noted) pages_drop_file(pm, lo, w, whi + 1 < n ? whi + 1 : n, g_absent);
  }
  if (noted) pages_drop_file(pm, lo, 0, n, g_absent);
  if (pm >= 0) close(pm);
  if (found > 8) log_line("binary scan: ... %d in %s in all", found, path);
  return found;
}

// Reads /proc/self/maps and scans the executable mappings not seen yet.
alignas(4096) char g_maps_text[1 << 17];

int scan_new_mappings(const char **first_path) {
  char *buf = g_maps_text;
  constexpr size_t kBuf = sizeof(g_maps_text);
  int fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  size_t n = 0;
  ssize_t r;
  while (n < kBuf - 1 && (r = read(fd, buf + n, kBuf - 1 - n)) > 0) n += (size_t)r;
  close(fd);
  buf[n] = 0;
  int total = 0;
  static char where[256];
  for (char *line = buf; line && *line;) {
    char *next = strchr(line, '\n');
    if (next) *next++ = 0;
    unsigned long lo, hi;
    char perms[8] = {0};
    int pos = 0;
    if (sscanf(line, "%lx-%lx %7s %*s %*s %*s %n", &lo, &hi, perms, &pos) >= 3 && perms[0] == 'r' &&
        perms[2] == 'x' && !scanned(lo, hi)) {
      bool file = pos > 0 && line[pos] == '/' && perms[1] != 'w' && perms[3] == 'p';
      const char *path = pos > 0 && line[pos] ? line + pos : "[anonymous]";
      int k = scan_range(lo, hi, path, file);
      if (k > 0 && first_path && !*first_path) {
        strncpy(where, path, sizeof(where) - 1);
        *first_path = where;
      }
      total += k;
      if (g_nscanned < (int)(sizeof(g_scanned) / sizeof(g_scanned[0]))) g_scanned[g_nscanned++] = {lo, hi};
    }
    line = next;
  }
  return total;
}

bool strict() {
  const char *v = getenv("SDRAD_BINARY_SCAN");
  return v && !strcmp(v, "strict");
}
bool off() {
  const char *v = getenv("SDRAD_BINARY_SCAN");
  return v && !strcmp(v, "0");
}

void scan(const char *when) {
  if (off()) return;
  const char *first = nullptr;
  int found;
  {
    SpinGuard lock(g_scan_lock);
    found = scan_new_mappings(&first);
    // Scratch (private anonymous memory): not resident between scans.
    madvise(g_maps_text, sizeof(g_maps_text), MADV_DONTNEED);
    madvise(g_absent, sizeof(g_absent), MADV_DONTNEED);
  }
  if (found < 0) {
    if (strict()) fatal("SDRAD_BINARY_SCAN=strict: cannot read /proc/self/maps (%s)", when);
    return;
  }
  if (found == 0) return;
  if (strict())
    fatal("SDRAD_BINARY_SCAN=strict: %d unchecked WRPKRU/XRSTOR encodings in executable memory (%s), "
          "the first in %s; refusing to run (SDRAD_LOG=1 lists them)",
          found, when, first ? first : "?");
  log_line("binary scan (%s): %d unchecked WRPKRU/XRSTOR encodings outside the runtime's gates", when, found);
}

}  // namespace

void binary_scan_startup() { scan("start-up"); }

int binary_scan_range(uintptr_t lo, uintptr_t hi, const char *path, bool file) {
  SpinGuard lock(g_scan_lock);
  return scan_range(lo, hi, path, file);
}

}  // namespace sdrad

using namespace sdrad;

// Every dlopen: the new library's code is scanned before it can run
// (its constructors run inside the real dlopen, so strict mode can only
// stop the program afterwards: it aborts).
extern "C" SDRAD_EXPORT void *dlopen(const char *file, int mode) {
  using Fn = void *(*)(const char *, int);
  static Fn real = (Fn)dlsym(RTLD_NEXT, "dlopen");
  if (!real) return nullptr;
  RuntimeMarked inside;  // the loader's lock, the scan's (switch.h)
  void *h = real(file, mode);
  if (h) scan("dlopen");
  if (h) unwind_ranges_refresh();
  return h;
}
