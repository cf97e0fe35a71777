// stdio_check.h - the standard streams' state root depends on, checked on every exit from a domain (stdio.cpp)
// Part of the runtime's internal headers (internal.h includes them all).
#pragma once

#include <emmintrin.h>
#include <stddef.h>
#include <stdio.h>

#include "base.h"
#include "exit_handlers.h"
#include "shared_page.h"

extern "C" FILE *_IO_list_all;  // glibc's (exported): only through g_io_list_all

namespace sdrad {

// glibc's head of the stream list, the one glibc itself uses.  libc reaches
// _IO_list_all through a hidden alias, not its GOT, so an executable that
// takes a copy relocation of it (gcc's -fPIE code refers to extern data
// directly) holds a copy that glibc never updates: checks on that copy saw
// nothing of glibc's list, and the test that walks it found root's FILEs
// gone.  Resolved at start-up from libc's own definition (stdio.cpp).
extern FILE **g_io_list_all SDRAD_HIDDEN;

// --- standard streams (stdio.cpp) -----------------------------------------
void stdio_prepare();        // start-up: buffers in key-0 memory
// What root set up for stdin, stdout, stderr (stdio.cpp).
struct StdStream {
  FILE *fp;
  uintptr_t base, len;  // the buffer
  void *lock;
  int fd;
  // What glibc calls through: the FILE's jump table (right after the FILE
  // in _IO_FILE_plus; glibc only checks that it is one of its own tables),
  // its wide data and that one's jump table (never checked by glibc).
  const void *vtable;
  void *wide;
  const void *wide_vtable;
};
constexpr size_t kWideVtableOffset = 0xe0;  // struct _IO_wide_data::_wide_vtable (glibc 2.x, x86-64)
inline const void *const *stream_vtable_slot(const FILE *f) { return (const void *const *)(f + 1); }
inline uint64_t stdio_stream_calls_bad(const StdStream &s) {  // non-zero: changed
  const FILE *f = s.fp;
  return ((uintptr_t)*stream_vtable_slot(f) ^ (uintptr_t)s.vtable) | ((uintptr_t)f->_wide_data ^ (uintptr_t)s.wide) |
         ((uintptr_t) * (const void *const *)((const char *)s.wide + kWideVtableOffset) ^ (uintptr_t)s.wide_vtable);
}
extern StdStream g_std_streams[3] SDRAD_HIDDEN;
extern bool g_std_streams_ready SDRAD_HIDDEN;
bool stdio_streams_repair();  // false: something was changed (and is put back)
// On every exit from a domain, so branch-free: the six read/write pointers
// are each inside the buffer or NULL (not their order: another thread
// using the stream passes through such states), buffer, descriptor and
// lock as root set them up, and the stdin/stdout/stderr variables still
// name these FILEs.
inline uint64_t stdio_stream_bad(const StdStream &s) {
  const FILE *f = s.fp;
  const uintptr_t *w = (const uintptr_t *)&f->_IO_read_ptr;
  uint64_t bad = (w[6] != s.base) | (w[7] != s.base + s.len) | (f->_fileno != s.fd) | ((void *)f->_lock != s.lock) |
                 (stdio_stream_calls_bad(s) != 0);
  for (int i = 0; i < 6; ++i) bad |= (w[i] != 0) & (w[i] - s.base > s.len);
  return bad;
}
// Each stream's bytes root depends on, as last found valid: three windows
// of the FILE -- its buffer pointers (8..72), its stream-list link,
// descriptor, lock and wide data (104..168), and its jump table (192..224,
// the word right after the FILE).  Most returns find them unchanged, and
// comparing costs a few vector compares (AVX2 where the CPU has it,
// selected at start-up: g_shared.avx2).  Equal bytes mean the values the
// full check accepted (the link: the one the list check last accepted,
// since the snapshot is taken only after it).  Fields that change in normal
// use (_offset, _mode, ...) make a return take the full check once.
constexpr size_t kStdSnapshot = 160;
struct SnapWindow {
  size_t file_off, len;
};
constexpr SnapWindow kSnapWindows[3] = {{8, 64}, {104, 64}, {192, 32}};
static_assert(offsetof(FILE, _IO_read_ptr) == 8 && offsetof(FILE, _IO_buf_end) + 8 <= 72 && offsetof(FILE, _chain) >= 104 &&
                  offsetof(FILE, _fileno) >= 104 && offsetof(FILE, _lock) + 8 <= 168 &&
                  offsetof(FILE, _wide_data) + 8 <= 168 && sizeof(FILE) >= 192 && sizeof(FILE) + 8 <= 224,
              "glibc FILE layout (x86-64): the snapshot windows, also in switch.S");
extern uint8_t g_std_snapshot[3][kStdSnapshot] __asm__("sdrad_std_snapshot") SDRAD_HIDDEN __attribute__((aligned(32)));
static_assert(kStdSnapshot == STD_SNAPSHOT, "asm_offsets.h: STD_SNAPSHOT");
bool stdio_streams_check();  // the full check; a valid state is the new snapshot
bool stdio_snapshot_same_avx2();  // stdio.cpp
inline bool stdio_snapshot_same_sse2() {
  __m128i same = _mm_set1_epi8(-1);
  for (int k = 0; k < 3; ++k) {
    const char *f = (const char *)g_std_streams[k].fp;
    const __m128i *v = (const __m128i *)g_std_snapshot[k];
    for (const SnapWindow &w : kSnapWindows)
      for (size_t i = 0; i < w.len; i += 16, ++v)
        same = _mm_and_si128(same, _mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(f + w.file_off + i)), _mm_load_si128(v)));
  }
  return _mm_movemask_epi8(same) == 0xffff;
}
// The three streams' locks and glibc's stream-list lock (glibc's
// _IO_lock_t: lock word, count, owner; stdio_prepare finds them) are free
// on most exits.  Held (lock word not 0), they are looked at by the full
// check: a thread going back to root code must not hold one
// (stdio_streams_check).  A count or owner written with the lock word 0
// makes no other thread wait: the word is what they wait on.
extern const int *g_stdio_locks[4] __asm__("sdrad_stdio_locks") SDRAD_HIDDEN;
inline bool stdio_locks_idle() {
  const int *const *l = g_stdio_locks;
  return (*l[0] | *l[1] | *l[2] | *l[3]) == 0;
}
__attribute__((always_inline)) inline bool stdio_streams_ok() {
  if (!g_std_streams_ready) return true;
  bool same = g_shared.avx2 ? stdio_snapshot_same_avx2() : stdio_snapshot_same_sse2();
  bool fast = same && stdio_locks_idle() && stdin == g_std_streams[0].fp && stdout == g_std_streams[1].fp &&
              stderr == g_std_streams[2].fp &&
              (stdio_stream_calls_bad(g_std_streams[0]) | stdio_stream_calls_bad(g_std_streams[1]) |
               stdio_stream_calls_bad(g_std_streams[2])) == 0;
  return __builtin_expect(fast, 1) || stdio_streams_check();
}
void stdio_release_locks();  // after a discard: locks the rewound thread held

// glibc's list of open streams: _IO_list_all (libc data, key 0) and each
// FILE's _chain.  exit, fflush(NULL) and reads from line-buffered streams
// call through every FILE on it.  Root's FILEs live in the root heap; the
// standard streams' links are key 0 like the head.  On every exit from a
// domain the head and the three links must be as last found valid
// (g_io_snapshot, runtime data no domain can write), else the list is
// walked (stdio_io_list_repair), which takes the new state as valid.
extern uintptr_t g_io_snapshot[4] SDRAD_HIDDEN;

// What switch.S's return path (sdrad_enter_and_run) compares on a domain's
// successful return besides the snapshot windows: the words outside the
// FILEs -- the stdin/stdout/stderr variables, _IO_list_all, and each
// stream's wide jump table -- read from these addresses and compared with
// their last valid values (the eighth repeats the list head).  Any
// difference sends the return to the C++ path (stdio_streams_ok,
// stdio_io_list_ok), which checks and repairs.  Root-owned runtime data;
// written at start-up (stdio_prepare) and whenever the list walk takes a
// new state as valid.
// With the exit-handler guard armed (exit_handlers.h), the eighth word is
// glibc's exit-handler entry count instead, and the runner's entry (32
// bytes at `runner`) is compared with runner_expect (`runner` aims at
// runner_expect itself while the guard is off: always equal).
struct alignas(32) ExitWords {
  uintptr_t addr[8];
  uintptr_t expect[8];
  const FILE *fp[3];  // the standard streams (their snapshot windows)
  uint32_t ready;     // 0: the C++ path compares (stdio_return_arm)
  alignas(32) GlibcExitFn runner_expect;
  const GlibcExitFn *runner;
};
static_assert(offsetof(ExitWords, addr) == EW_ADDR && offsetof(ExitWords, expect) == EW_EXPECT &&
                  offsetof(ExitWords, fp) == EW_FP && offsetof(ExitWords, ready) == EW_READY &&
                  offsetof(ExitWords, runner_expect) == EW_RUNNER_EXPECT && offsetof(ExitWords, runner) == EW_RUNNER &&
                  sizeof(GlibcExitFn) == 32,
              "asm_offsets.h: ExitWords");
extern ExitWords g_exit_words __asm__("sdrad_exit_words") SDRAD_HIDDEN;
// Start-up, after stdio_prepare and exit_list_locate: the assembly return
// compares only with the streams prepared, AVX2, and the exit-handler list
// head found (one flag, so that it tests one word).
void stdio_return_arm();
void exit_words_guard(const ExitGuard *g);  // exit_handlers_arm: the words it adds
void exit_words_unguard();                  // at exit: back to the list head twice
// file_record.cpp: the FILEs root opened (fopen & co., interposed).
void file_record_start();
bool file_record_active();   // false: not interposed (static libc)
bool file_record_opening();  // a root thread is inside fopen & co. now
bool file_recorded(const FILE *f);
// A block root's malloc gave a root thread inside fopen & co.: what the FILE
// being opened may be (the walk keeps no other unrecorded FILE meanwhile).
bool file_record_being_opened(const FILE *f);
void file_record_prune(bool (*on_list)(const FILE *));
struct Instance;
bool stdio_io_list_repair(const Instance *caller);  // false: a forged link was taken out
__attribute__((always_inline)) inline bool stdio_io_list_ok(const Instance *caller) {
  uintptr_t diff = g_io_snapshot[0] ^ (uintptr_t)*g_io_list_all;
  if (__builtin_expect(g_std_streams_ready, 1))
    for (int k = 0; k < 3; ++k) diff |= g_io_snapshot[k + 1] ^ (uintptr_t)g_std_streams[k].fp->_chain;
  return __builtin_expect(diff == 0, 1) || stdio_io_list_repair(caller);
}

}  // namespace sdrad
