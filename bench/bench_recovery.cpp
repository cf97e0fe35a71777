// bench/bench_recovery.cpp - what a fault inside a domain costs.
//
//   recovery.floor            bare SIGSEGV handler + siglongjmp in this
//                             binary (the runtime's handler is set aside
//                             with the raw rt_sigaction system call for
//                             the measurement and put back after)
//   recovery.fault_to_error   from the faulting store inside the domain to
//                             the error value back in the caller, including
//                             the discard of the instance
//   recovery.faulting_call    a whole isolated call that faults, from the
//                             caller's point of view (entry + fault + rewind
//                             + discard + error value)
//   recovery.next_call        the first successful call after a discard
//                             (instance rebuilt) vs call.iso.noarg
//   recovery.cold / .floor_cold  both with caches and TLB made cold first
//                             (16 MiB walked before each fault)
//   recovery.heap.<N>         fault_to_error with N bytes of domain heap
//                             allocated and touched before the fault
//   recovery.floor_heap.<N>   the floor with N bytes of fresh memory
//                             written before the fault (no runtime)
//   recovery.floor_walk.<N>   the floor after reading N bytes (a load per
//                             cache line) of memory that was already
//                             resident: no fresh page, nothing written --
//                             only the caches are changed
//   recovery.next_call_heap.<N>  the first call right after such a fault
//
//   --floor-study [reps]      (not in run.sh) the floor after N MiB (8 to
//                             128) walked in several ways, to tell what
//                             makes the kernel's delivery slow after a
//                             large heap: fresh pages written, resident
//                             pages written or only read, with and without
//                             MADV_HUGEPAGE; and a second fault right after.
//                             Then the floor and three other kernel paths
//                             after n page faults on a single page
//
// fault_to_error reads a clock value that the domain stores in a global,
// which only the unprotected backend allows; under PKU that key stays at 0
// and only the faulting_call figure is printed.
#include <setjmp.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <vector>

#include "common.h"
#include "thunk.h"

using namespace bench;

static __sdrad_domain_ref g_dom = {0, "bench.recovery", SDRAD_POLICY_INTEGRITY, SDRAD_ABI_VERSION};
volatile uintptr_t g_bad_addr = 0;  // a store through it faults
// Written by the domain just before its fault: a page of its own mapping
// (key 0 under PKU, which a domain may write; a root global it may not).
static volatile uint64_t *g_t0;
static bool g_can_stamp;
// Cold mode: before each fault, walk a buffer larger than the caches so
// that the fault path runs with cold caches and TLB, as it does in a
// program that faults rarely (see recovery.cold below).
static uint8_t *g_evict;
static size_t g_evict_bytes;
static void evict() {
  for (size_t o = 0; o < g_evict_bytes; o += 64) g_evict[o]++;
  clobber();
}


namespace {

struct FaultBlk {
  size_t grow;   // bytes to allocate and touch before faulting
  int fault;
  int64_t ret;
};

void entry_fault(void *p) {
  auto *b = (FaultBlk *)p;
  size_t left = b->grow;
  const size_t chunk = 1 << 20;
  while (left) {
    size_t n = left < chunk ? left : chunk;
    void *m = malloc(n);  // the domain's heap
    if (!m) break;
    memset(m, 0x5a, n);
    keep(m);
    left -= n;
  }
  b->ret = (int64_t)(b->grow - left);  // bytes actually allocated
  if (b->fault) {
    if (g_can_stamp) *g_t0 = now_ns();
    *(volatile int *)g_bad_addr = 1;
  }
}

// The thunk's view: returns the error value -1 when the call faulted.
__attribute__((noinline)) int64_t iso_fault(size_t grow, int fault) {
  int64_t r;
  int32_t st = isolated_call(g_dom, entry_fault, FaultBlk{grow, fault, 0}, &r);
  return st == 0 ? r : -1;
}

sigjmp_buf g_env;
bool g_floor_pku;  // the PKU backend: the kernel starts handlers with only key 0 open
extern "C" void floor_handler(int, siginfo_t *, void *) { siglongjmp(g_env, 1); }
// Under PKU the handler's own stack (root-keyed) and g_env need full rights
// before its first push: this entry restores them, as the runtime's entry
// does (so the floor has one WRPKRU too).
extern "C" void floor_entry_pku(int, siginfo_t *, void *);
__asm__(".text\n.globl floor_entry_pku\n.type floor_entry_pku,@function\n"
        "floor_entry_pku:\n  mov %rdx, %r8\n  xor %eax, %eax\n  xor %ecx, %ecx\n  xor %edx, %edx\n"
        "  .byte 0x0f,0x01,0xef\n  mov %r8, %rdx\n  jmp floor_handler\n");

// The runtime interposes sigaction() (fault signals stay with it and are
// chained to the program's handler), so the bare handler is installed with
// the raw system call, with a restorer of our own.
struct KernelSigaction {
  void (*handler)(int, siginfo_t *, void *);
  unsigned long flags;
  void (*restorer)();
  uint64_t mask;
};
extern "C" void bench_sigreturn();
__asm__(".text\n.globl bench_sigreturn\n.type bench_sigreturn,@function\n"
        "bench_sigreturn:\n  mov $15, %eax\n  syscall\n  hlt\n");

// The bare handler in place of the runtime's for fn(), then the runtime's again.
template <class F>
void with_bare_handler(F fn) {
  KernelSigaction sa{}, old{};
  sa.handler = g_floor_pku ? floor_entry_pku : floor_handler;
  sa.flags = SA_SIGINFO | 0x04000000 /* SA_RESTORER */;
  sa.restorer = bench_sigreturn;
  sa.mask = 0;
  if (syscall(SYS_rt_sigaction, SIGSEGV, &sa, &old, 8) != 0) {
    perror("rt_sigaction");
    exit(1);
  }
  fn();
  syscall(SYS_rt_sigaction, SIGSEGV, &old, nullptr, 8);
}

// From the faulting store to the handler's siglongjmp back, ns.
double floor_once() {
  volatile uint64_t t0 = 0;
  if (sigsetjmp(g_env, 1) == 0) {
    t0 = now_ns();
    *(volatile int *)g_bad_addr = 1;
  }
  return (double)(now_ns() - t0);
}

double measure_floor(int reps) {
  std::vector<double> v;
  with_bare_handler([&] {
    for (int i = 0; i < reps + 10; i++) {
      if (g_evict_bytes) evict();
      double t = floor_once();
      if (i >= 10) v.push_back(t);
    }
  });
  return median(v);
}

// The floor after writing `grow` bytes of fresh memory, as the domain does
// before it faults in recovery.heap.<N>: what the kernel's signal delivery
// costs once the caches and TLB hold that memory instead of its own.
double measure_floor_touched(size_t grow, int reps) {
  std::vector<double> v;
  with_bare_handler([&] {
    for (int i = 0; i < reps; i++) {
      void *m = mmap(nullptr, grow, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
      if (m == MAP_FAILED) {
        perror("mmap");
        exit(1);
      }
      memset(m, 0x5a, grow);
      keep(m);
      v.push_back(floor_once());
      munmap(m, grow);
    }
  });
  return median(v);
}

// Reads one word per cache line of [m, m + n).
void walk_read(const uint8_t *m, size_t n) {
  uint64_t s = 0;
  for (size_t o = 0; o < n; o += 64) s += *(const volatile uint8_t *)(m + o);
  keep(s);
}

// The floor after walking `grow` bytes of already resident memory (read
// only): the caches now hold that memory, but no page was faulted in and
// no line is dirty.
double measure_floor_walked(size_t grow, int reps) {
  void *m = mmap(nullptr, grow, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (m == MAP_FAILED) {
    perror("mmap");
    exit(1);
  }
  memset(m, 0x5a, grow);
  std::vector<double> v;
  with_bare_handler([&] {
    for (int i = 0; i < reps; i++) {
      walk_read((const uint8_t *)m, grow);
      v.push_back(floor_once());
    }
  });
  munmap(m, grow);
  return median(v);
}

// --floor-study: what of a large heap makes the kernel's delivery slow.
int floor_study(int reps) {
  printf("# floor after walking N MiB, median of %d, us: fresh+write = new pages, memset;\n"
         "# written / read = resident pages, a store / a load per cache line; +THP = the same\n"
         "# with MADV_HUGEPAGE (2 MiB pages if the kernel gives them); again = a 2nd fault at once\n", reps);
  printf("%8s %12s %12s %12s %12s %12s %12s %12s\n", "MiB", "nothing", "fresh+write", "written", "read", "read+THP",
         "fresh+THP", "again");
  for (size_t mib : {8, 16, 24, 32, 48, 64, 128}) {
    size_t n = mib << 20;
    double col[7];
    for (int mode = 0; mode < 6; mode++) {
      std::vector<double> v, again;
      uint8_t *m = nullptr;
      if (mode >= 2 && mode <= 4) {
        m = (uint8_t *)mmap(nullptr, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (m == MAP_FAILED) return perror("mmap"), 1;
        if (mode == 4) madvise(m, n, MADV_HUGEPAGE);
        memset(m, 1, n);
      }
      with_bare_handler([&] {
        for (int i = 0; i < reps; i++) {
          if (mode == 1 || mode == 5) {
            m = (uint8_t *)mmap(nullptr, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
            if (mode == 5) madvise(m, n, MADV_HUGEPAGE);
            memset(m, 0x5a, n);
          } else if (mode == 2) {
            for (size_t o = 0; o < n; o += 64) m[o]++;
          } else if (mode == 3 || mode == 4) {
            walk_read(m, n);
          }
          v.push_back(floor_once());
          if (mode == 3) again.push_back(floor_once());
          if (mode == 1 || mode == 5) munmap(m, n);
        }
      });
      if (mode >= 2 && mode <= 4) munmap(m, n);
      col[mode] = median(v) / 1e3;
      if (mode == 3) col[6] = median(again) / 1e3;
    }
    printf("%8zu %12.1f %12.1f %12.1f %12.1f %12.1f %12.1f %12.1f\n", mib, col[0], col[1], col[2], col[3], col[4], col[5],
           col[6]);
  }
  // Page faults with almost no cache footprint: one page dropped
  // (MADV_DONTNEED) and touched again n times, then one kernel operation.
  printf("# after n page faults on one page: the floor, and other kernel paths, us\n");
  printf("%8s %12s %12s %12s %12s\n", "faults", "floor", "getppid", "mmap+munmap", "tgkill self");
  struct sigaction usr{};
  usr.sa_handler = [](int) {};
  sigaction(SIGUSR1, &usr, nullptr);
  uint8_t *pg = (uint8_t *)mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (pg == MAP_FAILED) return perror("mmap"), 1;
  for (int n : {0, 2048, 16384}) {
    double col[4];
    for (int what = 0; what < 4; what++) {
      std::vector<double> v;
      auto refault = [&] {
        for (int j = 0; j < n; j++) {
          madvise(pg, 4096, MADV_DONTNEED);
          pg[0] = 1;
        }
      };
      if (what == 0) {
        with_bare_handler([&] {
          for (int i = 0; i < reps; i++) refault(), v.push_back(floor_once());
        });
      } else {
        for (int i = 0; i < reps; i++) {
          refault();
          uint64_t t0 = now_ns();
          if (what == 1) syscall(SYS_getppid);
          else if (what == 2) munmap(mmap(nullptr, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), 4096);
          else syscall(SYS_tgkill, getpid(), gettid(), SIGUSR1);
          v.push_back((double)(now_ns() - t0));
        }
      }
      col[what] = median(v) / 1e3;
    }
    printf("%8d %12.1f %12.1f %12.1f %12.1f\n", n, col[0], col[1], col[2], col[3]);
  }
  munmap(pg, 4096);
  return 0;
}

// fault_to_error (if it can be stamped) and the whole faulting call.
void measure_fault(size_t grow, int reps, double *to_error, double *whole) {
  std::vector<double> a, b;
  for (int i = 0; i < reps; i++) {
    if (g_evict_bytes) evict();
    uint64_t t0 = now_ns();
    int64_t r = iso_fault(grow, 1);
    uint64_t t1 = now_ns();
    if (r != -1) {
      fprintf(stderr, "the domain did not fault\n");
      exit(1);
    }
    if (g_can_stamp) a.push_back((double)(t1 - *g_t0));
    b.push_back((double)(t1 - t0));
  }
  *to_error = median(a);
  *whole = median(b);
}

}  // namespace

// For callgrind (bench/run.sh): n faulting calls, collection toggled on
// this function: the user-space instructions of fault + rewind + discard.
extern "C" __attribute__((noinline)) int64_t cg_loop_fault(long n) {
  int64_t s = 0;
  for (long i = 0; i < n; i++) s += iso_fault(0, 1);
  return s;
}

int main(int argc, char **argv) {
  if (argc >= 4 && !strcmp(argv[1], "--cg") && !strcmp(argv[2], "fault")) {
    iso_fault(0, 1);  // warm-up: registration, instance, first fault
    return cg_loop_fault(atol(argv[3])) == -atol(argv[3]) ? 0 : 1;
  }
  if (argc >= 3 && !strcmp(argv[1], "--fault-loop")) {  // for perf / strace
    long n = atol(argv[2]);
    size_t grow = argc >= 4 ? (size_t)atoll(argv[3]) : 0;
    for (long i = 0; i < n; i++) iso_fault(grow, 1);
    return 0;
  }
  g_floor_pku = sdrad_backend() == SDRAD_BACKEND_PKU;
  if (argc >= 2 && !strcmp(argv[1], "--floor-study")) return floor_study(argc >= 3 ? atoi(argv[2]) : 21);
  parse_common(argc, argv);
  void *stamp = mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  g_can_stamp = stamp != MAP_FAILED;
  if (g_can_stamp) g_t0 = (volatile uint64_t *)stamp;
  printf("# backend %s\n", sdrad_backend_name());
  if (iso_fault(0, 0) != 0) {
    fprintf(stderr, "isolated call does not work\n");
    return 1;
  }
  const int reps = smoke() ? 200 : 2000;

  // Interleave floor and recovery measurements so that both see the same
  // machine state; take the median of the per-round medians.
  std::vector<double> fl, te, wh;
  for (int round = 0; round < 5; round++) {
    fl.push_back(measure_floor(reps));
    double x, y;
    measure_fault(0, reps, &x, &y);
    te.push_back(x);
    wh.push_back(y);
  }
  result("recovery.floor", median(fl), "ns");
  if (g_can_stamp) result("recovery.fault_to_error", median(te), "ns");
  result("recovery.faulting_call", median(wh), "ns");

  // Cold: caches and TLB flushed by walking 16 MiB before each fault, for
  // the floor and for the recovery alike.
  {
    g_evict_bytes = 16 << 20;
    g_evict = (uint8_t *)malloc(g_evict_bytes);
    memset(g_evict, 1, g_evict_bytes);
    int n = smoke() ? 30 : 200;
    std::vector<double> cf, ct;
    for (int round = 0; round < 3; round++) {
      cf.push_back(measure_floor(n));
      double x, y;
      measure_fault(0, n, &x, &y);
      ct.push_back(g_can_stamp ? x : y);
    }
    result("recovery.floor_cold", median(cf), "ns");
    result("recovery.cold", median(ct), "ns");
    g_evict_bytes = 0;
    free(g_evict);
  }

  // First call after a discard vs a warm call.
  {
    std::vector<double> first, warm;
    for (int i = 0; i < (smoke() ? 50 : 500); i++) {
      iso_fault(0, 1);
      clobber();
      uint64_t t0 = now_ns();
      iso_fault(0, 0);
      uint64_t t1 = now_ns();
      iso_fault(0, 0);
      uint64_t t2 = now_ns();
      first.push_back((double)(t1 - t0));
      warm.push_back((double)(t2 - t1));
    }
    result("recovery.next_call", median(first), "ns");
    result("recovery.warm_call", median(warm), "ns");
  }

  // Recovery as the domain's heap grows.
  struct {
    size_t bytes;
    int reps, smoke_reps;
    const char *name;
  } sizes[] = {{1ull << 20, 50, 10, "1MiB"}, {64ull << 20, 10, 3, "64MiB"}, {1ull << 30, 5, 1, "1GiB"}};
  for (auto &s : sizes) {
    int n = smoke() ? s.smoke_reps : s.reps;
    int64_t got = iso_fault(s.bytes, 0);  // without a fault: can it grow?
    iso_fault(0, 1);                     // discard what it allocated
    if (got != (int64_t)s.bytes) {
      printf("# domain heap could only grow to %lld of %zu bytes (SDRAD_HEAP_SIZE?)\n",
             (long long)got, s.bytes);
      continue;
    }
    double x, y;
    measure_fault(s.bytes, n, &x, &y);
    struct sdrad_domain_stats st {};
    sdrad_get_stats(domain_handle(g_dom), &st);
    char key[128];
    if (g_can_stamp) {
      snprintf(key, sizeof key, "recovery.heap.%s", s.name);
      result(key, x, "ns");
    }
    snprintf(key, sizeof key, "recovery.heap_call.%s", s.name);
    result(key, y, "ns");
    printf("# heap high water after %s: %llu bytes\n", s.name, (unsigned long long)st.heap_high_water);
    snprintf(key, sizeof key, "recovery.floor_heap.%s", s.name);
    result(key, measure_floor_touched(s.bytes, n), "ns");
    snprintf(key, sizeof key, "recovery.floor_walk.%s", s.name);
    result(key, measure_floor_walked(s.bytes, n), "ns");
    // The first call after such a fault: it empties the old slot itself if
    // the reclaimer has not yet (the instance must not run while its old
    // slot still holds the failed run's pages under its key).
    std::vector<double> next;
    for (int i = 0; i < n; i++) {
      iso_fault(s.bytes, 1);
      uint64_t t0 = now_ns();
      iso_fault(0, 0);
      next.push_back((double)(now_ns() - t0));
    }
    snprintf(key, sizeof key, "recovery.next_call_heap.%s", s.name);
    result(key, median(next), "ns");
  }
  return 0;
}
