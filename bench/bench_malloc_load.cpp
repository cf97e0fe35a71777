// bench/bench_malloc_load.cpp - malloc-heavy C++ workloads, one per process
// run (so that the peak memory, ru_maxrss, is this workload's own).
//
//   --map T  each of T threads builds a std::map<std::string,
//            std::vector<int>> of 1M entries (keys of 21 characters, so the
//            strings allocate; 1..8 ints per vector, pushed one by one) in
//            a random key order, then destroys it.
//            -> alloc.map.<impl>.<T>t    CPU time per entry (build +
//                                        destroy), ns, mean over the threads
//               alloc.maprss.<impl>.<T>t peak resident memory, KiB
//   --pc T   T/2 producer/consumer pairs: the producer allocates objects of
//            16..1023 bytes and writes them, the consumer (another thread)
//            reads and frees them; batches of 256 pass through a blocking
//            queue of 16 batches.
//            -> alloc.pc.<impl>.<T>t     CPU time of producer + consumer
//                                        per object, ns, mean over pairs
//               alloc.pcrss.<impl>.<T>t  peak resident memory, KiB
//               alloc.pcabove.<impl>.<T>t  the same minus the resident
//                                        memory at the start of main()
//                                        (the program's fixed cost:
//                                        code, libraries, runtime state)
//   --none   nothing: the peak memory of the program itself
//            -> alloc.nonerss.<impl>.1t  KiB
//   --smoke  a tenth of the work
// CPU time, not wall-clock time: the machines this runs on are shared, and
// a thread waiting for a core would count in wall-clock time.
//
// <impl> is glibc (not linked with the runtime), root (linked with the
// runtime: its root allocator serves malloc) or mimalloc (linked with
// libmimalloc).  bench/run.sh runs the three alternately.
#include <fcntl.h>
#include <sched.h>
#include <unistd.h>
#include <sys/resource.h>

#include <condition_variable>
#include <mutex>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "common.h"
#ifdef SDRAD_BENCH_RUNTIME
#include <sdrad/sdrad.h>
#endif
#ifdef SDRAD_BENCH_MIMALLOC
#include <mimalloc.h>
#endif

using namespace bench;

namespace {

#if defined(SDRAD_BENCH_RUNTIME)
const char *kImpl = "root";
#elif defined(SDRAD_BENCH_MIMALLOC)
const char *kImpl = "mimalloc";
#else
const char *kImpl = "glibc";
#endif

uint64_t mix(uint64_t x) {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdull;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ull;
  return x ^ (x >> 33);
}

uint64_t thread_cpu_ns();

// Returns the thread's CPU time per entry, in ns.
double map_run(uint64_t n, uint64_t seed) {
  uint64_t t0 = thread_cpu_ns();
  {
    std::map<std::string, std::vector<int>> m;
    char key[32];
    for (uint64_t i = 0; i < n; i++) {
      uint64_t r = mix(i * 0x9e3779b97f4a7c15ull + seed);
      snprintf(key, sizeof key, "user:%010llu:item", (unsigned long long)(r % 10000000000ull));
      std::vector<int> &v = m[key];
      for (int j = 0, k = 1 + (int)(r >> 60) % 8; j < k; j++) v.push_back((int)(r >> j));
    }
    keep(m.size());
  }
  return (double)(thread_cpu_ns() - t0) / (double)n;
}

// A bounded queue of batches between one producer and one consumer.  It
// blocks (no spinning) when full or empty, so that the CPU time the two
// threads use is the allocator's work, whatever else the machine runs.
constexpr int kBatch = 256, kQueued = 16;
struct Queue {
  void *obj[kQueued][kBatch];
  uint64_t head = 0, tail = 0;  // batches pushed / popped
  std::mutex m;
  std::condition_variable changed;
};

void produce(Queue &q, uint64_t batches, uint64_t seed) {
  uint64_t x = seed * 6364136223846793005ull + 1442695040888963407ull;
  void *b[kBatch];
  for (uint64_t i = 0; i < batches; i++) {
    for (int j = 0; j < kBatch; j++) {
      x ^= x << 13;
      x ^= x >> 7;
      x ^= x << 17;
      size_t sz = 16 + x % 1008;
      char *p = (char *)malloc(sz);
      p[0] = (char)j;
      p[sz - 1] = (char)x;
      b[j] = p;
    }
    std::unique_lock<std::mutex> l(q.m);
    q.changed.wait(l, [&] { return q.head - q.tail < kQueued; });
    memcpy(q.obj[q.head % kQueued], b, sizeof b);
    q.head++;
    q.changed.notify_all();
  }
}

uint64_t consume(Queue &q, uint64_t batches) {
  uint64_t sum = 0;
  void *b[kBatch];
  for (uint64_t i = 0; i < batches; i++) {
    {
      std::unique_lock<std::mutex> l(q.m);
      q.changed.wait(l, [&] { return q.head != q.tail; });
      memcpy(b, q.obj[q.tail % kQueued], sizeof b);
      q.tail++;
      q.changed.notify_all();
    }
    for (int j = 0; j < kBatch; j++) {
      sum += *(unsigned char *)b[j];
      free(b[j]);
    }
  }
  return sum;
}

uint64_t thread_cpu_ns() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

// Returns the CPU time of producer + consumer per object, in ns.
double pc_run(uint64_t n, uint64_t seed) {
  Queue *q = new Queue;
  uint64_t batches = n / kBatch, consumer_ns = 0;
  std::thread c([&] {
    uint64_t t0 = thread_cpu_ns();
    keep(consume(*q, batches));
    consumer_ns = thread_cpu_ns() - t0;
  });
  uint64_t t0 = thread_cpu_ns();
  produce(*q, batches, seed);
  uint64_t producer_ns = thread_cpu_ns() - t0;
  c.join();
  delete q;
  return (double)(producer_ns + consumer_ns) / (double)(batches * kBatch);
}

template <class F>
double on_threads(int workers, F f) {
  std::vector<double> per(workers);
  std::vector<std::thread> ts;
  for (int t = 0; t < workers; t++) ts.emplace_back([&, t] { per[t] = f((uint64_t)t + 1); });
  for (auto &t : ts) t.join();
  double s = 0;
  for (double v : per) s += v;
  return s / workers;
}

// VmRSS from /proc/self/status, KiB (read without allocating); 0 if absent.
double rss_now_kib() {
  char buf[4096];
  int fd = open("/proc/self/status", O_RDONLY);
  if (fd < 0) return 0;
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0) return 0;
  buf[n] = 0;
  const char *p = strstr(buf, "\nVmRSS:");
  return p ? (double)atol(p + 8) : 0;
}

double max_rss_kib() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return (double)ru.ru_maxrss;
}

}  // namespace

int main(int argc, char **argv) {
  // Resident before the workload: the program, its libraries and (when
  // linked) the runtime's start-up state.
  double rss_start = rss_now_kib();
  parse_common(argc, argv);
  const char *mode = nullptr;
  int threads = 0;
  for (int i = 1; i + 1 < argc; i++)
    if (!strcmp(argv[i], "--map") || !strcmp(argv[i], "--pc")) {
      mode = argv[i] + 2;
      threads = atoi(argv[i + 1]);
    }
  for (int i = 1; i < argc; i++)
    if (!strcmp(argv[i], "--none")) mode = "none", threads = 1;
  if (!mode || threads < 1 || (!strcmp(mode, "pc") && threads % 2)) {
    fprintf(stderr, "usage: %s (--map T | --pc 2T | --none) [--smoke]\n", argv[0]);
    return 2;
  }
#ifdef SDRAD_BENCH_RUNTIME
  printf("# backend %s\n", sdrad_backend_name());
#endif
#ifdef SDRAD_BENCH_MIMALLOC
  void *probe = malloc(100);
  if (!mi_is_in_heap_region(probe)) {
    fprintf(stderr, "bench_malloc_load_mimalloc: malloc is not mimalloc's\n");
    return 1;
  }
  free(probe);
#endif
  char key[64];
  double v;
  if (!strcmp(mode, "map")) {
    uint64_t n = smoke() ? 100000 : 1000000;
    v = on_threads(threads, [&](uint64_t seed) { return map_run(n, seed); });
  } else if (!strcmp(mode, "none")) {
    v = 0;
  } else {
    uint64_t n = smoke() ? 200000 : 2000000;
    v = on_threads(threads / 2, [&](uint64_t seed) { return pc_run(n, seed); });
  }
  snprintf(key, sizeof key, "alloc.%s.%s.%dt", mode, kImpl, threads);
  if (strcmp(mode, "none")) result(key, v, "ns");
  snprintf(key, sizeof key, "alloc.%srss.%s.%dt", mode, kImpl, threads);
  result(key, max_rss_kib(), "KiB");
  if (!strcmp(mode, "pc") && rss_start > 0) {
    snprintf(key, sizeof key, "alloc.pcabove.%s.%dt", kImpl, threads);
    result(key, max_rss_kib() - rss_start, "KiB");
  }
  snprintf(key, sizeof key, "alloc.%sstart.%s.%dt", mode, kImpl, threads);
  result(key, rss_start, "KiB");
  return 0;
}
