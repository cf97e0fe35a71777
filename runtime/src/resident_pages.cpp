// Unmapping file pages that the runtime alone made resident (resident_pages.h).
//
// A program linked with the runtime runs its start-up before main(): the
// configuration, the hooks, the binary scan of all executable memory
// (binary_scan.cpp) and the unwind table's reads (unwind_ranges.cpp).  Each
// read of a library's code or read-only data maps the page, and the kernel's
// fault-around maps up to 64 KiB around it; those pages then count in the
// program's resident memory for its whole life although the program itself
// may never touch them (session 7: 0.84 MiB more than the same program
// without the runtime at the start of main()).
//
// Why unmapping is exact: in a private file mapping a page that pagemap shows
// neither present nor swapped has never been written (a written page is an
// anonymous copy, present or swapped until unmapped), so it reads as the
// file.  If it is present later as a file page (pagemap's "file-page" bit,
// not an anonymous copy) it still holds the file's bytes, and
// MADV_DONTNEED only drops the page-table entry: the next access maps the
// same page-cache page, or reads the same file bytes.  A page written in
// between (a debugger's breakpoint, an mprotect and a store) is an
// anonymous page and is kept.  Left: a write between the second pagemap
// read and the madvise, by another thread or a tracer; at start-up the
// process runs one thread.
#include "resident_pages.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "internal.h"

namespace sdrad {

namespace {

constexpr uint64_t kPresent = 1ull << 63, kSwapped = 1ull << 62, kFilePage = 1ull << 61;
constexpr size_t kChunk = 512;  // pagemap entries per read

bool bit(const uint64_t *b, size_t i) { return (b[i / 64] >> (i & 63)) & 1; }

}  // namespace

bool pages_note_absent(int pm, uintptr_t lo, size_t n, uint64_t *absent) {
  uint64_t e[kChunk];
  for (size_t i = 0; i < n; i += kChunk) {
    size_t m = n - i < kChunk ? n - i : kChunk;
    if (pread(pm, e, m * 8, (off_t)((lo / kPage + i) * 8)) != (ssize_t)(m * 8)) return false;
    for (size_t j = 0; j < m; ++j) {
      uint64_t b = 1ull << ((i + j) & 63);
      if (e[j] & (kPresent | kSwapped)) absent[(i + j) / 64] &= ~b;
      else absent[(i + j) / 64] |= b;
    }
  }
  return true;
}

size_t pages_drop_file(int pm, uintptr_t lo, size_t from, size_t to, const uint64_t *absent) {
  uint64_t e[kChunk];
  size_t dropped = 0;
  for (size_t c = from; c < to; c += kChunk) {
    size_t m = to - c < kChunk ? to - c : kChunk;
    if (pread(pm, e, m * 8, (off_t)((lo / kPage + c) * 8)) != (ssize_t)(m * 8)) return dropped;
    auto droppable = [&](size_t j) {
      return bit(absent, c + j) && (e[j] & kPresent) && (e[j] & kFilePage);
    };
    for (size_t j = 0; j < m;) {
      if (!droppable(j)) {
        ++j;
        continue;
      }
      size_t k = j;
      while (k < m && droppable(k)) ++k;
      if (madvise((void *)(lo + (c + j) * kPage), (k - j) * kPage, MADV_DONTNEED) == 0) dropped += k - j;
      j = k;
    }
  }
  return dropped;
}

namespace {

// The noted mappings and one bit per page of theirs.
struct Noted {
  uintptr_t lo, hi;
  size_t first;  // index of its first page's bit
};
constexpr int kMaxNoted = 1024;
constexpr size_t kMaxPages = (size_t)1 << 20;  // 4 GiB of mappings
// Start-up scratch, in .bss (resident only as far as used) on whole pages
// of its own, which startup_pages_done() gives back.
struct alignas(4096) Scratch {
  Noted noted[kMaxNoted];
  uint64_t absent[kMaxPages / 64];
  // The file the runtime's code was mapped from (the executable, or
  // libsdrad.so): everything of it resident at start-up is there for the
  // runtime alone (the program's own code has not run yet), so all of its
  // file pages count as brought in by the runtime.
  char own_path[4096];
};
Scratch g_s;
int g_nnoted;
bool g_note_taken;
size_t g_dropped;

// Parsed by hand: a libc function called here for the first time would
// make its page resident before libc's own mapping is noted (its line
// comes after the executable's).
uintptr_t hex(const char *&p) {
  uintptr_t v = 0;
  for (;; ++p) {
    unsigned c = (unsigned char)*p;
    if (c - '0' < 10) v = v * 16 + (c - '0');
    else if (c - 'a' < 6) v = v * 16 + (c - 'a' + 10);
    else return v;
  }
}

// A line of /proc/self/maps: a readable, non-writable, private mapping of
// a file (its path in *path).
bool private_readonly_file(const char *line, uintptr_t *lo, uintptr_t *hi, const char **path) {
  const char *p = line;
  *lo = hex(p);
  if (*p++ != '-') return false;
  *hi = hex(p);
  if (*p++ != ' ' || p[0] != 'r' || p[1] != '-' || p[3] != 'p') return false;
  while (*p && *p != '/') ++p;  // offset, device and inode come first
  *path = p;
  return *p == '/' && *hi > *lo;
}

bool same(const char *a, const char *b) {
  while (*a && *a == *b) ++a, ++b;
  return *a == *b;
}


bool keep() {
  const char *v = getenv("SDRAD_STARTUP_PAGES");
  return v && !strcmp(v, "keep");
}

}  // namespace

void startup_pages_note() {
  if (g_note_taken || keep()) return;
  g_note_taken = true;
  int pm = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
  if (pm < 0) return;
  uintptr_t own = (uintptr_t)&startup_pages_note;
  for_each_maps_line([&](const char *line) {
    uintptr_t lo, hi;
    const char *path;
    if (!private_readonly_file(line, &lo, &hi, &path) || own < lo || own >= hi) return true;
    size_t i = 0;
    for (; path[i] && i + 1 < sizeof(g_s.own_path); ++i) g_s.own_path[i] = path[i];
    g_s.own_path[i] = 0;
    return false;
  });
  size_t used = 0;
  for_each_maps_line([&](const char *line) {
    uintptr_t lo, hi;
    const char *path;
    if (!private_readonly_file(line, &lo, &hi, &path)) return true;
    size_t n = (hi - lo) / kPage;
    used = align_up(used, 64);  // whole words per mapping
    if (g_nnoted == kMaxNoted || used + n > kMaxPages) return false;
    uint64_t *bits = g_s.absent + used / 64;
    if (g_s.own_path[0] && same(path, g_s.own_path)) {
      for (size_t w = 0; w < (n + 63) / 64; ++w) bits[w] = ~0ull;
    } else if (!pages_note_absent(pm, lo, n, bits)) {
      return false;
    }
    g_s.noted[g_nnoted++] = {lo, hi, used};
    used += n;
    return true;
  });
  close(pm);
}

void startup_pages_drop() {
  if (!g_nnoted) return;
  int pm = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
  if (pm < 0) return;
  // The noted ranges as they are now: whatever mapping lies there, pagemap
  // says which pages are file pages (a page-cache page unmapped from a
  // private or shared file mapping, or from shared anonymous memory, stays
  // where it was; an anonymous copy is never unmapped).  /proc/self/maps is
  // not read again: that would bring back the libc pages it needs.
  size_t dropped = 0;
  for (int i = 0; i < g_nnoted; ++i)
    dropped += pages_drop_file(pm, g_s.noted[i].lo, 0, (g_s.noted[i].hi - g_s.noted[i].lo) / kPage,
                               g_s.absent + g_s.noted[i].first / 64);
  close(pm);
  g_dropped += dropped;
}

void startup_pages_done() {
  if (!g_nnoted) return;
  startup_pages_drop();
  g_nnoted = 0;
  madvise(&g_s, sizeof(g_s), MADV_DONTNEED);  // private anonymous: reads as zeros again
  log_line("start-up: unmapped %zu KiB of file pages the runtime's start-up made resident", g_dropped * 4);
}

}  // namespace sdrad
