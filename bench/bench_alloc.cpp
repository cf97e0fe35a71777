// bench/bench_alloc.cpp - allocator throughput.
//
// One workload: a window of 1024 live objects; each step frees a random
// one and allocates a new one of a random size in [16, 1024) bytes and
// touches it.  Result: ns per free+malloc pair, per thread.
//
// Built three times:
//   bench_alloc_glibc    (not linked with the runtime)  -> alloc.glibc.{1,2,4}t
//   bench_alloc_mimalloc (linked with libmimalloc, which replaces malloc)
//                                                       -> alloc.mimalloc.{1,2,4}t
//   bench_alloc_sdrad    (linked with the runtime)      -> alloc.root.{1,2,4}t
//                       (the runtime serves the root heap) and
//                       alloc.domain.{1,2,4}t (the loop runs inside an
//                       isolated call: the domain instance's heap; with
//                       several threads each thread has its own instance)
// Each thread runs the same loop on its own objects; the figure is the mean
// over threads of the thread's CPU time per pair (threads > cores just
// share them), the fastest of 7 rounds.
#include <pthread.h>
#include <stdlib.h>

#include <thread>
#include <vector>

#include "common.h"
#ifdef SDRAD_BENCH_RUNTIME
#include "thunk.h"
#endif
#ifdef SDRAD_BENCH_MIMALLOC
#include <mimalloc.h>
#endif

using namespace bench;

namespace {

constexpr int kWindow = 1024;

// The loop; the caller times it.
double churn(uint64_t steps, uint64_t seed) {
  void *slot[kWindow] = {};
  uint64_t x = seed * 6364136223846793005ull + 1442695040888963407ull;
  auto rnd = [&] {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return x;
  };
  for (int i = 0; i < kWindow; i++) {
    slot[i] = malloc(16 + rnd() % 1008);
    *(volatile char *)slot[i] = 1;
  }
  for (uint64_t i = 0; i < steps; i++) {
    uint64_t r = rnd();
    int j = (int)(r % kWindow);
    free(slot[j]);
    size_t n = 16 + (r >> 20) % 1008;
    slot[j] = malloc(n);
    *(volatile char *)slot[j] = 1;
  }
  for (int i = 0; i < kWindow; i++) free(slot[i]);
  return 0;
}

uint64_t thread_cpu_ns() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

#ifdef SDRAD_BENCH_RUNTIME
__sdrad_domain_ref g_dom = {0, "bench.alloc", SDRAD_POLICY_INTEGRITY, SDRAD_ABI_VERSION};
struct ChurnBlk {
  uint64_t steps, seed;
  double ret;
};
void entry_churn(void *p) {
  auto *b = (ChurnBlk *)p;
  b->ret = churn(b->steps, b->seed);
}
double churn_in_domain(uint64_t steps, uint64_t seed) {
  double r = -1;
  int32_t st = isolated_call(g_dom, entry_churn, ChurnBlk{steps, seed, 0}, &r);
  if (st != 0) {
    fprintf(stderr, "domain churn failed: %d\n", st);
    exit(1);
  }
  return r;
}
#endif

template <class F>
double run_threads(int threads, uint64_t steps, F f) {
  // Fastest of a few rounds (see time_per_iter) of the mean per-thread time.
  std::vector<double> rounds;
  for (int round = 0; round < (smoke() ? 3 : 7); round++) {
    std::vector<double> per(threads);
    std::vector<std::thread> ts;
    for (int t = 0; t < threads; t++)
      ts.emplace_back([&, t] {
        // The thread's CPU time (the machine is shared: time spent waiting
        // for a core is not the allocator's); for the domain heap it
        // includes the isolated call around the loop (one per 2M pairs).
        uint64_t t0 = thread_cpu_ns();
        f(steps, (uint64_t)(round * 16 + t + 1));
        per[t] = (double)(thread_cpu_ns() - t0) / (double)steps;
      });
    for (auto &t : ts) t.join();
    double s = 0;
    for (double v : per) s += v;
    rounds.push_back(s / threads);
  }
  return *std::min_element(rounds.begin(), rounds.end());
}

}  // namespace

int main(int argc, char **argv) {
  parse_common(argc, argv);
  uint64_t steps = smoke() ? 200000 : 2000000;
#ifdef SDRAD_BENCH_RUNTIME
  const char *root = "alloc.root";
  printf("# backend %s\n", sdrad_backend_name());
#elif defined(SDRAD_BENCH_MIMALLOC)
  const char *root = "alloc.mimalloc";
  // The figures are mimalloc's only if it really serves malloc.
  void *probe = malloc(100);
  if (!mi_is_in_heap_region(probe)) {
    fprintf(stderr, "bench_alloc_mimalloc: malloc is not mimalloc's\n");
    return 1;
  }
  free(probe);
#else
  const char *root = "alloc.glibc";
#endif
  char key[64];
  for (int threads : {1, 2, 4}) {
    snprintf(key, sizeof key, "%s.%dt", root, threads);
    result(key, run_threads(threads, steps, churn), "ns");
#ifdef SDRAD_BENCH_RUNTIME
    snprintf(key, sizeof key, "alloc.domain.%dt", threads);
    result(key, run_threads(threads, steps, churn_in_domain), "ns");
#endif
  }
  return 0;
}
