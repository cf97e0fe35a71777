// libc's exit-handler list: key-0 data that root runs at exit.
//
// glibc keeps the handlers registered with atexit/__cxa_atexit in a list
// whose head (`__exit_funcs`) is a pointer in libc's writable data, not
// exported.  A domain that can write key-0 memory could aim it at a forged
// list (its entries are mangled with the pointer guard, which integrity
// domains can read) and get root to run chosen functions at exit.  The
// runtime finds the head once at start-up and compares it on every return
// from a domain (call.cpp).  Finding it: register a marker handler, look
// for its mangled pointer in the writable data of the loaded objects; the
// entry it sits in gives the list (fields: next, idx, fns[32] of {flavor,
// fn, arg, dso}), and the one word that points at that list is the head.
// If anything does not match exactly, the check is off and SDRAD_LOG says
// so.
#include <ctype.h>
#include <link.h>
#include <locale.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

namespace sdrad {

namespace {

void exit_marker() {}

struct Scan {
  uintptr_t want;
  uintptr_t found;
  int matches;
};

int scan_writable(struct dl_phdr_info *info, size_t, void *data) {
  auto *s = (Scan *)data;
  for (int i = 0; i < info->dlpi_phnum; ++i) {
    const ElfW(Phdr) &ph = info->dlpi_phdr[i];
    if (ph.p_type != PT_LOAD || !(ph.p_flags & PF_W)) continue;
    uintptr_t lo = align_up(info->dlpi_addr + ph.p_vaddr, 8), hi = info->dlpi_addr + ph.p_vaddr + ph.p_memsz;
    for (uintptr_t a = lo; a + 8 <= hi; a += 8)
      if (*(const uintptr_t *)a == s->want) {
        s->found = a;
        s->matches++;
      }
  }
  return 0;
}

uintptr_t find_unique(uintptr_t want) {
  Scan s{want, 0, 0};
  dl_iterate_phdr(scan_writable, &s);
  return s.matches == 1 ? s.found : 0;
}

}  // namespace

// glibc's list of thread_local destructors (`tls_dtor_list`, a static
// __thread pointer in libc, not exported) is key-0 TLS that glibc walks
// with root rights when the thread ends, and exit() on the main thread: a
// domain that aims it at a node of its own (in its thread_local storage,
// say) gets its function run as root (row
// rt9b_tls_dtor_node_in_tls_runs_as_root).  Its head is saved on entry
// into a domain and compared on return like the TLS canary (call.cpp,
// switch.S).  Finding it: one marker destructor registered at start-up;
// the word of libc's TLS block that points at a node whose object is the
// marker's is the head.  Not found: the offset stays 0 (the TCB's self
// pointer, which is compared harmlessly) and SDRAD_LOG says so.
namespace {
char g_tls_dtor_marker_obj;
void tls_dtor_marker(void *) {}
struct TlsScan {
  uintptr_t found;
  int matches;
};
int scan_libc_tls(struct dl_phdr_info *info, size_t, void *data) {
  auto *s = (TlsScan *)data;
  if (!info->dlpi_tls_data || !info->dlpi_name || !strstr(info->dlpi_name, "libc.so")) return 0;
  for (int i = 0; i < info->dlpi_phnum; ++i) {
    const ElfW(Phdr) &ph = info->dlpi_phdr[i];
    if (ph.p_type != PT_TLS) continue;
    uintptr_t lo = align_up((uintptr_t)info->dlpi_tls_data, 8), hi = (uintptr_t)info->dlpi_tls_data + ph.p_memsz;
    for (uintptr_t a = lo; a + 8 <= hi; a += 8) {
      uintptr_t node = *(const uintptr_t *)a;  // struct dtor_list { func, obj, map, next }
      if (node - g_shared.root_heap_base < g_shared.root_heap_size && node % 8 == 0 &&
          *(const uintptr_t *)(node + 8) == (uintptr_t)&g_tls_dtor_marker_obj) {
        s->found = a;
        s->matches++;
      }
    }
  }
  return 0;
}
}  // namespace

extern "C" int __cxa_thread_atexit_impl(void (*fn)(void *), void *obj, void *dso);

void tls_dtor_locate() {
  if (__cxa_thread_atexit_impl(tls_dtor_marker, &g_tls_dtor_marker_obj, (void *)&tls_dtor_marker) != 0) return;
  TlsScan s{0, 0};
  dl_iterate_phdr(scan_libc_tls, &s);
  uintptr_t fs = tls_word(0);  // the TCB's self pointer: the FS base
  if (s.matches != 1) {
    log_line("thread_local destructor list not found: it is not checked on leaving domains");
    return;
  }
  g_shared.tls_watched_off[kTlsDtorHead] = (intptr_t)(s.found - fs);
  log_line("thread_local destructor list head at fs%+ld: checked on leaving domains", (long)(s.found - fs));
}

// The thread's locale (`__libc_tsd_LOCALE`) and glibc's caches of its
// ctype tables (`__libc_tsd_CTYPE_B`, `_TOLOWER`, `_TOUPPER`) are static
// TLS of libc, key-0 memory: a domain that makes a locale object of its
// own current (uselocale, or plain writes) has root's toupper, isalpha,
// printf & co. read its tables afterwards (row rt9b_tls_locale_toupper).
// They are saved on entry into a domain and compared on return like the
// TLS canary (call.cpp, switch.S).  Finding them: glibc's __ctype_*_loc()
// return the addresses of the three caches; the locale word is the one
// word of that TLS block that holds a fresh locale object once it is made
// current (and no longer does once the old one is back).  A word not found
// stays at offset 0 (the TCB's self pointer, compared harmlessly) and
// SDRAD_LOG says so; the others are still checked.
namespace {
struct TlsBlock {
  uintptr_t addr;  // a word inside it
  uintptr_t lo, hi;
};
int find_tls_block(struct dl_phdr_info *info, size_t, void *data) {
  auto *b = (TlsBlock *)data;
  if (!info->dlpi_tls_data) return 0;
  for (int i = 0; i < info->dlpi_phnum; ++i) {
    const ElfW(Phdr) &ph = info->dlpi_phdr[i];
    uintptr_t lo = (uintptr_t)info->dlpi_tls_data, hi = lo + ph.p_memsz;
    if (ph.p_type == PT_TLS && b->addr >= lo && b->addr + 8 <= hi) {
      b->lo = lo;
      b->hi = hi;
      return 1;
    }
  }
  return 0;
}
// The offset from the FS base of `addr` if it is an aligned word of a
// loaded object's static TLS block (below the FS base), else 0.
intptr_t static_tls_off(const void *addr, uintptr_t fs, TlsBlock *block) {
  TlsBlock b{(uintptr_t)addr, 0, 0};
  dl_iterate_phdr(find_tls_block, &b);
  if (!b.lo || b.addr % 8 || b.addr >= fs) return 0;
  if (block) *block = b;
  return (intptr_t)(b.addr - fs);
}
}  // namespace

void tls_locale_locate() {
  static const char *const names[kTlsLocaleWords] = {"locale", "ctype_b", "ctype_tolower", "ctype_toupper"};
  uintptr_t fs = tls_word(0);
  intptr_t off[kTlsLocaleWords] = {};
  TlsBlock block{};
  off[1] = static_tls_off(__ctype_b_loc(), fs, &block);
  off[2] = static_tls_off(__ctype_tolower_loc(), fs, nullptr);
  off[3] = static_tls_off(__ctype_toupper_loc(), fs, nullptr);
  // A copy of the global locale made current: its address in exactly one
  // word of the block the ctype caches are in, which uselocale also set
  // to its tables (the caches located above are the ones it writes).
  locale_t fresh = block.lo ? duplocale(LC_GLOBAL_LOCALE) : (locale_t)0;
  if (fresh) {
    locale_t old = uselocale(fresh);
    uintptr_t found = 0;
    int matches = 0;
    for (uintptr_t a = align_up(block.lo, 8); a + 8 <= block.hi; a += 8)
      if (*(const uintptr_t *)a == (uintptr_t)fresh) {
        found = a;
        matches++;
      }
    const void *tables[kTlsLocaleWords] = {fresh, fresh->__ctype_b, fresh->__ctype_tolower, fresh->__ctype_toupper};
    for (int i = 1; i < kTlsLocaleWords; ++i)
      if (off[i] && tls_word(off[i]) != (uintptr_t)tables[i]) off[i] = 0;
    if (old) uselocale(old);
    if (matches == 1 && *(const uintptr_t *)found != (uintptr_t)fresh) off[0] = (intptr_t)(found - fs);
    freelocale(fresh);
  }
  for (int i = 0; i < kTlsLocaleWords; ++i) {
    g_shared.tls_watched_off[kTlsLocale + i] = off[i];
    if (off[i])
      log_line("thread's %s pointer at fs%+ld: checked on leaving domains", names[i], (long)off[i]);
    else
      log_line("thread's %s pointer not found: it is not checked on leaving domains", names[i]);
  }
}

void exit_list_locate() {
  exit_handlers_resolve();
  if (atexit(exit_marker) != 0) return;
  uintptr_t guard = tls_word(kTlsPointerGuard);
  uintptr_t m = (uintptr_t)&exit_marker ^ guard;
  uintptr_t mangled = (m << 0x11) | (m >> (64 - 0x11));
  uintptr_t slot = find_unique(mangled);
  uintptr_t list = 0;
  for (int k = 0; slot && k < 32 && !list; ++k) {
    uintptr_t cand = slot - 24 - 32 * (uintptr_t)k;
    uint64_t flavor = *(const uint64_t *)(slot - 8);
    if (*(const uint64_t *)(cand + 8) == (uint64_t)k + 1 && (flavor == 3 || flavor == 4)) list = cand;
  }
  uintptr_t head = list ? find_unique(list) : 0;
  if (!head) {
    log_line("exit-handler list not found: it is not checked on leaving domains");
    return;
  }
  g_shared.exit_head_addr = head;
  if (exit_handlers_arm(head)) log_line("root's exit handlers are kept by the runtime; glibc's list is frozen");
  stdio_return_arm();  // switch.S's return path may compare it now
  log_line("exit-handler list head at %#lx: checked on leaving domains", head);
}

// The head may change legitimately only when root registers a 33rd, 65th,
// ... handler: the new block is then root-heap memory linked to the old.
bool exit_head_ok(uintptr_t saved) {
  uintptr_t now = *(const uintptr_t *)g_shared.exit_head_addr;
  if (now == saved) return true;
  bool grown = now - g_shared.root_heap_base < g_shared.root_heap_size && *(const uintptr_t *)now == saved;
  if (!grown) *(uintptr_t *)g_shared.exit_head_addr = saved;
  return grown;
}

}  // namespace sdrad
