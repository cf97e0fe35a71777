// libc's writable data under a protection key of its own.
//
// Every return from a domain compares the libc state root depends on (the
// standard streams, glibc's stream list, the exit-handler list and their
// locks: stdio_check.h, libc_state.cpp, exit_handlers.h) with what it
// was, because that state is key-0 memory a domain can write: about 110
// instructions and 25 cache lines per call.  Most domains never write it
// (a parser does not print).  Under PKU, libc's writable pages get a key
// that domains may read but not write.  A domain's first write there is a
// key violation; the runtime's handler marks the instance
// (Instance::libc_written), opens the key to it and retries the write.  Only
// a marked instance's returns compare libc's state; the mark and the right
// last until the instance is discarded.
//
// Without PKU nothing is protected (a domain can write any memory, root's
// included) and no write can be told: returns do not compare libc's state
// unless SDRAD_LIBC_CHECK=always (the runtime's host tests set it, to run
// the comparisons the PKU backend makes for a marked instance).  Under
// PKU the variable changes nothing.  Where the key cannot be had (none
// left, libc linked statically, libc's state found outside libc's data),
// every return compares, as before this file.
#include <link.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "internal.h"

namespace sdrad {

namespace {

struct LibcRange {
  uintptr_t inside;  // an address of libc's data (its _IO_list_all)
  uintptr_t lo, hi;  // its writable pages after RELRO
  bool exe;          // the executable itself (a static libc)
};

int find_libc(struct dl_phdr_info *info, size_t, void *data) {
  auto *r = (LibcRange *)data;
  bool first = info->dlpi_name == nullptr || info->dlpi_name[0] == '\0';
  uintptr_t lo, hi;
  for (int i = 0; i < info->dlpi_phnum; ++i) {
    if (!writable_segment(info, i, &lo, &hi) || r->inside < lo || r->inside >= hi) continue;
    r->lo = align_up(lo, kPage);
    r->hi = align_up(hi, kPage);
    r->exe = first;
    return 1;
  }
  return 0;
}

// What a return compares when the instance is marked must all be under
// the key (or in the root heap, which domains cannot write either):
// otherwise a domain could change it without a mark.
bool checked_state_covered(uintptr_t lo, uintptr_t hi) {
  auto under = [&](uintptr_t a, size_t n) {
    return (a >= lo && a + n <= hi) ||
           (a - g_shared.root_heap_base < g_shared.root_heap_size && a + n - g_shared.root_heap_base <= g_shared.root_heap_size);
  };
  bool ok = under((uintptr_t)g_io_list_all, 8) && g_shared.exit_head_addr && under(g_shared.exit_head_addr, 8);
  for (uintptr_t a : g_exit_words.addr) ok = ok && under(a, 8);
  if (g_exit_words.runner != &g_exit_words.runner_expect) ok = ok && under((uintptr_t)g_exit_words.runner, sizeof(GlibcExitFn));
  if (g_exit_guard.armed)
    ok = ok && under((uintptr_t)g_exit_guard.count_addr, 8) && under((uintptr_t)g_exit_guard.runner, sizeof(GlibcExitFn));
  for (const int *l : g_stdio_locks) ok = ok && l && under((uintptr_t)l, 16);
  for (const StdStream &s : g_std_streams)
    ok = ok && s.fp && under((uintptr_t)s.fp, sizeof(FILE) + 8) && under((uintptr_t)s.wide + kWideVtableOffset, 8);
  return ok;
}

bool libc_check_always() {
  const char *v = getenv("SDRAD_LIBC_CHECK");
  if (!v || !*v || !strcmp(v, "written")) return false;
  if (strcmp(v, "always")) say("SDRAD_LIBC_CHECK=%s: not 'always' or 'written'; using 'always'", v);
  return true;
}

}  // namespace

void libc_data_protect() {
  g_shared.libc_key = -1;
  if (!g_shared.pku) {
    g_shared.libc_lazy = !libc_check_always();  // nothing protected, no write told
    return;
  }
  LibcRange r{(uintptr_t)g_io_list_all, 0, 0, false};
  if (!g_std_streams_ready || !dl_iterate_phdr(find_libc, &r) || r.exe || r.hi <= r.lo) {
    log_line("libc's data not found as a library's: every return from a domain compares libc's state");
    return;
  }
  if (!checked_state_covered(r.lo, r.hi)) {
    log_line("libc's state is not all in libc's data: every return from a domain compares it");
    return;
  }
  int key = key_alloc();
  if (key < 0) {
    log_line("no protection key for libc's data: every return from a domain compares libc's state");
    return;
  }
  if (tag_memory((void *)r.lo, r.hi - r.lo, PROT_READ | PROT_WRITE, key) != 0) {
    log_line("libc's data could not be tagged: every return from a domain compares libc's state");
    key_free(key);
    return;
  }
  g_shared.libc_key = key;
  g_shared.libc_wd_bits = pkru_bits(key, true, false);
  g_shared.libc_lo = r.lo;
  g_shared.libc_hi = r.hi;
  g_shared.libc_lazy = 1;
  log_line("libc's data %#lx-%#lx under key %d: read-only to domains until they write it", r.lo, r.hi, key);
}

// A key violation on libc's key by the innermost instance's own code
// (the frame's PKRU is that instance's): mark it, open the key to it and
// resume the write.  Anything else is not ours to open: the caller treats
// it as the fault it is.
bool libc_write_grant(ThreadState *ts, Instance *in, const siginfo_t *info, void *ucv) {
  if (g_shared.libc_key <= 0 || in->libc_written || !(in->pkru & g_shared.libc_wd_bits)) return false;
  uintptr_t a = (uintptr_t)info->si_addr;
  if (a < g_shared.libc_lo || a >= g_shared.libc_hi || ts->cur_pkru != in->pkru) return false;
  uint32_t *p = frame_pkru(ucv);
  if (!p || *p != in->pkru || ts->sig_depth == 0 || ts->sig_depth > 8) return false;
  uint32_t opened = in->pkru & ~g_shared.libc_wd_bits;
  in->libc_written = true;  // before the write can happen
  in->pkru = opened;
  ts->cur_pkru = opened;
  ts->sig_pkru[ts->sig_depth - 1] = opened;  // what confine_signal_leave restores
  *p = opened;
  return true;
}

void libc_write_revoke(Instance *in) {
  if (!in->libc_written) return;
  in->libc_written = false;
  in->pkru |= g_shared.libc_wd_bits;
}

}  // namespace sdrad
