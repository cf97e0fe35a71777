// shared_page.h - the read-only page of start-up facts every context may read (gates, malloc, signal entries), the slot layout, PKRU and keys
// Part of the runtime's internal headers (internal.h includes them all).
#pragma once

#include "asm_offsets.h"
#include "base.h"

namespace sdrad {

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
  uint32_t bind_threads;     // 1: RDFSBASE binds thread states, 2: arch_prctl (every gate reads it)
  uint64_t canary_secret;
  uintptr_t state_base, state_size;   // runtime state region (root key)
  uintptr_t ts_base, ts_size;         // thread-state array inside it
  // Read by every call (switch.S's fast path): the cache line after the
  // first, which holds the state and thread-state bounds.
  // libc's writable data (libc_data_key.cpp): under PKU a key of its own
  // that domains may read but not write until their first write marks the
  // instance (Instance::libc_written).  libc_lazy: a domain's return
  // compares libc's state only when its instance is marked.
  uint32_t libc_lazy;
  uint32_t confine;            // 1: Syscall User Dispatch confines domains
  // The watched TLS words (state.h: kTlsWatched), fs-relative: glibc's
  // thread_local destructor list head (tls_dtor_list, not exported;
  // libc_state.cpp: tls_dtor_locate), then the thread's locale and
  // glibc's ctype table caches (__libc_tsd_LOCALE, __libc_tsd_CTYPE_B,
  // _TOLOWER, _TOUPPER; tls_locale_locate); 0 for a word not found (then
  // the TCB's self pointer is compared, which never changes)
  intptr_t tls_watched_off[5];
  uintptr_t sud_rw;            // the selectors' writable view (sud_ro below)
  uintptr_t exit_head_addr;    // glibc's exit-handler list head (0: not found)
  uintptr_t slots_base, slots_size;   // the slot region: all domain instances
  uint32_t slot_shift;
  uint32_t max_slots;          // SDRAD_MAX_INSTANCES, <= kMaxSlots
  size_t heap_size, stack_size, data_size, args_size;
  uintptr_t root_heap_base, root_heap_size;
  uint32_t log;                // SDRAD_LOG set
  uint32_t xsave_pkru_off;     // PKRU's offset in a signal frame's XSAVE area (0: no PKU)
  // Syscall confinement (syscall_confine.cpp): per-thread selector bytes,
  // one page mapped twice: read-only (key 0, what the kernel reads under
  // any domain's PKRU) and writable (sud_rw above: root key, what the
  // runtime writes).
  uintptr_t sud_ro;
  uint32_t share_keys;         // SDRAD_SHARE_KEYS: integrity instances may share a key
  size_t heap_limit;           // default domain heap limit (liveness.cpp)
  // Where each arena slot's heap may grow to (heap_limit.cpp): one table,
  // read-only with key 0 and read-write with the root key.
  uintptr_t heap_end_ro, heap_end_rw;
  uint32_t avx2;                // 1: the CPU and kernel run AVX2 (stdio_check.h)
  // libc's functions behind the runtime's fopen & co. and atexit & co.
  // (file_record.cpp, exit_handlers.cpp), resolved at start-up: a domain
  // calling those (any policy) reads them here.
  uintptr_t libc_fns[20];
  // (libc_lazy above)
  int32_t libc_key;            // -1: none
  uint32_t libc_wd_bits;       // PKRU bits that deny writes to libc_key
  uintptr_t libc_lo, libc_hi;  // the pages under it
};
static_assert(sizeof(SharedPage) == kPage, "the shared page is one page");
// asm_offsets.h: what the assembly and two tests read of it.
static_assert(offsetof(SharedPage, initialized) == SP_INITIALIZED && offsetof(SharedPage, pku) == SP_PKU &&
                  offsetof(SharedPage, root_key) == SP_ROOT_KEY && offsetof(SharedPage, root_wd_bits) == SP_ROOT_WD &&
                  offsetof(SharedPage, state_base) == SP_STATE_BASE && offsetof(SharedPage, state_size) == SP_STATE_SIZE &&
                  offsetof(SharedPage, confine) == SP_CONFINE && offsetof(SharedPage, sud_ro) == SP_SUD_RO && offsetof(SharedPage, exit_head_addr) == SP_EXIT_HEAD &&
                  offsetof(SharedPage, ts_base) == SP_TS_BASE && offsetof(SharedPage, ts_size) == SP_TS_SIZE &&
                  offsetof(SharedPage, bind_threads) == SP_BIND_THREADS && offsetof(SharedPage, sud_rw) == SP_SUD_RW &&
                  offsetof(SharedPage, libc_lazy) == SP_LIBC_LAZY && offsetof(SharedPage, tls_watched_off) == SP_TLS_WATCHED_OFF &&
                  offsetof(SharedPage, root_heap_base) == SP_ROOT_HEAP_BASE &&
                  offsetof(SharedPage, root_heap_size) == SP_ROOT_HEAP_SIZE,
              "asm_offsets.h: SharedPage");
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
// Whether p lies in the slot region (any domain instance's memory).
inline bool in_slot_region(const void *p) {
  return (uintptr_t)p - g_shared.slots_base < g_shared.slots_size;
}

// --- PKRU ---------------------------------------------------------------
static inline uint32_t rdpkru_raw() {
  uint32_t eax, edx;
  __asm__ volatile(".byte 0x0f,0x01,0xee" : "=a"(eax), "=d"(edx) : "c"(0));
  return eax;
}
static inline uint32_t current_pkru() { return g_shared.pku ? rdpkru_raw() : 0; }

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
// The part of a loaded object's segment `i` that stays writable (a PT_LOAD
// with PF_W, less its RELRO pages, read-only after relocation), unaligned;
// false if segment `i` is not writable.
bool writable_segment(const struct dl_phdr_info *info, int i, uintptr_t *lo, uintptr_t *hi);
// Binds the executable's lazily bound PLT entries now (lazy_binding.cpp).
void resolve_lazy_plt();
void protect_main_stack(int key);

}  // namespace sdrad
