// Internal declarations shared by the runtime's files.  Nothing here is ABI.
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <signal.h>
#include <atomic>
#include <setjmp.h>

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
  size_t heap_size, stack_size, data_size;
  uintptr_t root_heap_base, root_heap_size;
};
static_assert(sizeof(SharedPage) == kPage, "the shared page is one page");
extern SharedPage g_shared __asm__("sdrad_shared_page") SDRAD_HIDDEN;

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
void key_free(int key);
int tag_memory(void *p, size_t len, int prot, int key);  // pkey_mprotect or mprotect
uint32_t pkru_bits(int key, bool allow_read, bool allow_write);
uint32_t domain_pkru(int own_key, uint32_t policy, uint64_t extra_allow_rw,
                     uint64_t extra_allow_ro);
void protect_executable_data(int key);
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
uintptr_t heap_region_base(const Heap *h);
bool heap_check(Heap *h);                     // full consistency walk
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
  char name[64];
  std::atomic<uint64_t> calls, faults, high_water;
  uint32_t pkru;           // PKRU while running in it
  int64_t creator;         // compat: domain that created it (0: root)
  Instance *pool;          // instances of exited threads, wiped, for reuse
  uint32_t pooled;
};

struct Instance {
  Domain *dom;
  int slot;
  uintptr_t base;          // slot base
  Heap *heap;
  uintptr_t heap_lo, heap_hi;
  uintptr_t stack_lo, stack_hi;
  int compat_state;        // 0 none, 1 initialised (sdrad_init), 2 deinit'd
  JmpCtx init_ctx;         // compat: where a fault returns to (sdrad_init)
  bool has_init_ctx;
  bool active;             // on this thread's frame stack now
  Instance *next_free;
  // Argument arena: blocks and copies for thunks, bump-allocated and reset
  // when the last one is freed (calls free them before the next call).
  uintptr_t arena_lo, arena_hi, arena_top, arena_dirty;
  uint64_t arena_live;
  uintptr_t fault_sp;      // stack pointer at the fault (0: unknown)
  uintptr_t stack_committed; // stack is usable from here up; below it
                             // PROT_NONE until the domain grows into it
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
};

struct alignas(4096) ThreadState {  // power-of-two size: cheap validation
  uint64_t magic;
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
  ThreadState *next_free;
};

extern __thread ThreadState *t_ts __attribute__((tls_model("initial-exec")));
extern __thread Heap *t_heap __attribute__((tls_model("initial-exec")));

constexpr uint64_t kTsMagic = 0x5344526154687264ull;
static_assert((sizeof(ThreadState) & (sizeof(ThreadState) - 1)) == 0, "power of two");

// t_ts is key-0 TLS that domain code could overwrite: every use checks it
// points at a live entry of the runtime's thread-state array.
inline bool ts_valid(const ThreadState *ts) {
  uintptr_t off = (uintptr_t)ts - g_shared.ts_base;
  return off < g_shared.ts_size && (off & (sizeof(ThreadState) - 1)) == 0 && ts->magic == kTsMagic &&
         ts->in_use;
}
ThreadState *thread_state_slow();
inline ThreadState *thread_state() {  // validated; creates on first use
  ThreadState *ts = t_ts;
  if (__builtin_expect(ts && ts_valid(ts), 1)) return ts;
  return thread_state_slow();
}
inline ThreadState *thread_state_if_any() {  // validated; nullptr if none
  ThreadState *ts = t_ts;
  return ts && ts_valid(ts) ? ts : nullptr;
}
void *state_alloc(size_t n);          // bump allocation in the state region

Domain *domain_at(int64_t handle);    // nullptr if bad
int64_t domain_handle_of(const Domain *d);
bool heap_guard_catch(Heap *h);
size_t caller_block_size(ThreadState *ts, const void *blk);  // nested call blocks
extern __thread jmp_buf *t_guard __attribute__((tls_model("initial-exec")));
extern __thread Heap *t_guard_heap __attribute__((tls_model("initial-exec")));
void discard_after_corruption(Instance *in);

// Runs fn() on in's heap; false if the heap reported corruption.
template <class F>
inline bool guarded(Instance *in, F fn) {
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
void instance_release(ThreadState *ts, int64_t handle);
void instance_retire(ThreadState *ts, int64_t handle);  // thread exit: keep for reuse
bool instance_create_memory(Instance *in, const Domain *d);
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

// --- signals ------------------------------------------------------------
void signals_install();
void state_install_hooks();
void malloc_install_hooks();
void threads_install_hooks();
void memory_install_hooks();
bool arena_contains(const void *p);
void thread_altstack_ensure(ThreadState *ts);
void altstack_put(void *p);  // a thread's alt stack, back for reuse

}  // namespace sdrad
