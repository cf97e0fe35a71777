// state.h - domains, instances, call frames and thread states (with the static_asserts the assembly relies on), and the lookups that validate them
// Part of the runtime's internal headers (internal.h includes them all).
#pragma once

#include <signal.h>
#include <sys/types.h>

#include "sdrad/abi.h"
#include "sdrad/sdrad.h"
#include "shared_page.h"

namespace sdrad {

struct Heap;  // heap.h

// --- domains, instances, threads ---------------------------------------
struct JmpCtx {
  uint64_t rbx, rbp, r12, r13, r14, r15, rsp, rip;
  uint32_t mxcsr, fpucw;
  uint32_t pkru;     // PKRU to restore when jumping here (checked by gate)
  uint32_t pad;
};
static_assert(sizeof(JmpCtx) == CTX_SIZE && offsetof(JmpCtx, rsp) == CTX_RSP && offsetof(JmpCtx, rip) == CTX_RIP &&
                  offsetof(JmpCtx, mxcsr) == CTX_MXCSR && offsetof(JmpCtx, fpucw) == CTX_FPUCW &&
                  offsetof(JmpCtx, pkru) == CTX_PKRU && offsetof(JmpCtx, rbx) == 0 && offsetof(JmpCtx, r15) == 40,
              "asm_offsets.h: JmpCtx (switch.S saves rbx..r15 at 0..40)");

struct Instance;

// Every call reads the first cache line of its Domain and of its Instance
// (switch.S's fast path: the fields in asm_offsets.h), and a call that
// follows a system call or another thread's work finds them cold: what a
// call reads is packed there, and the counters every call writes are on
// the next line, apart from what other threads' calls read.
struct alignas(64) Domain {
  // read by every call
  uint32_t live;
  uint32_t is_data;        // SDRaD data domain (heap only)
  uint32_t generation;     // bumped each time the handle's slot is reused
  uint32_t grants_gen;     // bumped when allow_rw/allow_ro/deny or the grants change
  uint32_t limit_gen;      // never 0; bumped when the heap limit may change (heap_limit.cpp)
  uint32_t syscalls;       // SDRAD_POLICY_SYSCALLS_* >> 8 (syscall_policy.cpp)
  // liveness.cpp: set by root through the API, reset on registration.
  struct Liveness {
    uint32_t timeout_ms;     // per-call time limit (0: none)
    size_t heap_limit;       // 0: g_shared.heap_limit
    void (*on_discard)(int64_t, void *);  // runs in root after a discard
    void *on_discard_arg;
    void (*init_fn)(void);   // runs in the domain on an instance's first entry
  } liveness;
  // written by every call
  alignas(64) std::atomic<uint64_t> calls;
  std::atomic<uint64_t> faults, high_water;
  uint32_t policy;
  int32_t key;             // protection key, -1 in the unprotected backend
  uint64_t udi;            // compat udi; 0 for native-only
  uint32_t compat_flags;
  uint32_t isolated;       // SDRAD_ISOLATED_DOMAIN: closed to its parent
  uint64_t allow_rw, allow_ro; // extra keys (dprotect), bit = key
  uint64_t deny;               // keys closed outright (dprotect NO_ACCESS)
  uint64_t grant_rw[kMaxDomains / 64], grant_ro[kMaxDomains / 64];  // by domain index
  uint32_t key_taken;          // instances running with `key` (the others own theirs)
  uint32_t warned_shared_key;
  char name[64];
  int64_t creator;         // compat: domain that created it (0: root)
  Instance *pool;          // instances of exited threads, wiped, for reuse
  uint32_t pooled;
  uint64_t epoch;            // discards so far (sdrad_domain_epoch)
};

struct alignas(64) Instance {
  // read by every call (the first cache line: see Domain)
  Domain *dom;
  uint32_t dom_generation;  // Domain::generation when this instance was made
  uint32_t pkru;            // PKRU while running in it
  uint32_t pkru_gen;        // Domain::grants_gen that pkru reflects
  uint32_t limit_gen;       // Domain::limit_gen its heap's limit was opened for; 0: closed
                            // (every new or re-created heap: memory.cpp)
  bool active;              // on this thread's frame stack now
  bool libc_written;        // wrote libc's data (libc_data_key.cpp): may write it
                            // until discarded, and its returns compare libc's state
  bool init_done;           // Domain::Liveness::init_fn ran since the last discard
  bool key_owned;           // allocated for this instance, freed with it
  int key;                  // protection key of its memory (-1: none)
  Heap *heap;
  uintptr_t stack_lo, stack_hi;
  int slot;
  uintptr_t base;          // slot base
  uintptr_t heap_lo, heap_hi;
  int compat_state;        // 0 none, 1 initialised (sdrad_init), 2 deinit'd
  JmpCtx init_ctx;         // compat: where a fault returns to (sdrad_init)
  bool has_init_ctx;
  int init_depth;          // compat: thread depth at sdrad_init
  Instance *next_free;
  // Argument arena: blocks and copies for thunks, bump-allocated and reset
  // when the last one is freed (calls free them before the next call).
  uintptr_t arena_lo, arena_hi, arena_top, arena_dirty;
  uint64_t arena_live;
  uintptr_t fault_sp;      // stack pointer at the fault (0: unknown)
  // Live argument copies and blocks (__sdrad_copy_in, __sdrad_block_alloc):
  // copy_check and copy_out act only on these, so a caller cannot name
  // other data of the instance (to read it, or to get it discarded).
  static constexpr int kMaxCopies = 32;
  void *copies[kMaxCopies];
  uint32_t n_copies;
  uintptr_t stack_committed; // stack is usable from here up; below it
                             // PROT_NONE until the domain grows into it
  // System resources the instance's code made through the syscall policy
  // (domain_resources.cpp): its mappings outside the slot and the
  // descriptors it opened.  Written only by the runtime (SIGSYS handler,
  // discard), released when the instance is discarded or freed.
  struct Mapping {
    uintptr_t lo, hi;
  };
  static constexpr int kMaxMaps = 64;
  Mapping maps[kMaxMaps];
  uint32_t n_maps;
  uint64_t map_bytes;
  struct OwnedFd {
    int32_t fd;
    int32_t mode;          // O_ACCMODE | O_PATH when opened (F_SETFL cannot change them)
    uint64_t dev, ino;     // the file, so that a number reused by root is left alone
  };
  static constexpr int kMaxFds = 64;
  OwnedFd fds[kMaxFds];
  uint32_t n_fds;
};

enum FrameKind : uint32_t { kFrameCall = 0, kFrameCompat = 1 };

struct Frame {
  JmpCtx ctx;              // where this entry returns / rewinds to
  Instance *inst;
  int64_t handle;
  uint32_t kind;
  uint32_t parent_pkru;
  Heap *parent_heap;       // malloc target after leaving
  // compat frames: rsp to restore on sdrad_exit, and the function that
  // called sdrad_enter.  Call frames: the caller's block that a successful
  // return copies the domain's copy back into (copy_size below; 0: none),
  // which switch.S's call fast path leaves to the return (RETURN_FAST, or
  // sdrad_domain_returned); the C++ call path copies back itself.
  union {
    uintptr_t compat_root_rsp;
    void *copy_dst;
  };
  union {
    uintptr_t compat_enter_fn;
    const void *copy_src;  // the domain's copy (top of its stack)
  };
  uint64_t tls_canary, pointer_guard;  // key-0 TLS values at entry
  uintptr_t exit_head;                 // libc's exit-handler list head at entry
  uint64_t deadline_ms;    // watchdog clock value at which it times out (0: none)
  uint8_t parent_inside;   // t_runtime.inside of the caller (switch.h)
  uint16_t copy_size;      // call frames: bytes to copy back, 0 or 8..4096
  uintptr_t tls_watched[5]; // the watched TLS words at entry (kTlsWatched)
};

// Words of the thread's TLS at `off` from the FS base: glibc's TCB above
// it (offsets >= 0), modules' static TLS below it (negative offsets).
inline uint64_t tls_word(intptr_t off) {
  uint64_t v;
  __asm__ volatile("mov %%fs:(%1), %0" : "=r"(v) : "r"(off));
  return v;
}
inline void tls_word_set(intptr_t off, uint64_t v) {
  __asm__ volatile("mov %0, %%fs:(%1)" ::"r"(v), "r"(off) : "memory");
}
// glibc's TCB words a domain can write (key-0 TLS) and root depends on:
// the stack-protector canary and the pointer-mangling guard.
constexpr intptr_t kTlsCanary = 0x28, kTlsPointerGuard = 0x30;
// glibc's thread_local destructor list head: key-0 TLS that glibc runs with
// root rights when the thread ends (and exit() on the main thread).
// The watched TLS words: key-0 static TLS of libc that root depends on
// and a domain can write, at offsets found at start-up (libc_state.cpp):
// glibc's thread_local destructor list head, run with root rights at the
// thread's end (rows rt9b_tls_dtor_*), then the thread's locale and
// glibc's caches of its ctype tables, which root's toupper, isalpha,
// printf & co. read (row rt9b_tls_locale_toupper).  Saved on entry into a
// domain, compared and put back on return like the TLS canary (call.cpp,
// switch.S).
constexpr int kTlsDtorHead = 0, kTlsLocale = 1, kTlsLocaleWords = 4, kTlsWatched = 5;
static_assert(sizeof(SharedPage::tls_watched_off) == kTlsWatched * sizeof(intptr_t), "shared_page.h");
inline void tls_watched_save(uintptr_t *to) {
  for (int i = 0; i < kTlsWatched; ++i) to[i] = tls_word(g_shared.tls_watched_off[i]);
}
// false (and put back) if any word differs from `saved`
inline bool tls_watched_restore(const uintptr_t *saved) {
  bool same = true;
  for (int i = 0; i < kTlsWatched; ++i)
    if (tls_word(g_shared.tls_watched_off[i]) != saved[i]) {
      tls_word_set(g_shared.tls_watched_off[i], saved[i]);
      same = false;
    }
  return same;
}
void tls_dtor_locate();    // libc_state.cpp, at start-up
void tls_locale_locate();  // libc_state.cpp, at start-up
bool root_state_restore(const Frame *f, bool libc = true);  // false (and repaired) if changed
void exit_list_locate();              // libc_state.cpp, at start-up
// libc's writable data under its own key (libc_data_key.cpp).
void libc_data_protect();             // start-up, after exit_list_locate
// A return from `in` compares libc's state only if the instance may have
// written it: always without the key (unless SDRAD_LIBC_CHECK=always).
inline bool libc_check_needed(const Instance *in) { return !g_shared.libc_lazy || in->libc_written; }
void libc_write_revoke(Instance *in);  // on discard: write-disabled again
bool exit_head_ok(uintptr_t saved);   // false (and repaired) if changed

struct RootCache;

struct alignas(4096) ThreadState {  // power-of-two size: cheap validation
  uint64_t magic;
  uintptr_t fs_base;       // the owning thread's FS base (see thread_fs_base)
  int32_t tid;
  int32_t depth;
  uint32_t cur_pkru;
  uint32_t in_use;
  // Read by every call, with the four words above and frames[0]'s start
  // in the first cache line (as Domain's and Instance's: state.h above).
  uint32_t sud_on;         // Syscall User Dispatch is on for this thread
  // 1 while the code of the innermost domain runs (not a gate): written,
  // elevated, right before each drop to a domain's PKRU and right after
  // each elevation (gate_macros.inc: ELEVATE_MARKED); what a signal frame
  // rewritten before its handler copied it may claim is checked against it
  // (signals.cpp).
  uint32_t dom_code;
  // The selector value the runtime last chose for the thread (confine_sync):
  // what a drop into a domain checks the selector against after its WRPKRU,
  // since a signal handled just before it may have left "allow" (switch.S,
  // syscall_rearm.S, selector_check.inc).
  uint32_t sud_want;
  Frame frames[kMaxDepth];
  Instance *inst[kMaxDomains];
  sdrad_fault last_fault;
  int has_fault;
  int32_t last_error;
  void *altstack;
  size_t altstack_size;
  RootCache *root_cache;   // root allocator's per-thread cache (root heap)
  uintptr_t tagged_stack_lo, tagged_stack_hi;  // root-keyed part of its stack
  uint32_t sud_pending;    // a handler returned into a domain: re-arm due
  uintptr_t sud_resume;    // ... where the domain continues after the re-arm
  uint32_t sud_arg_slot;   // ... and a register the policy aimed at its copy (syscall_rearm.S slot, 0: none)
  uintptr_t sud_arg_value; // ... which the re-arm puts back to the domain's value
  uint32_t sig_depth;      // nesting of the runtime's signal handlers
  uint32_t sig_pkru[8];    // frame PKRU at each handler's entry
  // Each handler's signal frame: a root jump (longjmp.cpp) that lands
  // outside it leaves that handler, and its level is given back.
  uintptr_t sig_frame[8];
  uint8_t gate_open[kMaxDepth + 1];  // no PKU: runtime gates running, by depth
  uint32_t shared_alloc;   // root's malloc serves the shared heap (shared_heap.cpp)
  // glibc's stack bounds in this thread's descriptor, as checked at its
  // start (threads.cpp): put back before glibc's exit path uses them.
  uintptr_t pd_bounds_off, pd_bounds[3];
  uint32_t sig_pkru_forced;  // frames whose PKRU was set to the domain's (signals.cpp)
  uint32_t cancel_due;       // an asynchronous cancellation waits for root (cancel.cpp)
  ThreadState *next_free;
};

extern __thread ThreadState *t_ts __attribute__((tls_model("initial-exec")));

// ThreadState::dom_code for a drop to `installed` (a domain's PKRU: its code
// runs next), as the last store before the drop.
inline void mark_dom_code(ThreadState *ts, uint32_t installed) {
  uint32_t v = installed != 0 && ts->depth > 0;
  __atomic_signal_fence(__ATOMIC_SEQ_CST);
  *(volatile uint32_t *)&ts->dom_code = v;
}
extern __thread Heap *t_heap __attribute__((tls_model("initial-exec")));

constexpr uint64_t kTsMagic = 0x5344526154687264ull;
static_assert((sizeof(ThreadState) & (sizeof(ThreadState) - 1)) == 0, "power of two");
static_assert(sizeof(ThreadState) == TS_SIZE && offsetof(ThreadState, fs_base) == TS_FS_BASE &&
                  offsetof(ThreadState, dom_code) == TS_DOM_CODE && offsetof(ThreadState, altstack) == TS_ALTSTACK && (1 << TS_SHIFT) == TS_SIZE &&
                  offsetof(ThreadState, sud_want) == TS_SUD_WANT &&
                  offsetof(ThreadState, depth) == TS_DEPTH && offsetof(ThreadState, cur_pkru) == TS_CUR_PKRU &&
                  offsetof(ThreadState, in_use) == TS_IN_USE && offsetof(ThreadState, frames) == TS_FRAMES &&
                  offsetof(ThreadState, inst) == TS_INST && offsetof(ThreadState, sud_on) == TS_SUD_ON,
              "asm_offsets.h: ThreadState");
// switch.S's call fast path (sdrad_call_fast) reads and writes these.
static_assert(offsetof(Instance, dom) == IN_DOM && offsetof(Instance, dom_generation) == IN_DOM_GEN &&
                  offsetof(Instance, pkru) == IN_PKRU && offsetof(Instance, pkru_gen) == IN_PKRU_GEN &&
                  offsetof(Instance, heap) == IN_HEAP && offsetof(Instance, stack_hi) == IN_STACK_HI &&
                  offsetof(Instance, active) == IN_ACTIVE && offsetof(Instance, libc_written) == IN_LIBC_WRITTEN &&
                  offsetof(Instance, init_done) == IN_INIT_DONE &&
                  offsetof(Instance, limit_gen) == IN_LIMIT_GEN && sizeof(Instance::active) == 1 &&
                  sizeof(Instance::init_done) == 1 && sizeof(Instance::heap) == 8,
              "asm_offsets.h: Instance");
static_assert(offsetof(Domain, live) == D_LIVE && offsetof(Domain, is_data) == D_IS_DATA &&
                  offsetof(Domain, grants_gen) == D_GRANTS_GEN && offsetof(Domain, generation) == D_GENERATION &&
                  offsetof(Domain, limit_gen) == D_LIMIT_GEN && offsetof(Domain, syscalls) == D_SYSCALLS &&
                  offsetof(Domain, calls) == D_CALLS && offsetof(Domain, liveness.timeout_ms) == D_TIMEOUT &&
                  offsetof(Domain, liveness.init_fn) == D_INIT_FN && (1 << MAX_DOMAINS_SHIFT) == kMaxDomains,
              "asm_offsets.h: Domain");
static_assert(offsetof(Frame, inst) == F_INST && offsetof(Frame, handle) == F_HANDLE && offsetof(Frame, kind) == F_KIND &&
                  offsetof(Frame, parent_pkru) == F_PARENT_PKRU && offsetof(Frame, parent_heap) == F_PARENT_HEAP &&
                  offsetof(Frame, tls_canary) == F_TLS_CANARY && offsetof(Frame, pointer_guard) == F_POINTER_GUARD &&
                  offsetof(Frame, exit_head) == F_EXIT_HEAD && offsetof(Frame, deadline_ms) == F_DEADLINE &&
                  offsetof(Frame, parent_inside) == F_PARENT_INSIDE && kFrameCall == 0 &&
                  offsetof(Frame, copy_dst) == F_COPY_DST && offsetof(Frame, copy_src) == F_COPY_SRC &&
                  offsetof(Frame, copy_size) == F_COPY_SIZE && offsetof(Frame, tls_watched) == F_TLS_WATCHED,
              "asm_offsets.h: Frame");

// The thread's FS base: set by the kernel, and not writable by a domain
// without code execution (arch_prctl, WRFSBASE).  It binds a ThreadState to
// its thread, because t_ts itself is key-0 TLS that any domain on any
// thread can overwrite.
uintptr_t thread_fs_base_syscall();
inline uintptr_t thread_fs_base() {
  if (__builtin_expect(g_shared.bind_threads == 1, 1)) {
    uintptr_t v;
    __asm__ volatile("rdfsbase %0" : "=r"(v));
    return v;
  }
  return g_shared.bind_threads == 2 ? thread_fs_base_syscall() : 0;
}

// Is ts a live entry of the runtime's thread-state array that belongs to
// the calling thread?
// On every gate and every domain return, so short: the entry's offset in
// the array rotated right by log2(sizeof(ThreadState)) is its index if the
// offset is a multiple of the size, and >= 2^51 (out of range) if it is not,
// which makes the bounds and alignment checks one compare.  The magic is
// implied: the array is root-keyed, and an entry is in use only after
// thread_state_lookup has initialised it.
inline bool ts_valid(const ThreadState *ts) {
  constexpr unsigned kShift = __builtin_ctzll(sizeof(ThreadState));
  uintptr_t off = (uintptr_t)ts - g_shared.ts_base;
  uintptr_t idx = (off >> kShift) | (off << (64 - kShift));
  if (idx >= (g_shared.ts_size >> kShift) || !ts->in_use) return false;
  if (__builtin_expect(g_shared.bind_threads == 1, 1)) {
    uintptr_t fs;
    __asm__ volatile("rdfsbase %0" : "=r"(fs));
    return ts->fs_base == fs;
  }
  return !g_shared.bind_threads || ts->fs_base == thread_fs_base_syscall();
}
// t_ts missing or not this thread's: the thread's own state, found in the
// runtime's array by FS base (t_ts repaired); created if `create`.
ThreadState *thread_state_lookup(bool create);
inline ThreadState *thread_state() {  // validated; creates on first use
  ThreadState *ts = t_ts;
  if (__builtin_expect(ts && ts_valid(ts), 1)) return ts;
  return thread_state_lookup(true);
}
// The first thread state in use that `match` accepts, nullptr if none: a
// lock-free scan of the whole root-owned array (entries are handed out
// under the state lock; a thread writes only its own entry).
template <class Match>
ThreadState *thread_state_find(Match match) {
  size_t n = g_shared.ts_size / sizeof(ThreadState);
  for (size_t i = 0; i < n; ++i) {
    ThreadState *c = (ThreadState *)g_shared.ts_base + i;
    if (__atomic_load_n(&c->in_use, __ATOMIC_RELAXED) && match(c)) return c;
  }
  return nullptr;
}
inline ThreadState *thread_state_if_any() {  // validated; nullptr if none
  ThreadState *ts = t_ts;
  if (__builtin_expect(ts && ts_valid(ts), 1)) return ts;
  return thread_state_lookup(false);
}
void *state_alloc(size_t n);
void root_cache_flush(ThreadState *ts);     // malloc.cpp, at thread exit
bool entry_registered_for(void (*entry)(void *), const Domain *d);  // entries.cpp
bool runtime_entry(void (*entry)(void *));  // sdrad_api.cpp: the runtime's own

// --- what a gate's caller may touch (caller.cpp) -------------------------
const Instance *calling_instance(const ThreadState *ts);  // nullptr: root
bool caller_may_write(const ThreadState *ts, const void *p, size_t n);
bool caller_may_read(const ThreadState *ts, const void *p, size_t n);
ssize_t caller_strlen(const ThreadState *ts, const char *s, size_t max);
[[noreturn]] void gate_refuse(ThreadState *ts, const char *what, const void *p);
void check_caller_write_slow(ThreadState *ts, const char *what, const void *p, size_t n);
void check_caller_read_slow(ThreadState *ts, const char *what, const void *p, size_t n);
// Root callers (depth 0) may touch anything: no call on their path.
inline void check_caller_write(ThreadState *ts, const char *what, const void *p, size_t n) {
  if (ts && ts->depth > 0) check_caller_write_slow(ts, what, p, n);
}
inline void check_caller_read(ThreadState *ts, const char *what, const void *p, size_t n) {
  if (ts && ts->depth > 0) check_caller_read_slow(ts, what, p, n);
}          // bump allocation in the state region

inline int handle_index(int64_t handle) { return (int)((uint64_t)handle % kMaxDomains); }
extern Domain *g_domains;             // kMaxDomains entries, in the state region
// A handle is the domain's table index plus kMaxDomains times the
// generation of that entry: a handle kept across sdrad_destroy and a new
// registration in the same entry no longer names anything.
inline Domain *domain_at(int64_t handle) {  // nullptr if bad or stale
  if (handle <= 0 || !g_domains) return nullptr;
  int idx = handle_index(handle);
  Domain *d = &g_domains[idx];
  return idx != 0 && d->live && (uint64_t)handle / kMaxDomains == d->generation ? d : nullptr;
}
int instance_take_key(Instance *in, Domain *d);  // 0 or SDRAD_E_NO_KEY
void instance_put_key(Instance *in);
int64_t domain_handle_of(const Domain *d);
bool heap_guard_catch(Heap *h);
size_t caller_block_size(ThreadState *ts, const void *blk);  // nested call blocks
int64_t domain_register(const char *name, uint32_t policy, uint64_t udi,
                        uint32_t compat_flags, bool is_data);
int64_t domain_find_udi(uint64_t udi);
void domain_destroy(int64_t handle);

Instance *instance_get(ThreadState *ts, int64_t handle, int *err);
// instance_get's common case inline (every call and every argument copy):
// the thread's existing instance of a live domain that the handle still
// names.  The thread's entry for the handle's index exists only for a valid
// index (never 0) and its domain is g_domains[index], so domain_at's checks
// reduce to the handle's generation (a handle <= 0 divides to no 32-bit
// generation) and the domain being live.  Anything else: instance_get.
inline Instance *instance_cached(const ThreadState *ts, int64_t handle) {  // nullptr: ask instance_get
  Instance *in = ts->inst[handle_index(handle)];
  if (__builtin_expect(in != nullptr, 1)) {
    const Domain *d = in->dom;
    uint32_t gen = d->generation;
    if (__builtin_expect(((uint64_t)handle / kMaxDomains == gen) & (in->dom_generation == gen) & (d->live != 0), 1))
      return in;
  }
  return nullptr;
}
inline Instance *instance_lookup(ThreadState *ts, int64_t handle, int *err) {
  Instance *in = instance_cached(ts, handle);
  return __builtin_expect(in != nullptr, 1) ? in : instance_get(ts, handle, err);
}
void instance_discard(Instance *in);  // reset heap & stack after a fault
void note_high_water(Instance *in);
void instance_release(ThreadState *ts, int idx);  // idx: handle_index
void instance_retire(ThreadState *ts, int idx);   // thread exit: keep for reuse
bool instance_create_memory(Instance *in, const Domain *d);
uint32_t instance_pkru_refresh(Instance *in);
inline uint32_t instance_pkru(Instance *in) {  // current, after any dprotect
  if (__builtin_expect(in->pkru_gen == in->dom->grants_gen, 1)) return in->pkru;
  return instance_pkru_refresh(in);
}
// The instance's heap limit is in the root-owned table (heap_limit.cpp):
// opened on the first entry after its heap was created or re-created
// (memory.cpp closes it then) and after the domain's limit changed, not on
// every entry.
void heap_limit_open(Instance *in);
inline void heap_limit_current(Instance *in) {
  if (in->heap && __builtin_expect(in->limit_gen != __atomic_load_n(&in->dom->limit_gen, __ATOMIC_ACQUIRE), 0))
    heap_limit_open(in);
}
void instance_free_memory(Instance *in);
void reclaimer_start();  // normal context only: starts a thread (memory.cpp)
bool instance_grow_stack(Instance *in, uintptr_t addr);  // from the SIGSEGV handler

}  // namespace sdrad
