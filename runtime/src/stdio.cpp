// The standard streams across domains (glibc).
//
// - Their buffers are set up at start-up, in key-0 memory every domain may
//   use: a stream first used inside a domain would otherwise get its buffer
//   from that domain's heap, discarded (or moved) at the next fault, and
//   root's stdout buffer would be root memory a domain cannot write.
// - A stream lock the rewound thread held (a fault inside printf) is
//   released after the discard.
// - The FILE objects are key-0 libc data a domain can write: on every exit
//   from a domain their buffer pointers, descriptor, lock pointer, jump
//   table, wide data and wide jump table are checked against what root set
//   up, and put back if changed (the exit is then a fault, kind
//   root-state-tampered), so that a domain cannot aim root's next printf at
//   root memory or at a function of its choice.
#include <dlfcn.h>
#include <immintrin.h>
#include <link.h>
#include <linux/futex.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "internal.h"

extern "C" void _IO_list_lock(void);
extern "C" void _IO_list_unlock(void);
extern "C" const char _IO_wfile_jumps[];  // glibc's (exported)

namespace sdrad {

void io_list_walk_prepare();  // below: the stream-list walk's start-up

StdStream g_std_streams[3];
bool g_std_streams_ready;
namespace {
const int kIdleLock[4] = {};  // stands for a lock not found (never held)
}  // namespace
const int *g_stdio_locks[4] = {kIdleLock, kIdleLock, kIdleLock, kIdleLock};
alignas(32) uint8_t g_std_snapshot[3][kStdSnapshot];
ExitWords g_exit_words;
uintptr_t g_io_snapshot[4];
FILE **g_io_list_all = &_IO_list_all;  // until stdio_prepare: a static libc's only one

namespace {
void take_snapshot() {
  for (int k = 0; k < 3; ++k)
    if (g_std_streams[k].fp) {
      uint8_t *d = g_std_snapshot[k];
      for (const SnapWindow &w : kSnapWindows) {
        memcpy(d, (const char *)g_std_streams[k].fp + w.file_off, w.len);
        d += w.len;
      }
    }
}
// The words switch.S's return path reads (stdio_check.h: ExitWords), with
// the values the full checks last accepted.
enum : int { kWordVar = 0, kWordListHead = 3, kWordWideVtable = 4, kWordListHeadAgain = 7, kWordExitCount = 7 };
void exit_words_expect() {
  g_exit_words.expect[kWordListHead] = g_io_snapshot[0];
  if (g_exit_words.addr[kWordListHeadAgain] == (uintptr_t)g_io_list_all)  // not the exit count (exit_words_guard)
    g_exit_words.expect[kWordListHeadAgain] = g_io_snapshot[0];
}
// Under glibc's list lock.
void io_snapshot_take() {
  g_io_snapshot[0] = (uintptr_t)*g_io_list_all;
  for (int k = 0; k < 3; ++k) g_io_snapshot[k + 1] = g_std_streams_ready ? (uintptr_t)g_std_streams[k].fp->_chain : 0;
  exit_words_expect();
}
void exit_words_prepare() {
  FILE **vars[3] = {&stdin, &stdout, &stderr};
  g_exit_words.addr[kWordListHead] = g_exit_words.addr[kWordListHeadAgain] = (uintptr_t)g_io_list_all;
  g_exit_words.runner = &g_exit_words.runner_expect;
  for (int k = 0; k < 3; ++k) {
    const StdStream &s = g_std_streams[k];
    g_exit_words.fp[k] = s.fp;
    g_exit_words.addr[kWordVar + k] = (uintptr_t)vars[k];
    g_exit_words.expect[kWordVar + k] = (uintptr_t)s.fp;
    g_exit_words.addr[kWordWideVtable + k] = (uintptr_t)s.wide + kWideVtableOffset;
    g_exit_words.expect[kWordWideVtable + k] = (uintptr_t)s.wide_vtable;
  }
  exit_words_expect();
}
}  // namespace

__attribute__((target("avx2"))) bool stdio_snapshot_same_avx2() {
  __m256i diff = _mm256_setzero_si256();
  for (int k = 0; k < 3; ++k) {
    const char *f = (const char *)g_std_streams[k].fp;
    const __m256i *v = (const __m256i *)g_std_snapshot[k];
    for (const SnapWindow &w : kSnapWindows)
      for (size_t i = 0; i < w.len; i += 32, ++v)
        diff = _mm256_or_si256(diff, _mm256_xor_si256(_mm256_loadu_si256((const __m256i *)(f + w.file_off + i)), _mm256_load_si256(v)));
  }
  return _mm256_testz_si256(diff, diff);
}

namespace {
// glibc's _IO_lock_t.
struct IoLock {
  int lock;
  int cnt;
  void *owner;
};
void *thread_self() { return (void *)tls_word(0x10); }  // glibc's THREAD_SELF, the lock owner

// A stream lock this thread holds as it goes back to root code (the frame
// being left is the outermost): the domain returned holding it (flockfile,
// or a count it wrote), and root would keep it forever; every other
// thread's next use of the stream would wait for it (row
// rt6_flockfile_stdout_then_return).  A lock another thread holds may be
// a printf in progress there: left alone.
bool lock_left_held(const void *lock) {
  const ThreadState *ts = thread_state_if_any();
  auto *l = (const IoLock *)lock;
  return ts && ts->depth == 1 && l->owner == thread_self();
}
// The thread control blocks of the threads the runtime knows (root-owned
// state): each thread state's FS base, and the main thread's (noted at
// start-up).  glibc's lock owner is the holder's TCB (THREAD_SELF).
uintptr_t g_main_tcb;
bool known_thread(uintptr_t tcb) {
  if (tcb == g_main_tcb) return true;
  return thread_state_find([&](const ThreadState *c) { return c->magic == kTsMagic && c->fs_base == tcb; });
}
// Without keys root threads that never called a domain have no thread
// state: there a made-up owner is recognised only when it cannot be a
// TCB (misaligned, or in the first 64 KiB, which nothing maps).
bool cannot_be_tcb(uintptr_t tcb) { return (tcb & 7) != 0 || tcb < 0x10000; }
// A system call made on a domain's way out, where the thread's syscall
// selector may still block (confinement): allowed for its duration.
template <typename F>
void unconfined(F call) {
  ThreadState *ts = thread_state_if_any();
  volatile uint8_t *sel = ts && g_shared.confine != kConfineOff ? selector_rw(ts) : nullptr;
  uint8_t was = sel ? *sel : 0;
  if (sel) *sel = kSudAllow;
  call();
  if (sel) *sel = was;
}
// A held lock whose owner is no thread of this process: written by a
// domain (row rt6_forged_stdout_lock_then_root_flush); every thread's next
// use of the stream would wait forever.  Owner NULL with the lock word set
// is glibc's own state for a moment (between lll_lock and the owner store,
// and in the unlock): forged only if it stays so for 20 ms.
bool lock_owner_forged(const void *lock) {
  auto *l = (const IoLock *)lock;
  if (__atomic_load_n(&l->lock, __ATOMIC_ACQUIRE) == 0) return false;
  uintptr_t owner = (uintptr_t)__atomic_load_n(&l->owner, __ATOMIC_RELAXED);
  if (owner == 0) {
    for (int i = 0; i < 200; ++i) {
      unconfined([] { usleep(100); });
      if (__atomic_load_n(&l->lock, __ATOMIC_ACQUIRE) == 0 || __atomic_load_n(&l->owner, __ATOMIC_RELAXED)) return false;
    }
    return true;
  }
  if (known_thread(owner)) return false;
  return g_shared.pku || cannot_be_tcb(owner);
}
void lock_release(const void *lock) {
  auto *l = (IoLock *)lock;
  l->cnt = 0;
  l->owner = nullptr;
  if (__atomic_exchange_n(&l->lock, 0, __ATOMIC_RELEASE) > 1)
    unconfined([l] { syscall(SYS_futex, &l->lock, FUTEX_WAKE_PRIVATE, 1, nullptr, nullptr, 0); });
}
}  // namespace

// Every field of the three streams and the three variables, branch-free.
bool stdio_streams_check() {
  if (!g_std_streams_ready) return true;
  uint64_t bad = stdio_stream_bad(g_std_streams[0]) | stdio_stream_bad(g_std_streams[1]) |
                 stdio_stream_bad(g_std_streams[2]) | (stdin != g_std_streams[0].fp) |
                 (stdout != g_std_streams[1].fp) | (stderr != g_std_streams[2].fp);
  if (!stdio_locks_idle())
    for (const int *l : g_stdio_locks) bad |= lock_left_held(l) || lock_owner_forged(l);
  if (bad) return stdio_streams_repair();
  take_snapshot();  // valid: the next unchanged return takes the fast path
  return true;
}

namespace {

constexpr size_t kStreamBuf = 16 * 1024;
static_assert(offsetof(FILE, _IO_buf_base) == offsetof(FILE, _IO_read_ptr) + 6 * sizeof(char *) &&
                  offsetof(FILE, _IO_buf_end) == offsetof(FILE, _IO_read_ptr) + 7 * sizeof(char *),
              "glibc FILE layout");

// Back to an empty buffer (what was buffered is dropped).
void stream_repair(const StdStream &s) {
  FILE *f = s.fp;
  char *b = (char *)s.base;
  f->_IO_buf_base = b;
  f->_IO_buf_end = b + s.len;
  f->_IO_read_base = f->_IO_read_ptr = f->_IO_read_end = b;
  f->_IO_write_base = f->_IO_write_ptr = f->_IO_write_end = b;
  f->_fileno = s.fd;
  f->_lock = (decltype(f->_lock))s.lock;
  *(const void **)stream_vtable_slot(f) = s.vtable;
  f->_wide_data = (decltype(f->_wide_data))s.wide;
  *(const void **)((char *)s.wide + kWideVtableOffset) = s.wide_vtable;
}

// After root changed a standard stream's buffer itself (setvbuf & co.).
void stream_refresh(FILE *f) {
  for (StdStream &s : g_std_streams)
    if (s.fp == f) {
      s.base = (uintptr_t)f->_IO_buf_base;
      s.len = (uintptr_t)f->_IO_buf_end - s.base;
    }
}

}  // namespace

extern "C" void _IO_list_lock(void);
extern "C" void _IO_list_unlock(void);
extern "C" void _IO_list_resetlock(void);

// glibc's stream-list lock is static in libc.  _IO_list_resetlock (exported)
// starts with `movq $0, lock(%rip)`, through a PLT entry (endbr64, bnd,
// `jmp *got(%rip)`) in a non-PIE program; the address found is confirmed
// by taking the lock and releasing it.
namespace {
const int *find_list_lock() {
  const uint8_t *p = (const uint8_t *)(void *)&_IO_list_resetlock;
  for (int hops = 0; hops < 2; ++hops) {
    if (p[0] == 0xf3 && p[1] == 0x0f && p[2] == 0x1e && p[3] == 0xfa) p += 4;
    if (p[0] == 0xf2) ++p;
    if (p[0] != 0xff || p[1] != 0x25) break;
    int32_t disp;
    memcpy(&disp, p + 2, 4);
    p = *(const uint8_t *const *)(p + 6 + disp);
  }
  if (p[0] != 0x48 || p[1] != 0xc7 || p[2] != 0x05) return nullptr;
  int32_t disp;
  memcpy(&disp, p + 3, 4);
  auto *l = (const IoLock *)(p + 11 + disp);
  if (l->lock || l->cnt || l->owner) return nullptr;
  _IO_list_lock();
  bool held = l->lock == 1 && l->cnt == 1 && l->owner == thread_self();
  _IO_list_unlock();
  return held && !l->lock && !l->cnt && !l->owner ? (const int *)l : nullptr;
}
}  // namespace

namespace {
// libc's own definition of a libc data symbol: the lookup starts after the
// executable (which holds the runtime), so a copy relocated into it does
// not shadow libc's.  Not dlopen: the runtime's dlopen hook would create
// the thread's state before the signal-stack arena exists (seen: the main
// thread then ran its handlers on a plain key-0 stack).  A static libc
// has only the one definition (nullptr here).
void *libc_own(const char *name) { return dlsym(RTLD_NEXT, name); }
void io_list_resolve() {
  if (void *p = libc_own("_IO_list_all")) {
    if (p != (void *)&_IO_list_all) log_line("_IO_list_all: the executable holds a copy; glibc's own is used");
    g_io_list_all = (FILE **)p;
  }
}
}  // namespace

// Start-up, root: buffers for stdin and stdout in key-0 memory (stderr
// stays unbuffered: its one-byte buffer is inside the FILE).
void stdio_prepare() {
  io_list_resolve();
  io_list_walk_prepare();
  void *mem = mmap(nullptr, 2 * kStreamBuf, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (mem == MAP_FAILED) {
    say("could not map the standard streams' buffers: a stream first used inside a domain gets its "
        "buffer from that domain's heap");
    return;
  }
  char *in = (char *)mem, *out = in + kStreamBuf;
  if (setvbuf(stdin, in, _IOFBF, kStreamBuf) != 0 ||
      setvbuf(stdout, out, isatty(1) ? _IOLBF : _IOFBF, kStreamBuf) != 0) {
    say("the standard streams were used before the runtime started: their buffers stay where they are");
    return;
  }
  // stderr: unbuffered, its buffer is the FILE's own _shortbuf (set up by
  // its first use); fix it now so that the check has something to compare.
  setvbuf(stderr, nullptr, _IONBF, 0);
  FILE *fps[3] = {stdin, stdout, stderr};
  for (int i = 0; i < 3; ++i) {
    FILE *f = fps[i];
    g_std_streams[i] = StdStream{f,
                                 (uintptr_t)f->_IO_buf_base,
                                 (uintptr_t)f->_IO_buf_end - (uintptr_t)f->_IO_buf_base,
                                 (void *)f->_lock,
                                 f->_fileno,
                                 *stream_vtable_slot(f),
                                 (void *)f->_wide_data,
                                 *(const void *const *)((const char *)f->_wide_data + kWideVtableOffset)};
  }
  for (int i = 0; i < 3; ++i) g_stdio_locks[i] = (const int *)g_std_streams[i].lock;
  g_main_tcb = (uintptr_t)thread_self();
  if (const int *l = find_list_lock()) g_stdio_locks[3] = l;
  else say("glibc's stream-list lock not found: a domain that returns holding it is not caught");
  g_std_streams_ready = g_std_streams[2].base != 0;
  take_snapshot();
  if (g_std_streams_ready) exit_words_prepare();
  stdio_return_arm();
  // No domain has run yet: the stream list as it is now is root's own (the
  // first return need not walk it).
  _IO_list_lock();
  io_snapshot_take();
  _IO_list_unlock();
}

void exit_words_guard(const ExitGuard *g) {
  _IO_list_lock();  // exit_words_expect runs under it
  g_exit_words.addr[kWordExitCount] = (uintptr_t)g->count_addr;
  g_exit_words.expect[kWordExitCount] = g->count;
  g_exit_words.runner_expect = g->runner_expect;
  g_exit_words.runner = g->runner;
  _IO_list_unlock();
}

void exit_words_unguard() {
  _IO_list_lock();
  g_exit_words.addr[kWordListHeadAgain] = (uintptr_t)g_io_list_all;
  g_exit_words.runner = &g_exit_words.runner_expect;
  exit_words_expect();
  _IO_list_unlock();
}

void stdio_return_arm() { g_exit_words.ready = g_std_streams_ready && g_shared.avx2 && g_shared.exit_head_addr; }

// The slow path of stdio_streams_ok (internal.h): a domain changed a
// standard stream (or the stdin/stdout/stderr variables); put it back.
bool stdio_streams_repair() {
  for (const StdStream &s : g_std_streams) {
    if (stdio_stream_bad(s)) stream_repair(s);
    if (lock_left_held(s.lock)) {
      lock_release(s.lock);
      log_line("a domain returned holding the lock of standard stream %d: released", s.fd);
    }
  }
  if (lock_left_held(g_stdio_locks[3])) {
    lock_release(g_stdio_locks[3]);
    log_line("a domain returned holding glibc's stream-list lock: released");
  }
  for (const int *l : g_stdio_locks)
    if (lock_owner_forged(l)) {
      auto *io = (const IoLock *)l;
      say("a stream lock (%p) was held by %p, no thread of this process: written by the returning domain, reset",
          (const void *)l, io->owner);
      lock_release(l);
    }
  stdin = g_std_streams[0].fp;
  stdout = g_std_streams[1].fp;
  stderr = g_std_streams[2].fp;
  take_snapshot();
  return false;
}

// The open-stream list changed during a domain's call: walked under glibc's
// list lock.  A standard stream, or a FILE root opened (file_record.cpp:
// root's fopen & co., maybe on another thread meanwhile), stays.  One in
// the calling instance's memory (the domain's own fopen) is taken out:
// root would otherwise call through a FILE the domain controls (at exit,
// or fflush(NULL)); it stays usable to the domain, but exit no longer
// flushes it.  A FILE in the root heap that root did not open through
// those (glibc's own, e.g. getpwnam's) is taken out too if its wide jump
// table is one of libc's (read-only after relocation: RELRO); with one
// anywhere else it is forged (row rt6_forged_file_in_root_heap_linked_into_io_list:
// a domain's result copied out into a root buffer).  Anything else is
// forged: the list is cut there and the exit is a fault
// (root-state-tampered).  Without the record (static libc) a plausible
// root-heap FILE stays.

namespace {
uintptr_t g_libc_relro_lo, g_libc_relro_hi;  // libc's RELRO segment (its jump tables)
int find_relro(struct dl_phdr_info *info, size_t, void *wfile_jumps) {
  uintptr_t want = (uintptr_t)wfile_jumps;
  for (int i = 0; i < info->dlpi_phnum; ++i) {
    const ElfW(Phdr) &ph = info->dlpi_phdr[i];
    uintptr_t lo = info->dlpi_addr + ph.p_vaddr, hi = lo + ph.p_memsz;
    if (ph.p_type == PT_GNU_RELRO && want >= lo && want < hi) {
      g_libc_relro_lo = lo;
      g_libc_relro_hi = hi;
      return 1;
    }
  }
  return 0;
}
bool in_root_heap(uintptr_t a, size_t n) {
  return a >= g_shared.root_heap_base && a < g_shared.root_heap_base + g_shared.root_heap_size &&
         g_shared.root_heap_base + g_shared.root_heap_size - a >= n;
}
// glibc checks a FILE's own jump table itself, not the wide one.
bool wide_calls_plausible(const FILE *f) {
  uintptr_t wd = (uintptr_t)f->_wide_data;
  if (!wd) return true;
  if (!in_root_heap(wd, kWideVtableOffset + 8)) return false;
  uintptr_t vt = *(const uintptr_t *)(wd + kWideVtableOffset);
  return vt >= g_libc_relro_lo && vt < g_libc_relro_hi;
}
}  // namespace

void io_list_walk_prepare() {
  // libc's own table, not a copy relocated into the executable (as for
  // _IO_list_all: io_list_resolve).
  const void *wfile_jumps = &_IO_wfile_jumps;
  if (void *p = libc_own("_IO_wfile_jumps")) wfile_jumps = p;
  dl_iterate_phdr(find_relro, (void *)wfile_jumps);
  if (!g_libc_relro_hi) say("libc's jump tables not found: a FILE with a wide jump table is taken for forged");
  file_record_start();
}

namespace {
bool on_io_list(const FILE *f) {
  int n = 0;
  for (FILE *g = *g_io_list_all; g && n < 65536; g = g->_chain, ++n)
    if (g == f) return true;
  return false;
}
}  // namespace

bool stdio_io_list_repair(const Instance *caller) {
  auto in_range = [](uintptr_t a, uintptr_t lo, uintptr_t hi) { return a >= lo && a < hi && hi - a >= sizeof(FILE) + 8; };
  auto std_file = [&](FILE *f) {
    for (const StdStream &s : g_std_streams)
      if (f == s.fp) return true;
    return false;
  };
  auto root_heap_file = [&](FILE *f) { return in_root_heap((uintptr_t)f, sizeof(FILE) + 8) && wide_calls_plausible(f); };
  auto own_file = [&](FILE *f) {
    uintptr_t a = (uintptr_t)f;
    return caller && (in_range(a, caller->heap_lo, caller->heap_hi) || in_range(a, caller->stack_lo, caller->stack_hi));
  };
  const bool record = file_record_active();
  bool forged = false;
  int kept = 0, unrecorded = 0;
  _IO_list_lock();
  FILE **link = g_io_list_all;
  while (FILE *f = *link) {
    bool keep = std_file(f) || (record ? file_recorded(f) || (file_record_opening() && root_heap_file(f) &&
                                                               file_record_being_opened(f))
                                       : root_heap_file(f));
    if (keep && ++kept < 4096) {
      link = &f->_chain;
      continue;
    }
    if (record && root_heap_file(f)) {
      ++unrecorded;
    } else if (!own_file(f)) {
      forged = true;
      *link = nullptr;  // nothing after a forged link can be trusted
      break;
    }
    *link = f->_chain;  // out of the list
  }
  if (record) file_record_prune(on_io_list);
  io_snapshot_take();  // the list as it is now (repaired): what the next exits compare with
  _IO_list_unlock();
  if (unrecorded) log_line("%d FILE(s) in the root heap root did not open through fopen & co.: taken off the stream list", unrecorded);
  if (forged) log_line("a domain linked a forged FILE into glibc's stream list: taken out");
  return !forged;
}

// After a discard, on the rewound thread: stream locks it still holds (it
// was inside printf & co.) are released, waking a waiter.
void stdio_release_locks() {
  if (!g_std_streams_ready) return;
  for (const StdStream &s : g_std_streams) {
    auto *l = (IoLock *)s.lock;
    if (!l || l->owner != thread_self()) continue;
    lock_release(s.lock);
    log_line("released the lock of standard stream %d held by the rewound thread", s.fd);
  }
}

}  // namespace sdrad

// A program may give the standard streams buffers of its own (root code
// only: from a domain that is a change the exit check undoes).  glibc's own
// entry points (exported, also in static libc), not dlsym: static programs.
extern "C" int _IO_setvbuf(FILE *, char *, int, size_t);
extern "C" void _IO_setbuffer(FILE *, char *, size_t);

namespace {
bool root_caller() {
  sdrad::ThreadState *ts = sdrad::thread_state_if_any();
  return !ts || ts->depth == 0;
}
}  // namespace

extern "C" {
SDRAD_EXPORT int setvbuf(FILE *f, char *buf, int mode, size_t size) {
  int r = _IO_setvbuf(f, buf, mode, size);
  if (root_caller()) sdrad::stream_refresh(f);
  return r;
}
SDRAD_EXPORT void setbuffer(FILE *f, char *buf, size_t size) {
  _IO_setbuffer(f, buf, size);
  if (root_caller()) sdrad::stream_refresh(f);
}
SDRAD_EXPORT void setbuf(FILE *f, char *buf) { setbuffer(f, buf, BUFSIZ); }
SDRAD_EXPORT void setlinebuf(FILE *f) { setvbuf(f, nullptr, _IOLBF, 0); }
}
