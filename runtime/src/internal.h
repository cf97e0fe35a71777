// Internal declarations shared by the runtime's files.  Nothing here is ABI.
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <signal.h>
#include <atomic>
#include <emmintrin.h>
#include <sched.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdio.h>
#include <sys/types.h>

#include "sdrad/abi.h"
#include "sdrad/sdrad.h"

#define SDRAD_HIDDEN __attribute__((visibility("hidden")))
#define SDRAD_EXPORT __attribute__((visibility("default")))

namespace sdrad {

constexpr size_t kPage = 4096;
constexpr int kMaxDomains = 256;    // registered domains (native + compat)
constexpr int kMaxDepth = 16;       // nesting depth per thread
constexpr int kMaxThreads = 512;    // live threads that have used a domain
constexpr int kMaxSlots = 1024;     // live domain instances in the arena
constexpr uint64_t kStackCanary = 0x5d7ad0c0ffee1234ull;

inline uintptr_t align_up(uintptr_t v, uintptr_t a) { return (v + a - 1) & ~(a - 1); }

// --- the shared page -----------------------------------------------------
// One page in key-0 memory, read-only after initialisation.  It holds what
// code running with a domain's rights (malloc, the signal entry, the switch
// gates) must read before it may touch the runtime's protected state.
struct alignas(kPage) SharedPage {
  uint32_t initialized;
  uint32_t pku;              // 1: WRPKRU is live
  uint32_t root_pkru;        // PKRU of root code
  int32_t root_key;          // key of root-protected memory, -1 if none
  uint32_t root_wd_bits;     // PKRU bits that deny writes to root_key
  uint32_t log;              // SDRAD_LOG set
  uint64_t canary_secret;
  uintptr_t state_base, state_size;   // runtime state region (root key)
  uintptr_t ts_base, ts_size;         // thread-state array inside it
  uintptr_t arena_base, arena_size;   // domain instances
  uint32_t slot_shift;
  uint32_t max_slots;          // SDRAD_MAX_INSTANCES, <= kMaxSlots
  size_t heap_size, stack_size, data_size, args_size;
  uintptr_t root_heap_base, root_heap_size;
  uint32_t bind_threads;       // 1: RDFSBASE binds thread states, 2: arch_prctl
  // Syscall confinement (syscall_confine.cpp): per-thread selector bytes,
  // one page mapped twice: read-only (key 0, what the kernel reads under
  // any domain's PKRU) and writable (root key, what the runtime writes).
  uint32_t confine;            // 1: Syscall User Dispatch confines domains
  uint32_t xsave_pkru_off;     // PKRU's offset in a signal frame's XSAVE area (0: no PKU)
  uintptr_t sud_ro, sud_rw;
  uintptr_t exit_head_addr;    // glibc's exit-handler list head (0: not found)
  uint32_t share_keys;         // SDRAD_SHARE_KEYS: integrity instances may share a key
  size_t heap_limit;           // default domain heap limit (liveness.cpp)
};
static_assert(sizeof(SharedPage) == kPage, "the shared page is one page");
extern SharedPage g_shared __asm__("sdrad_shared_page") SDRAD_HIDDEN;

// --- one instance slot ----------------------------------------------------
// [guard][heap][guard][stack][guard][argument area][guard] (data domains:
// [guard][heap][guard]), offsets from the slot base.  The sizer
// (config.cpp) and the mapper (memory.cpp) both use this one function.
struct SlotLayout {
  uintptr_t heap_lo, heap_hi, stack_lo, stack_hi, args_lo, args_hi, end;
};
inline SlotLayout slot_layout(bool data_domain) {
  SlotLayout l{};
  l.heap_lo = kPage;
  l.heap_hi = l.heap_lo + (data_domain ? g_shared.data_size : g_shared.heap_size);
  if (data_domain) {
    l.end = l.heap_hi + kPage;
    return l;
  }
  l.stack_lo = l.heap_hi + kPage;
  l.stack_hi = l.stack_lo + g_shared.stack_size;
  l.args_lo = l.stack_hi + kPage;
  l.args_hi = l.args_lo + g_shared.args_size;
  l.end = l.args_hi + kPage;
  return l;
}

// --- locks ----------------------------------------------------------------
// The runtime's locks guard short sections with no allocation, and are
// taken from any context the runtime runs in: a spin that yields after a
// while.  SpinGuard holds one for a scope.
inline void spin_lock(std::atomic<int> &l) {
  for (int i = 0;; ++i) {
    int z = 0;
    if (l.compare_exchange_weak(z, 1, std::memory_order_acquire)) return;
    if (i > 64) sched_yield();
    else __builtin_ia32_pause();
  }
}
inline void spin_unlock(std::atomic<int> &l) { l.store(0, std::memory_order_release); }
struct SpinGuard {
  std::atomic<int> &l;
  explicit SpinGuard(std::atomic<int> &lock) : l(lock) { spin_lock(l); }
  ~SpinGuard() { spin_unlock(l); }
  SpinGuard(const SpinGuard &) = delete;
  SpinGuard &operator=(const SpinGuard &) = delete;
};

// --- configuration ------------------------------------------------------
void ensure_initialized();            // idempotent; safe from malloc
[[noreturn]] void fatal(const char *fmt, ...);
void log_line(const char *fmt, ...);  // only when SDRAD_LOG is set
void say(const char *fmt, ...);       // always, to stderr

// --- PKRU ---------------------------------------------------------------
static inline uint32_t rdpkru_raw() {
  uint32_t eax, edx;
  __asm__ volatile(".byte 0x0f,0x01,0xee" : "=a"(eax), "=d"(edx) : "c"(0));
  return eax;
}
static inline uint32_t current_pkru() { return g_shared.pku ? rdpkru_raw() : 0; }
// Elevate/restore for runtime entry points that can be reached from domain
// code (nested thunks, compat calls).  See docs/threat-model.md on gates.
uint32_t elevate();                  // returns previous PKRU
void restore_pkru(uint32_t saved);
struct Elevated {
  uint32_t saved;
  Elevated() : saved(elevate()) {}
  ~Elevated() { restore_pkru(saved); }
};

// --- keys ---------------------------------------------------------------
bool pku_probe();                    // can pkey_alloc work here?
int key_alloc();                     // -1 when exhausted (or no PKU)
void key_free(int key);               // deferred while instances carry it
void key_hold(int key);               // an instance's memory carries it
void key_release(int key);
int tag_memory(void *p, size_t len, int prot, int key);  // pkey_mprotect or mprotect
uint32_t pkru_bits(int key, bool allow_read, bool allow_write);
uint32_t domain_pkru(int own_key, uint32_t policy, uint64_t extra_allow_rw,
                     uint64_t extra_allow_ro);
void protect_executable_data(int key);
// Binds the executable's lazily bound PLT entries now (lazy_binding.cpp).
void resolve_lazy_plt();
void protect_main_stack(int key);

// --- heap (heap.cpp) ----------------------------------------------------
struct Heap;
enum class HeapError { None, DoubleFree, InvalidPointer, Corrupted };
Heap *heap_create(void *base, size_t size);   // header lives at base
void *heap_malloc(Heap *h, size_t n);
void heap_free(Heap *h, void *p);
void *heap_realloc(Heap *h, void *p, size_t n);
void *heap_memalign(Heap *h, size_t align, size_t n);
size_t heap_usable_size(Heap *h, const void *p);
bool heap_contains(const Heap *h, const void *p);
size_t heap_in_use(const Heap *h);
size_t heap_high_water(const Heap *h);
size_t heap_touched(const Heap *h);           // bytes from base to top
void heap_set_cap(Heap *h, size_t bytes);     // heap limit (0: the region)
uintptr_t heap_region_base(const Heap *h);
bool heap_check(Heap *h);                     // full consistency walk
void heap_trim_cache(Heap *h);                // front cache back into the heap
bool heap_bounds_ok(const Heap *h, uintptr_t lo, uintptr_t hi);  // header describes [lo, hi)
// Called by the allocator when it detects corruption or a bad free; does
// not return for domain heaps (the domain is rewound), aborts for root.
[[noreturn]] void heap_error(Heap *h, HeapError e, const void *p);

// --- domains, instances, threads ---------------------------------------
struct JmpCtx {
  uint64_t rbx, rbp, r12, r13, r14, r15, rsp, rip;
  uint32_t mxcsr, fpucw;
  uint32_t pkru;     // PKRU to restore when jumping here (checked by gate)
  uint32_t pad;
};
static_assert(sizeof(JmpCtx) == 80, "asm offsets");

struct Instance;

struct Domain {
  uint32_t live;
  uint32_t policy;
  int32_t key;             // protection key, -1 in the unprotected backend
  uint32_t is_data;        // SDRaD data domain (heap only)
  uint64_t udi;            // compat udi; 0 for native-only
  uint32_t compat_flags;
  uint32_t isolated;       // SDRAD_ISOLATED_DOMAIN: closed to its parent
  uint64_t allow_rw, allow_ro; // extra keys (dprotect), bit = key
  uint64_t deny;               // keys closed outright (dprotect NO_ACCESS)
  uint64_t grant_rw[kMaxDomains / 64], grant_ro[kMaxDomains / 64];  // by domain index
  uint32_t grants_gen;         // bumped when the three above change
  uint32_t key_taken;          // instances running with `key` (the others own theirs)
  uint32_t generation;         // bumped each time the handle's slot is reused
  uint32_t warned_shared_key;
  uint32_t syscalls;           // SDRAD_POLICY_SYSCALLS_* >> 8 (syscall_policy.cpp)
  char name[64];
  std::atomic<uint64_t> calls, faults, high_water;
  int64_t creator;         // compat: domain that created it (0: root)
  Instance *pool;          // instances of exited threads, wiped, for reuse
  uint32_t pooled;
  // liveness.cpp: set by root through the API, reset on registration.
  struct Liveness {
    uint32_t timeout_ms;     // per-call time limit (0: none)
    size_t heap_limit;       // 0: g_shared.heap_limit
    void (*on_discard)(int64_t, void *);  // runs in root after a discard
    void *on_discard_arg;
    void (*init_fn)(void);   // runs in the domain on an instance's first entry
  } liveness;
  uint64_t epoch;            // discards so far (sdrad_domain_epoch)
};

struct Instance {
  Domain *dom;
  uint32_t dom_generation;  // Domain::generation when this instance was made
  int key;                  // protection key of its memory (-1: none)
  bool key_owned;           // allocated for this instance, freed with it
  uint32_t pkru;            // PKRU while running in it
  uint32_t pkru_gen;        // Domain::grants_gen that pkru reflects
  int slot;
  uintptr_t base;          // slot base
  Heap *heap;
  uintptr_t heap_lo, heap_hi;
  uintptr_t stack_lo, stack_hi;
  int compat_state;        // 0 none, 1 initialised (sdrad_init), 2 deinit'd
  JmpCtx init_ctx;         // compat: where a fault returns to (sdrad_init)
  bool has_init_ctx;
  int init_depth;          // compat: thread depth at sdrad_init
  bool active;             // on this thread's frame stack now
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
  bool init_done;          // Domain::Liveness::init_fn ran since the last discard
};

enum FrameKind : uint32_t { kFrameCall = 0, kFrameCompat = 1 };

struct Frame {
  JmpCtx ctx;              // where this entry returns / rewinds to
  Instance *inst;
  int64_t handle;
  uint32_t kind;
  uint32_t parent_pkru;
  Heap *parent_heap;       // malloc target after leaving
  uintptr_t compat_root_rsp; // compat: rsp to restore on sdrad_exit
  uintptr_t compat_enter_fn; // compat: function that called sdrad_enter
  uint64_t tls_canary, pointer_guard;  // key-0 TLS values at entry
  uintptr_t exit_head;                 // libc's exit-handler list head at entry
  uint64_t deadline_ms;    // watchdog clock value at which it times out (0: none)
};

// glibc's TCB words a domain can write (key-0 TLS) and root depends on:
// the stack-protector canary and the pointer-mangling guard.
inline uint64_t tls_word(unsigned off) {
  uint64_t v;
  __asm__ volatile("mov %%fs:(%1), %0" : "=r"(v) : "r"((uintptr_t)off));
  return v;
}
inline void tls_word_set(unsigned off, uint64_t v) {
  __asm__ volatile("mov %0, %%fs:(%1)" ::"r"(v), "r"((uintptr_t)off) : "memory");
}
constexpr unsigned kTlsCanary = 0x28, kTlsPointerGuard = 0x30;
bool root_state_restore(const Frame *f);  // false (and repaired) if changed
void exit_list_locate();              // libc_state.cpp, at start-up
bool exit_head_ok(uintptr_t saved);   // false (and repaired) if changed

struct RootCache;

struct alignas(4096) ThreadState {  // power-of-two size: cheap validation
  uint64_t magic;
  uintptr_t fs_base;       // the owning thread's FS base (see thread_fs_base)
  int32_t tid;
  int32_t depth;
  uint32_t cur_pkru;
  uint32_t in_use;
  Frame frames[kMaxDepth];
  Instance *inst[kMaxDomains];
  sdrad_fault last_fault;
  int has_fault;
  int32_t last_error;
  void *altstack;
  size_t altstack_size;
  RootCache *root_cache;   // root allocator's per-thread cache (root heap)
  uintptr_t tagged_stack_lo, tagged_stack_hi;  // root-keyed part of its stack
  uint32_t sud_on;         // Syscall User Dispatch is on for this thread
  uint32_t sud_pending;    // a handler returned into a domain: re-arm due
  uintptr_t sud_resume;    // ... where the domain continues after the re-arm
  uint32_t sig_depth;      // nesting of the runtime's signal handlers
  uint32_t sig_pkru[8];    // frame PKRU at each handler's entry
  uint8_t gate_open[kMaxDepth + 1];  // no PKU: runtime gates running, by depth
  uint32_t shared_alloc;   // root's malloc serves the shared heap (shared_heap.cpp)
  ThreadState *next_free;
};

extern __thread ThreadState *t_ts __attribute__((tls_model("initial-exec")));
extern __thread Heap *t_heap __attribute__((tls_model("initial-exec")));

constexpr uint64_t kTsMagic = 0x5344526154687264ull;
static_assert((sizeof(ThreadState) & (sizeof(ThreadState) - 1)) == 0, "power of two");

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
inline bool ts_valid(const ThreadState *ts) {
  uintptr_t off = (uintptr_t)ts - g_shared.ts_base;
  return off < g_shared.ts_size && (off & (sizeof(ThreadState) - 1)) == 0 && ts->magic == kTsMagic &&
         ts->in_use && (!g_shared.bind_threads || ts->fs_base == thread_fs_base());
}
// t_ts missing or not this thread's: the thread's own state, found in the
// runtime's array by FS base (t_ts repaired); created if `create`.
ThreadState *thread_state_lookup(bool create);
inline ThreadState *thread_state() {  // validated; creates on first use
  ThreadState *ts = t_ts;
  if (__builtin_expect(ts && ts_valid(ts), 1)) return ts;
  return thread_state_lookup(true);
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
extern __thread jmp_buf *t_guard __attribute__((tls_model("initial-exec")));
extern __thread Heap *t_guard_heap __attribute__((tls_model("initial-exec")));
void discard_after_corruption(Instance *in);

// Runs fn() on in's heap; false if the heap reported corruption.
template <class F>
inline bool guarded(Instance *in, F fn) {
  // The header is in domain memory: it must describe this instance's
  // region, or its forged bounds could hand out root addresses.
  if (!heap_bounds_ok(in->heap, in->heap_lo, in->heap_hi)) {
    discard_after_corruption(in);
    return false;
  }
  jmp_buf jb;
  if (setjmp(jb)) {
    t_guard = nullptr;
    discard_after_corruption(in);
    return false;
  }
  t_guard = &jb;
  t_guard_heap = in->heap;
  fn();
  t_guard = nullptr;
  return true;
}

       // longjmps out of a guarded heap op
int64_t domain_register(const char *name, uint32_t policy, uint64_t udi,
                        uint32_t compat_flags, bool is_data);
int64_t domain_find_udi(uint64_t udi);
void domain_destroy(int64_t handle);
Heap *root_heap();
void root_lock();
void root_unlock();

Instance *instance_get(ThreadState *ts, int64_t handle, int *err);
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
void instance_free_memory(Instance *in);
bool instance_grow_stack(Instance *in, uintptr_t addr);  // from the SIGSEGV handler
Instance *instance_of_pointer(const void *p);  // arena lookup

// --- rewind (call.cpp, switch.S) ---------------------------------------
extern "C" int32_t sdrad_enter_and_run(Frame *f, uintptr_t stack_top, uint32_t pkru,
                                       void (*fn)(void *), void *arg);
extern "C" [[noreturn]] void sdrad_jump(const JmpCtx *ctx, int64_t value);
extern "C" [[noreturn]] void sdrad_soft_fault_gate(int32_t kind);
extern "C" [[noreturn]] void sdrad_gate_violation();
[[noreturn]] void rewind_innermost(ThreadState *ts, const sdrad_fault &f);
void record_fault(ThreadState *ts, const sdrad_fault &f);
void stack_canary_place(Instance *in);
bool stack_canary_ok(const Instance *in);
void fault_fill(sdrad_fault &f, int kind, ThreadState *ts);

// --- syscall confinement (syscall_confine.cpp, syscall_policy.cpp) ------
constexpr uint8_t kSudAllow = 0, kSudBlock = 1;   // SYSCALL_DISPATCH_FILTER_*
constexpr uint32_t kSyscallsDefault = 0, kSyscallsEperm = 1, kSyscallsAny = 2;
// Mirror of the thread's selector for the gates' fast path without PKU
// (gate_macros.inc); never trusted for a decision about rights.
extern __thread uint8_t t_sud_block __asm__("sdrad_t_sud_block") __attribute__((tls_model("initial-exec")));
void confine_init();                        // start-up: probe, map selectors
void confine_thread_enable(ThreadState *ts);  // prctl, once per thread
void confine_thread_exit(ThreadState *ts);    // before the state is reused
inline bool frame_confined(const Frame &f) { return f.inst->dom->syscalls != kSyscallsAny; }
// The thread's selector after a change of depth: block while a confined
// domain runs, allow in root.  A few instructions; nothing when off.
inline void confine_sync(ThreadState *ts) {
  if (__builtin_expect(!g_shared.confine, 0)) return;
  if (ts->depth > 0 && !ts->sud_on) confine_thread_enable(ts);
  uint8_t v = ts->depth > 0 && frame_confined(ts->frames[ts->depth - 1]) ? kSudBlock : kSudAllow;
  ((volatile uint8_t *)g_shared.sud_rw)[((uintptr_t)ts - g_shared.ts_base) / sizeof(ThreadState)] = v;
  t_sud_block = v;
}
// Every runtime signal handler: selector to allow on entry (the handler
// makes system calls), and on return into a domain the re-arm stub
// (syscall_rearm.S) blocks again; the frame's PKRU is the one at entry.
ThreadState *confine_signal_enter(void *uc);
// pass: the domain itself re-executes its (checked) system call, with its
// own PKRU, on the way back (the kernel then touches only memory the
// domain may touch).
void confine_signal_leave(ThreadState *ts, void *uc, bool pass = false);
void confine_signal_abandon(ThreadState *ts);  // the handler rewinds instead
// Policy for one system call of the innermost domain (syscall_policy.cpp).
enum class SysVerdict { Pass, Done, Refuse, Fault };
SysVerdict syscall_policy_run(ThreadState *ts, const Instance *in, long nr, const long a[6], long *result,
                              int *fault_kind);
long raw_syscall6(long nr, long a, long b, long c, long d, long e, long f);

void binary_scan_startup();                 // binary_scan.cpp
// --- liveness (liveness.cpp) --------------------------------------------
void liveness_on_entry(ThreadState *ts, Frame *f, Instance *in);  // before the push
void liveness_after_discard(Instance *in);
uintptr_t liveness_wrap_init(Instance *in, void (*entry)(void *), void *arg, uintptr_t sp);
void liveness_init_entry(void *blk);
size_t default_heap_limit(size_t env_value);
// --- shared allocations (shared_heap.cpp) -------------------------------
extern std::atomic<int> g_shared_alloc_threads;  // threads with them on
bool shared_alloc_on();
bool shared_heap_contains(const void *p);
void *shared_malloc(size_t n);
void *shared_memalign(size_t align, size_t n);
void shared_free(void *p);
void *shared_realloc(void *p, size_t n);
size_t shared_usable_size(const void *p);
inline bool shared_mode() {
  return __builtin_expect(g_shared_alloc_threads.load(std::memory_order_relaxed) != 0, 0) && shared_alloc_on();
}
// --- standard streams (stdio.cpp) -----------------------------------------
void stdio_prepare();        // start-up: buffers in key-0 memory
// What root set up for stdin, stdout, stderr (stdio.cpp).
struct StdStream {
  FILE *fp;
  uintptr_t base, len;  // the buffer
  void *lock;
  int fd;
};
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
  uint64_t bad = (w[6] != s.base) | (w[7] != s.base + s.len) | (f->_fileno != s.fd) | ((void *)f->_lock != s.lock);
  for (int i = 0; i < 6; ++i) bad |= (w[i] != 0) & (w[i] - s.base > s.len);
  return bad;
}
// The streams' 64 bytes of buffer pointers as last found valid: most
// returns find them unchanged, and comparing costs a few vector compares.
extern uint8_t g_std_snapshot[3][64] SDRAD_HIDDEN __attribute__((aligned(16)));
bool stdio_streams_check();  // the full check; a valid state is the new snapshot
inline bool stdio_streams_ok() {
  if (!g_std_streams_ready) return true;
  __m128i same = _mm_set1_epi8(-1);
  for (int k = 0; k < 3; ++k) {
    const __m128i *w = (const __m128i *)&g_std_streams[k].fp->_IO_read_ptr;
    const __m128i *v = (const __m128i *)g_std_snapshot[k];
    for (int i = 0; i < 4; ++i) same = _mm_and_si128(same, _mm_cmpeq_epi8(_mm_loadu_si128(w + i), _mm_load_si128(v + i)));
  }
  bool fast = _mm_movemask_epi8(same) == 0xffff && stdin == g_std_streams[0].fp && stdout == g_std_streams[1].fp &&
              stderr == g_std_streams[2].fp && g_std_streams[0].fp->_fileno == g_std_streams[0].fd &&
              g_std_streams[1].fp->_fileno == g_std_streams[1].fd && g_std_streams[2].fp->_fileno == g_std_streams[2].fd &&
              (void *)g_std_streams[0].fp->_lock == g_std_streams[0].lock &&
              (void *)g_std_streams[1].fp->_lock == g_std_streams[1].lock &&
              (void *)g_std_streams[2].fp->_lock == g_std_streams[2].lock;
  return __builtin_expect(fast, 1) || stdio_streams_check();
}
void stdio_release_locks();  // after a discard: locks the rewound thread held

// --- signals ------------------------------------------------------------
void signals_install();
void state_install_hooks();
void malloc_install_hooks();
void threads_install_hooks();
void memory_install_hooks();
bool arena_contains(const void *p);
void thread_altstack_ensure(ThreadState *ts);
void altstack_put(void *p);  // a thread's alt stack, back for reuse
void unblock_fault_signals(sigset_t *mask);  // signal_state.cpp
// PKRU of a signal's interrupted context (XSAVE area; 0 if not saved).
uint32_t interrupted_pkru(const ucontext_t *uc);  // liveness.cpp
// libc's own sigaction (ours is interposed, and so is __sigaction).
int real_sigaction(int sig, const struct sigaction *act, struct sigaction *old);
bool in_domain();                                  // called from domain code (not a gate)?
[[noreturn]] void refuse_in_domain(const char *what);  // a fault of that domain

}  // namespace sdrad
