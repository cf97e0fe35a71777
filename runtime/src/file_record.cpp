// Which FILEs root opened: a record in root-owned memory.
//
// glibc's list of open streams (_IO_list_all, key-0 libc data) is what
// exit and fflush(NULL) call through.  Root's FILEs live in the root heap,
// but so do bytes a domain chose (its results, copied out into root
// buffers): being in the root heap says nothing about who made a FILE
// (row rt6_forged_file_in_root_heap_linked_into_io_list).  So the runtime
// interposes the functions that create and close streams (fopen & co.,
// weak: a statically linked program keeps libc's own and has no record)
// and notes each FILE root opens; the stream-list walk (stdio.cpp) keeps
// only the standard streams and recorded FILEs.  Streams glibc opens for
// itself (getpwnam's /etc/passwd & co., never through these entry points)
// are not recorded: a walk that meets one unlinks it (exit no longer
// flushes it; glibc's own fclose copes with a FILE not on the list).
#include <dlfcn.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <wchar.h>

#include "internal.h"

namespace sdrad {

std::atomic<int> g_file_opening;  // root threads inside an interposed opener (malloc.cpp reads it)

namespace {
std::atomic<int> g_lock;
FILE **g_files;  // root heap
size_t g_n, g_cap;
bool g_active;
std::atomic<int> &g_opening = g_file_opening;

// The blocks root's malloc gave each root thread inside an opener: the FILE
// glibc links into its list before the opener returns (and before it is
// recorded) is one of them.  Only these are kept by a walk meanwhile: any
// other unrecorded FILE in the root heap may be bytes a domain chose
// (its result, copied out into a root buffer), linked by the domain while
// root waits in fopen (row rt11_forged_cookie_file_while_root_opens_fifo:
// a FIFO without a writer keeps the window open).  Own lock: note() calls
// malloc under g_lock.
struct Opener {
  const ThreadState *ts;
  int n;
  const void *blocks[8];
};
constexpr int kOpeners = 16;
Opener g_openers[kOpeners];  // runtime data (root key)
std::atomic<int> g_open_lock;

Opener *opener_of(const ThreadState *ts) {
  for (Opener &o : g_openers)
    if (o.ts == ts) return &o;
  return nullptr;
}

void opener_begin() {
  const ThreadState *ts = thread_state();
  spin_lock(g_open_lock);
  Opener *o = ts ? opener_of(nullptr) : nullptr;
  if (o) o->ts = ts, o->n = 0;
  spin_unlock(g_open_lock);
  if (!o) log_line("more than %d root threads inside fopen & co.: a stream-list walk meanwhile takes this FILE off", kOpeners);
}

void opener_end() {
  const ThreadState *ts = thread_state_if_any();
  if (!ts) return;
  spin_lock(g_open_lock);
  if (Opener *o = opener_of(ts)) o->ts = nullptr, o->n = 0;
  spin_unlock(g_open_lock);
}

bool from_root() {
  if (g_shared.pku) return rdpkru_raw() == 0;
  const ThreadState *ts = thread_state_if_any();
  return !ts || ts->depth == 0;
}

void note(FILE *f) {
  if (!f || !from_root()) return;
  spin_lock(g_lock);
  for (size_t i = 0; i < g_n; ++i)
    if (g_files[i] == f) {
      spin_unlock(g_lock);
      return;
    }
  if (g_n == g_cap) {
    size_t cap = g_cap ? 2 * g_cap : 64;
    auto *l = (FILE **)malloc(cap * sizeof(FILE *));
    if (!l) {
      spin_unlock(g_lock);
      say("no memory to record a FILE root opened: the stream-list walk will unlink it");
      return;
    }
    if (g_n) memcpy(l, g_files, g_n * sizeof(FILE *));
    FILE **old = g_files;
    g_files = l;
    g_cap = cap;
    spin_unlock(g_lock);
    free(old);
    spin_lock(g_lock);
  }
  g_files[g_n++] = f;
  spin_unlock(g_lock);
}

void forget(FILE *f) {
  spin_lock(g_lock);
  for (size_t i = 0; i < g_n; ++i)
    if (g_files[i] == f) {
      g_files[i] = g_files[--g_n];
      break;
    }
  spin_unlock(g_lock);
}

}  // namespace
namespace {
template <typename Fn>
Fn next(const char *name) {
  Fn f = (Fn)dlsym(RTLD_NEXT, name);
  if (!f) fatal("cannot find libc's %s (dlsym RTLD_NEXT failed)", name);
  return f;
}
}  // namespace

// Root's malloc while some root thread is inside an opener (malloc.cpp).
void file_record_alloc(const void *p, size_t n) {
  if (!p || n < sizeof(FILE)) return;
  const ThreadState *ts = thread_state_if_any();
  if (!ts) return;
  spin_lock(g_open_lock);
  if (Opener *o = opener_of(ts))
    if (o->n < (int)(sizeof o->blocks / sizeof o->blocks[0])) o->blocks[o->n++] = p;
  spin_unlock(g_open_lock);
}

bool file_record_being_opened(const FILE *f) {
  bool found = false;
  spin_lock(g_open_lock);
  for (const Opener &o : g_openers)
    for (int i = 0; o.ts && i < o.n && !found; ++i) found = o.blocks[i] == f;
  spin_unlock(g_open_lock);
  return found;
}

bool file_record_active() { return g_active; }
bool file_record_opening() { return g_opening.load() != 0; }
bool file_recorded(const FILE *f) {
  spin_lock(g_lock);
  bool found = false;
  for (size_t i = 0; i < g_n && !found; ++i) found = g_files[i] == f;
  spin_unlock(g_lock);
  return found;
}
// Under glibc's list lock, after a walk: records of FILEs no longer on the
// list were closed by a path the runtime does not see; their memory may
// come back as anything.
void file_record_prune(bool (*on_list)(const FILE *)) {
  spin_lock(g_lock);
  for (size_t i = 0; i < g_n;)
    if (!on_list(g_files[i])) g_files[i] = g_files[--g_n];
    else ++i;
  spin_unlock(g_lock);
}

// Start-up: active only if the runtime's definitions are the ones in effect.
void file_record_resolve();
void file_record_start() {
  void *real = dlsym(RTLD_NEXT, "fopen");
  g_active = real && real != (void *)&fopen;
  if (g_active) file_record_resolve();
  if (!g_active) log_line("fopen is not interposed (static libc?): the stream-list walk keeps any plausible FILE in the root heap");
}

}  // namespace sdrad

using namespace sdrad;

// libc's functions, resolved at start-up (file_record_start, root) into
// the shared page: a domain's fopen reads them there (root memory is not
// readable to a confidentiality domain, nor writable to any).
#define SDRAD_FILE_FNS(X)                                                                         \
  X(FILE *, fopen, (const char *p, const char *m), (p, m))                                        \
  X(FILE *, fopen64, (const char *p, const char *m), (p, m))                                      \
  X(FILE *, fdopen, (int fd, const char *m) noexcept, (fd, m))                                    \
  X(FILE *, fmemopen, (void *b, size_t n, const char *m) noexcept, (b, n, m))                     \
  X(FILE *, open_memstream, (char **b, size_t *n) noexcept, (b, n))                               \
  X(FILE *, open_wmemstream, (wchar_t **b, size_t *n) noexcept, (b, n))                           \
  X(FILE *, popen, (const char *c, const char *m), (c, m))                                        \
  X(FILE *, fopencookie, (void *c, const char *m, cookie_io_functions_t io) noexcept, (c, m, io)) \
  X(FILE *, tmpfile, (void), ())                                                                  \
  X(FILE *, tmpfile64, (void), ())                                                                \
  X(FILE *, freopen, (const char *p, const char *m, FILE *s), (p, m, s))                          \
  X(FILE *, freopen64, (const char *p, const char *m, FILE *s), (p, m, s))                        \
  X(int, fclose, (FILE * f), (f))                                                                 \
  X(int, pclose, (FILE * f), (f))

namespace {
enum : int {
#define SDRAD_INDEX(ret, name, params, args) kFn_##name,
  SDRAD_FILE_FNS(SDRAD_INDEX)
#undef SDRAD_INDEX
  kFileFns
};
static_assert(kFileFns <= 17, "exit_handlers.cpp: its libc functions follow at 17");
// In the shared page (key 0, read-only once started): set by root, before
// main; after that only read.
#define SDRAD_REAL(ret, name, params, args)                                            \
  ret(*real_##name()) params {                                                        \
    uintptr_t &slot = g_shared.libc_fns[kFn_##name];                                  \
    if (!slot) slot = (uintptr_t)next<ret(*) params>(#name);                          \
    return (ret(*) params)slot;                                                       \
  }
SDRAD_FILE_FNS(SDRAD_REAL)
#undef SDRAD_REAL
}  // namespace

namespace sdrad {
void file_record_resolve() {
#define SDRAD_RESOLVE(ret, name, params, args) real_##name();
  SDRAD_FILE_FNS(SDRAD_RESOLVE)
#undef SDRAD_RESOLVE
}
}  // namespace sdrad

// The FILE is on glibc's list before it is recorded: a walk meanwhile
// (file_record_opening) keeps an unrecorded root-heap FILE only if it is
// one of the blocks root's malloc gave this opener (opener_begin/end).  A
// domain's call touches no runtime data (its FILE is not recorded).
#define SDRAD_OPENER(ret, name, params, args)                          \
  extern "C" __attribute__((weak)) SDRAD_EXPORT ret name params {     \
    if (!from_root()) return real_##name() args;                       \
    opener_begin();                                                    \
    g_opening.fetch_add(1);                                            \
    ret f = real_##name() args;                                        \
    note(f);                                                           \
    g_opening.fetch_sub(1);                                            \
    opener_end();                                                      \
    return f;                                                          \
  }

SDRAD_OPENER(FILE *, fopen, (const char *p, const char *m), (p, m))
SDRAD_OPENER(FILE *, fopen64, (const char *p, const char *m), (p, m))
SDRAD_OPENER(FILE *, fdopen, (int fd, const char *m) noexcept, (fd, m))
SDRAD_OPENER(FILE *, fmemopen, (void *b, size_t n, const char *m) noexcept, (b, n, m))
SDRAD_OPENER(FILE *, open_memstream, (char **b, size_t *n) noexcept, (b, n))
SDRAD_OPENER(FILE *, open_wmemstream, (wchar_t **b, size_t *n) noexcept, (b, n))
SDRAD_OPENER(FILE *, popen, (const char *c, const char *m), (c, m))
SDRAD_OPENER(FILE *, fopencookie, (void *c, const char *m, cookie_io_functions_t io) noexcept, (c, m, io))
SDRAD_OPENER(FILE *, tmpfile, (void), ())
SDRAD_OPENER(FILE *, tmpfile64, (void), ())
SDRAD_OPENER(FILE *, freopen, (const char *p, const char *m, FILE *s), (p, m, s))
SDRAD_OPENER(FILE *, freopen64, (const char *p, const char *m, FILE *s), (p, m, s))

extern "C" __attribute__((weak)) SDRAD_EXPORT int fclose(FILE *f) {
  if (from_root() && g_active) forget(f);
  return real_fclose()(f);
}
extern "C" __attribute__((weak)) SDRAD_EXPORT int pclose(FILE *f) {
  if (from_root() && g_active) forget(f);
  return real_pclose()(f);
}
