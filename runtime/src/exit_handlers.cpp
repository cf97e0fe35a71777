// Root's exit handlers, out of reach of domains.
//
// glibc keeps the handlers of atexit/__cxa_atexit/on_exit in key-0 libc
// data (its head block, `initial`) that any domain can write, and runs them
// at exit with root rights.  A domain that calls atexit(f), or writes an
// entry and counts it in (the pointer guard that mangles it is readable
// key-0 TLS), or rewrites an entry in place, would get f run by root.
//
// So the runtime interposes __cxa_atexit (atexit calls it) and on_exit:
// - From root, once armed, a registration goes to the runtime's own list
//   (root heap, root key), never to glibc's.  At start-up the runtime
//   registers one handler of its own with glibc, the runner, last: glibc
//   runs it first at exit.  The runner puts glibc's frozen entries back as
//   they were at start-up (a domain may have rewritten them), then runs
//   root's list, newest first; handlers registered meanwhile run too.
// - From a domain (PKRU not root's; without PKU, a thread inside a call),
//   a registration is refused (-1, and said on stderr): it would run with
//   root rights.
// - glibc's list is frozen from then on: on every exit from a domain its
//   head block's entry count and the runner's entry are compared with the
//   frozen values (exit_handlers_ok, and switch.S's return path), and a
//   change is put back and makes the exit a fault (root-state-tampered).
//   The entries under the runner are restored by the runner itself.
// - __cxa_finalize (a library's dlclose) runs root's handlers of that
//   library before glibc's own.
// - quick_exit's list the same way: __cxa_at_quick_exit and quick_exit are
//   interposed; root's handlers are the runtime's, glibc's list never runs.
// In a statically linked program glibc's own __cxa_atexit wins over the
// runtime's (weak) definitions: the guard is not armed, and SDRAD_LOG says
// so (the list head is still compared, libc_state.cpp).
#include "exit_handlers.h"

#include <dlfcn.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

extern "C" int __cxa_atexit(void (*fn)(void *), void *arg, void *dso);
extern "C" int on_exit(void (*fn)(int, void *), void *arg) noexcept;
extern "C" void __cxa_finalize(void *dso);
extern "C" int __cxa_at_quick_exit(void (*fn)(void *), void *dso);

namespace sdrad {

ExitGuard g_exit_guard;

namespace {

enum : uint64_t { kEfFree = 0, kEfOn = 2, kEfCxa = 4 };

struct Handler {
  uint64_t flavor;  // kEfCxa or kEfOn, kEfFree: already run
  void *fn, *arg, *dso;
};
// Root's lists (the arrays are root-heap memory; these words are runtime
// data): exit handlers, and quick_exit handlers (at_quick_exit).
struct List {
  Handler *items;
  size_t count, cap;
};
List g_exit_list, g_quick_list;
std::atomic<int> g_lock;
bool g_runner_done;
bool g_in_runner;  // root's handlers running: registrations go to root's list

// glibc's blocks as frozen (up to kFrozen of them: more than 32 * kFrozen
// handlers before the runtime started leaves the guard off).
constexpr int kFrozen = 4;
struct Frozen {
  GlibcExitList *at;
  GlibcExitList copy;
};
Frozen g_frozen[kFrozen];
int g_n_frozen;

using CxaFn = int (*)(void (*)(void *), void *, void *);
using OnExitFn = int (*)(void (*)(int, void *), void *);
using FinalizeFn = void (*)(void *);
template <typename Fn>
Fn libc_fn(const char *name) {
  Fn f = (Fn)dlsym(RTLD_NEXT, name);
  if (!f) fatal("cannot find libc's %s (dlsym RTLD_NEXT failed)", name);
  return f;
}
// In the shared page after the file functions (file_record.cpp), resolved
// by root (the first registration, before main; the others at arming): a
// domain's call reads them there, never sets them.
constexpr int kFnCxa = 17, kFnOnExit = 18, kFnFinalize = 19;
template <typename Fn>
Fn resolved(int i, const char *name) {
  uintptr_t &slot = g_shared.libc_fns[i];
  if (!slot) slot = (uintptr_t)libc_fn<Fn>(name);
  return (Fn)slot;
}
CxaFn real_cxa() { return resolved<CxaFn>(kFnCxa, "__cxa_atexit"); }
OnExitFn real_on_exit() { return resolved<OnExitFn>(kFnOnExit, "on_exit"); }
FinalizeFn real_finalize() { return resolved<FinalizeFn>(kFnFinalize, "__cxa_finalize"); }

bool from_domain() {
  if (g_shared.pku) return rdpkru_raw() != 0;
  const ThreadState *ts = thread_state_if_any();
  return ts && ts->depth > 0;
}

uintptr_t mangle(uintptr_t p) {
  uintptr_t m = p ^ tls_word(kTlsPointerGuard);
  return (m << 0x11) | (m >> (64 - 0x11));
}

// false: no memory (the registration fails, as glibc's would).
bool add(List &list, uint64_t flavor, void *fn, void *arg, void *dso) {
  spin_lock(g_lock);
  if (list.count == list.cap) {
    size_t cap = list.cap ? 2 * list.cap : 64;
    auto *l = (Handler *)malloc(cap * sizeof(Handler));
    if (!l) {
      spin_unlock(g_lock);
      return false;
    }
    if (list.count) memcpy(l, list.items, list.count * sizeof(Handler));
    Handler *old = list.items;
    list.items = l;
    list.cap = cap;
    spin_unlock(g_lock);
    free(old);
    spin_lock(g_lock);
  }
  list.items[list.count++] = Handler{flavor, fn, arg, dso};
  spin_unlock(g_lock);
  return true;
}

// Runs (and frees) root's handlers of `dso` (nullptr: all) in `list`,
// newest first; one registered by a handler runs next.  `run` false: only
// frees them (a library's quick_exit handlers at its dlclose, as glibc).
void run_handlers(List &list, void *dso, int status, bool run = true) {
  spin_lock(g_lock);
  for (;;) {
    size_t i = list.count;
    while (i > 0 && (list.items[i - 1].flavor == kEfFree || (dso && list.items[i - 1].dso != dso))) --i;
    if (i == 0) break;
    Handler h = list.items[i - 1];
    list.items[i - 1].flavor = kEfFree;
    if (!run) continue;
    spin_unlock(g_lock);
    if (h.flavor == kEfOn) ((void (*)(int, void *))h.fn)(status, h.arg);
    else ((void (*)(void *, int))h.fn)(h.arg, status);
    spin_lock(g_lock);
  }
  while (list.count > 0 && list.items[list.count - 1].flavor == kEfFree) --list.count;
  spin_unlock(g_lock);
}

// glibc's blocks (but the head block's count and runner) as frozen.
void frozen_restore(bool runner_too) {
  for (int b = 0; b < g_n_frozen; ++b) {
    Frozen &f = g_frozen[b];
    if (b > 0 || runner_too) {
      memcpy((void *)f.at, &f.copy, sizeof(GlibcExitList));
      continue;
    }
    // At exit glibc counts the head block down as it runs it: the entries
    // below the runner are put back, the rest left as glibc has them.
    size_t n = f.at->idx < f.copy.idx ? f.at->idx : f.copy.idx;
    memcpy((void *)f.at->fns, f.copy.fns, n * sizeof(GlibcExitFn));
    f.at->next = f.copy.next;
  }
}

// Entries glibc's __cxa_finalize ran (it marks them free) are free in the
// frozen copy too; nothing else is taken from glibc's list (a domain may
// have rewritten it).
void frozen_refresh() {
  spin_lock(g_lock);
  for (int b = 0; b < g_n_frozen; ++b) {
    Frozen &f = g_frozen[b];
    size_t n = f.copy.idx < kExitFns ? f.copy.idx : kExitFns;
    if (b == 0 && n > 0) --n;  // the runner's own entry stays as frozen
    for (size_t i = 0; i < n; ++i)
      if (f.at->fns[i].flavor == kEfFree) f.copy.fns[i].flavor = kEfFree;
  }
  spin_unlock(g_lock);
}

// After root's handlers, glibc's exit loop goes on with its own list, which
// it re-reads after each handler.  A domain still running on another thread
// could write it meanwhile (key-0 or libc-key data): count an entry back in
// at the runner's slot, or aim the list head elsewhere, and glibc ran it with
// root rights (row rt11_sibling_rewrites_exit_list_during_exit).  So the
// pages of glibc's blocks and of its list head get the root key (PKU; they
// also hold libc data domains write, such as the standard streams' locks:
// a domain on another thread that touches them from now on faults), then
// the list is put back as glibc must find it after the runner: the frozen
// entries below the runner's slot, that slot free, the count at it.
void exit_list_seal() {
  if (g_shared.pku && g_shared.root_key > 0) {
    auto seal = [](uintptr_t a, size_t n) {
      uintptr_t lo = a & ~(uintptr_t)4095, hi = (a + n + 4095) & ~(uintptr_t)4095;
      if (raw_syscall6(SYS_pkey_mprotect, (long)lo, (long)(hi - lo), PROT_READ | PROT_WRITE, g_shared.root_key, 0, 0) != 0)
        log_line("glibc's exit-handler list at %p could not be sealed at exit", (void *)a);
    };
    seal(g_shared.exit_head_addr, sizeof(uintptr_t));
    for (int b = 0; b < g_n_frozen; ++b) seal((uintptr_t)g_frozen[b].at, sizeof(GlibcExitList));
  }
  GlibcExitList *head = g_frozen[0].at;
  *(GlibcExitList **)g_shared.exit_head_addr = head;
  head->fns[g_frozen[0].copy.idx - 1].flavor = kEfFree;  // the runner's slot (glibc took it)
  head->idx = g_frozen[0].copy.idx - 1;
  frozen_restore(false);
}

// glibc's handler, registered last: glibc runs it first at exit.
void runner(void *, int status) {
  if (from_domain()) return;  // a domain called exit: root's handlers are not run with its rights
  // From here glibc counts its list down: no longer compared on returns (an
  // isolated call made by an exit handler is not a fault for it);
  // registrations made meanwhile go to root's list, which runs them next.
  __atomic_store_n(&g_in_runner, true, __ATOMIC_RELEASE);
  __atomic_store_n(&g_exit_guard.armed, false, __ATOMIC_RELEASE);
  exit_words_unguard();
  frozen_restore(false);
  run_handlers(g_exit_list, nullptr, status);
  __atomic_store_n(&g_in_runner, false, __ATOMIC_RELEASE);
  exit_list_seal();
  __atomic_store_n(&g_runner_done, true, __ATOMIC_RELEASE);
}

bool armed() {
  return (g_exit_guard.armed || __atomic_load_n(&g_in_runner, __ATOMIC_ACQUIRE)) &&
         !__atomic_load_n(&g_runner_done, __ATOMIC_ACQUIRE);
}

bool refuse(const char *what) {
  say("%s called inside a domain: refused (it would run with root rights at exit)", what);
  return true;
}

}  // namespace

// Start-up, before anything else here: libc's functions into the shared
// page (nothing in a statically linked program, where these are libc's).
void exit_handlers_resolve() {
  if (!dlsym(RTLD_NEXT, "__cxa_atexit")) return;
  real_cxa();
  real_on_exit();
  real_finalize();
}

bool exit_handlers_arm(uintptr_t head_addr) {
  void *next = dlsym(RTLD_NEXT, "__cxa_atexit");
  if (!next || next == (void *)&__cxa_atexit) {
    log_line("glibc's __cxa_atexit is not interposed (static libc?): exit handlers stay in glibc's list");
    return false;
  }
  if (real_cxa()((void (*)(void *))(void *)runner, nullptr, nullptr) != 0) return false;
  auto *head = *(GlibcExitList *const *)head_addr;
  const GlibcExitFn &top = head->fns[head->idx - 1];
  if (!head->idx || top.flavor != kEfCxa || top.fn != mangle((uintptr_t)&runner)) {
    say("the runtime's exit handler is not on top of glibc's list: root's exit handlers stay there");
    return false;
  }
  int n = 0;
  for (GlibcExitList *l = head; l; l = l->next, ++n) {
    if (n == kFrozen) {
      say("more than %d exit handlers before the runtime started: root's exit handlers stay in glibc's list",
          (int)(kFrozen * kExitFns));
      return false;
    }
    g_frozen[n].at = l;
    memcpy(&g_frozen[n].copy, l, sizeof(GlibcExitList));
  }
  g_n_frozen = n;
  ExitGuard &g = g_exit_guard;
  g.count_addr = &head->idx;
  g.count = head->idx;
  g.runner = &top;
  g.runner_expect = top;
  exit_words_guard(&g);
  __atomic_store_n(&g.armed, true, __ATOMIC_RELEASE);
  return true;
}

// The slow path of exit_handlers_ok: glibc's list changed during a domain's
// call (root adds nothing to it once armed).
bool exit_handlers_repair() {
  GlibcExitList *head = g_frozen[0].at;
  for (size_t i = g_frozen[0].copy.idx; i < kExitFns; ++i) head->fns[i].flavor = kEfFree;
  frozen_restore(true);
  log_line("a domain changed glibc's exit-handler list: put back");
  return false;
}

}  // namespace sdrad

using namespace sdrad;

extern "C" {
// Weak: in a statically linked program libc's own definitions stay.
__attribute__((weak)) SDRAD_EXPORT int __cxa_atexit(void (*fn)(void *), void *arg, void *dso) {
  if (from_domain() && refuse("atexit/__cxa_atexit")) return -1;
  if (!armed()) return real_cxa()(fn, arg, dso);
  return add(g_exit_list, kEfCxa, (void *)fn, arg, dso) ? 0 : -1;
}
__attribute__((weak)) SDRAD_EXPORT int on_exit(void (*fn)(int, void *), void *arg) noexcept {
  if (from_domain() && refuse("on_exit")) return -1;
  if (!armed()) return real_on_exit()(fn, arg);
  return add(g_exit_list, kEfOn, (void *)fn, arg, nullptr) ? 0 : -1;
}
// A library's dlclose (or its own fini at exit): root's handlers of that
// library first, then glibc's, which frees glibc's entries of the library:
// the frozen copy follows (root's change; the runner must not put back a
// handler of an unmapped library).
__attribute__((weak)) SDRAD_EXPORT void __cxa_finalize(void *dso) {
  bool root = !from_domain();
  if (root && g_exit_guard.armed) run_handlers(g_exit_list, dso, 0);
  if (root && dso) run_handlers(g_quick_list, dso, 0, false);  // dropped, not run (as glibc)
  real_finalize()(dso);
  if (root && g_exit_guard.armed) frozen_refresh();
}

// quick_exit's handlers.  glibc keeps them in another key-0 list
// (`__quick_exit_funcs`, not exported) and runs it with root rights at
// quick_exit: a domain's at_quick_exit(f), or an entry it writes there
// (memory writes only), would run f as root.  Root's registrations
// (at_quick_exit, from libc_nonshared, calls __cxa_at_quick_exit; so does
// std::at_quick_exit) go to the runtime's list from the first one, armed
// or not, and quick_exit runs that list and never glibc's: whatever is in
// glibc's list (only what a domain put there, or a direct call of libc's
// own function) does not run.  From a domain: refused.
__attribute__((weak)) SDRAD_EXPORT int __cxa_at_quick_exit(void (*fn)(void *), void *dso) {
  if (from_domain() && refuse("at_quick_exit/__cxa_at_quick_exit")) return -1;
  return add(g_quick_list, kEfCxa, (void *)fn, nullptr, dso) ? 0 : -1;
}
// What glibc's quick_exit does, but with root's list: the handlers, newest
// first, then _exit (no stream flush).  From a domain, root's handlers are
// not run with its rights (as for exit).
__attribute__((weak, noreturn)) SDRAD_EXPORT void quick_exit(int status) noexcept {
  if (!from_domain()) run_handlers(g_quick_list, nullptr, status);
  _exit(status);
}
}
