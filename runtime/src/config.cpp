// Start-up: environment, backend choice, the shared page, and the order in
// which the runtime protects the process.
#include <cpuid.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "internal.h"
#include "resident_pages.h"
#include "unwind_ranges.h"

#ifndef HWCAP2_FSGSBASE
#define HWCAP2_FSGSBASE (1 << 1)
#endif

extern "C" void sdrad_open_root_pkru();

namespace sdrad {

// The shared page sits alone in its page (SharedPage is page-aligned and
// page-sized) so that it can stay key 0 and become read-only once set up.
__attribute__((section(".data.sdrad_shared"))) SharedPage g_shared{};

namespace {

std::atomic<int> g_init_state{0};  // 0 no, 1 in progress, 2 done

size_t env_size(const char *name, size_t dflt, size_t min) {
  const char *v = getenv(name);
  if (!v || !*v) return dflt;
  char *end;
  unsigned long long n = strtoull(v, &end, 10);
  if (*end != 0 || n < min) {
    say("%s=%s is not a size of at least %zu bytes (decimal); using %zu", name, v, min, dflt);
    return dflt;
  }
  return (size_t)n;
}

bool env_flag(const char *name) {
  const char *v = getenv(name);
  return v && *v && strcmp(v, "0") != 0;
}

void *reserve(size_t size, int prot) {
  void *p = mmap(nullptr, size, prot, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (p == MAP_FAILED) fatal("cannot reserve %zu bytes of address space", size);
  return p;
}

void vwrite_line(const char *fmt, va_list ap) {
  char buf[512];
  int n = snprintf(buf, sizeof(buf), "sdrad: ");
  int m = vsnprintf(buf + n, sizeof(buf) - n - 1, fmt, ap);
  if (m < 0) m = 0;
  size_t len = (size_t)n + ((size_t)m < sizeof(buf) - n - 1 ? (size_t)m : sizeof(buf) - n - 2);
  buf[len++] = '\n';
  ssize_t r = write(2, buf, len);
  (void)r;
}

void choose_backend() {
  const char *forced = getenv("SDRAD_BACKEND");
  bool have = pku_probe();
  bool want_pku = have;
  if (forced && *forced) {
    if (!strcmp(forced, "pku")) {
      if (!have) fatal("SDRAD_BACKEND=pku but protection keys are not available on this CPU/kernel");
      want_pku = true;
    } else if (!strcmp(forced, "unprotected")) {
      want_pku = false;
    } else {
      fatal("SDRAD_BACKEND=%s: expected 'pku' or 'unprotected'", forced);
    }
  }
  if (env_flag("SDRAD_REQUIRE_PKU") && !want_pku)
    fatal("SDRAD_REQUIRE_PKU is set but protection keys are %s; refusing to start "
          "without memory isolation",
          have ? "disabled by SDRAD_BACKEND" : "not available on this CPU/kernel");
  g_shared.pku = want_pku;
  // Thread states are bound to their thread's FS base (see ts_valid): with
  // RDFSBASE where the kernel enables it (Linux >= 5.9); under PKU without
  // it, with arch_prctl (a system call per check).
  // Where a signal frame's XSAVE area keeps PKRU (CPUID leaf 0xD, component
  // 9): read by the signal handlers (interrupted_pkru, frame_pkru).
  unsigned a, b, c, d;
  if (want_pku && __get_cpuid_count(0xd, 9, &a, &b, &c, &d)) g_shared.xsave_pkru_off = b;
  bool fsgsbase = getauxval(AT_HWCAP2) & HWCAP2_FSGSBASE;
  g_shared.bind_threads = fsgsbase ? 1 : want_pku ? 2 : 0;
  if (g_shared.bind_threads == 2)
    say("FSGSBASE is not enabled by this kernel: thread states are checked with arch_prctl "
        "(slower domain calls)");
}

// AVX2 and the kernel saving YMM state (XCR0 bits 1 and 2).
static bool cpu_has_avx2() {
  unsigned a, b, c, d;
  if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & (1u << 27))) return false;  // OSXSAVE
  unsigned lo, hi;
  __asm__("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
  if ((lo & 6) != 6) return false;
  return __get_cpuid_count(7, 0, &a, &b, &c, &d) && (b & (1u << 5));
}

void init_core() {
  SharedPage &s = g_shared;
  s.log = env_flag("SDRAD_LOG");
  s.share_keys = env_flag("SDRAD_SHARE_KEYS");
  s.heap_size = align_up(env_size("SDRAD_HEAP_SIZE", (size_t)1 << 30, 64 * 1024), kPage);
  s.heap_limit = default_heap_limit(env_size("SDRAD_HEAP_LIMIT", 0, 4096));
  s.stack_size = align_up(env_size("SDRAD_STACK_SIZE", (size_t)1 << 20, 64 * 1024), kPage);
  s.data_size = align_up(env_size("SDRAD_DATA_DOMAIN_SIZE", (size_t)1 << 26, 64 * 1024), kPage);
  size_t root_heap = align_up(env_size("SDRAD_ROOT_HEAP_SIZE", (size_t)64 << 30, 1 << 20), kPage);
  choose_backend();
  s.avx2 = cpu_has_avx2();

  uint64_t secret = 0;
  if (syscall(SYS_getrandom, &secret, sizeof(secret), 0) != (long)sizeof(secret))
    secret = (uint64_t)__builtin_ia32_rdtsc() * 0x9e3779b97f4a7c15ull;
  s.canary_secret = secret ^ (uintptr_t)&secret;

  s.root_key = -1;
  if (s.pku) {
    s.root_key = key_alloc();
    if (s.root_key < 0) fatal("no protection key left for the runtime's own memory");
    s.root_wd_bits = pkru_bits(s.root_key, true, false);
  }
  // Root code may touch everything; threads inherit PKRU from their
  // creator, so setting it here (before main) covers later threads.
  s.root_pkru = 0;
  if (s.pku) sdrad_open_root_pkru();

  // Runtime state: thread states and the bump area for domains/instances.
  size_t ts_bytes = align_up(sizeof(ThreadState) * kMaxThreads, kPage);
  size_t state_bytes = ts_bytes + align_up(sizeof(Domain) * kMaxDomains + sizeof(Instance) * kMaxSlots * 2 + (1 << 20), kPage);
  void *state = reserve(state_bytes, PROT_READ | PROT_WRITE);
  s.state_base = (uintptr_t)state;
  s.state_size = state_bytes;
  s.ts_base = (uintptr_t)state;
  s.ts_size = ts_bytes;
  tag_memory(state, state_bytes, PROT_READ | PROT_WRITE, s.root_key);

  // Root heap.
  void *rh = reserve(root_heap, PROT_READ | PROT_WRITE);
  s.root_heap_base = (uintptr_t)rh;
  s.root_heap_size = root_heap;
  tag_memory(rh, root_heap, PROT_READ | PROT_WRITE, s.root_key);
  heap_create(rh, root_heap);

  // Arena of domain instances: power-of-two slots, PROT_NONE until used.
  s.args_size = (size_t)64 << 20;
  size_t need = slot_layout(false).end;
  if (slot_layout(true).end > need) need = slot_layout(true).end;
  uint32_t shift = 16;
  while (((size_t)1 << shift) < need) ++shift;
  s.slot_shift = shift;
  // The slot region is address space only, but tools such as valgrind cap it:
  // SDRAD_MAX_INSTANCES bounds the number of live instances (threads x
  // domains) it must hold.
  s.max_slots = (uint32_t)env_size("SDRAD_MAX_INSTANCES", kMaxSlots, 1);
  if (s.max_slots > kMaxSlots) {
    say("SDRAD_MAX_INSTANCES=%u is more than %d; using %d", s.max_slots, kMaxSlots, kMaxSlots);
    s.max_slots = kMaxSlots;
  }
  s.slots_size = (size_t)s.max_slots << shift;
  s.slots_base = (uintptr_t)reserve(s.slots_size, PROT_NONE);
  heap_limit_init();
}

}  // namespace

void ensure_initialized() {
  if (__builtin_expect(g_init_state.load(std::memory_order_acquire) == 2, 1)) return;
  int expected = 0;
  if (!g_init_state.compare_exchange_strong(expected, 1)) {
    // Another thread is initialising (before main: cannot really happen).
    while (g_init_state.load(std::memory_order_acquire) != 2) __builtin_ia32_pause();
    return;
  }
  startup_pages_note();  // before the runtime reads or runs anything of its own
  init_core();
  g_shared.initialized = 1;
  g_init_state.store(2, std::memory_order_release);
}

// Runs as early as constructors run: protections that need a fully
// relocated process (the executable's data, the main stack) and the fault
// handlers.  The shared page becomes read-only last.
__attribute__((constructor(101))) static void sdrad_constructor() {
  ensure_initialized();
  resolve_lazy_plt();
  stdio_prepare();
  if (g_shared.pku) {
    protect_executable_data(g_shared.root_key);
    protect_main_stack(g_shared.root_key);
  }
  state_install_hooks();
  malloc_install_hooks();
  threads_install_hooks();
  memory_install_hooks();
  heap_limit_install_hooks();
  signals_install();
  exit_list_locate();
  tls_dtor_locate();
  tls_locale_locate();
  libc_data_protect();  // after the state it covers is located
  confine_init();
  startup_pages_drop();  // before the scan: a lower start-up peak
  binary_scan_startup();
  unwind_ranges_refresh();
  mprotect(&g_shared, kPage, PROT_READ);
  log_line("backend %s, heap %zu, stack %zu bytes per domain", g_shared.pku ? "pku" : "unprotected",
           g_shared.heap_size, g_shared.stack_size);
  startup_pages_done();  // last: what the lines above brought in
}

[[noreturn]] void fatal(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vwrite_line(fmt, ap);
  va_end(ap);
  _exit(70);  // EX_SOFTWARE
}

void log_line(const char *fmt, ...) {
  if (!g_shared.log) return;
  va_list ap;
  va_start(ap, fmt);
  vwrite_line(fmt, ap);
  va_end(ap);
}

void say(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vwrite_line(fmt, ap);
  va_end(ap);
}

}  // namespace sdrad
