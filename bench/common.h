// bench/common.h - tiny timing harness shared by the SDRaD-C++ benchmarks.
//
// Every benchmark program prints machine-readable result lines
//     R <key> <value> <unit>
// on stdout; bench/run.sh collects them from all programs of one run and
// prints the table of ratios.  Anything else a program prints is a comment.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <functional>
#include <vector>

namespace bench {

inline uint64_t now_ns() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

// Quick mode (--smoke): fewer repetitions, smaller sizes.
inline bool &smoke() {
  static bool s = false;
  return s;
}

inline void parse_common(int argc, char **argv) {
  for (int i = 1; i < argc; i++)
    if (!strcmp(argv[i], "--smoke")) smoke() = true;
}

inline void result(const char *key, double value, const char *unit) {
  printf("R %s %.6g %s\n", key, value, unit);
  fflush(stdout);
}

inline double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

inline double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t i = (size_t)(p * (double)(v.size() - 1) + 0.5);
  return v[std::min(i, v.size() - 1)];
}

// Runs fn(iters) in `batches` batches after one warm-up batch, the number
// of iterations per batch calibrated so that a batch lasts ~target_ns.
// Returns the time per iteration in ns of the fastest batch: on a machine
// shared with other work, interference only ever adds time, so the
// minimum is the estimate least disturbed by it (the median moves with
// the load).
template <class F>
double time_per_iter(F &&fn, double target_ns = 2e6, int batches = 21) {
  if (smoke()) {
    target_ns /= 4;
    batches = std::min(batches, 5);
  }
  uint64_t iters = 1;
  for (;;) {
    uint64_t t0 = now_ns();
    fn(iters);
    uint64_t dt = now_ns() - t0;
    if ((double)dt >= target_ns / 4 || iters >= (1ull << 30)) {
      double per = (double)dt / (double)iters;
      uint64_t want = (uint64_t)(target_ns / (per > 0.1 ? per : 0.1));
      iters = want ? want : 1;
      break;
    }
    iters *= 4;
  }
  double best = 0;
  for (int b = 0; b < batches; b++) {
    uint64_t t0 = now_ns();
    fn(iters);
    double per = (double)(now_ns() - t0) / (double)iters;
    if (b == 0 || per < best) best = per;
  }
  return best;
}

// Like time_per_iter for several functions at once, run in interleaved
// batches (A B C A B C ...) so that all of them see the same interference
// from the rest of the machine; returns the fastest batch of each.
inline std::vector<double> time_interleaved(const std::vector<std::function<void(uint64_t)>> &fns,
                                            double target_ns = 2e6, int batches = 21) {
  if (smoke()) {
    target_ns /= 4;
    batches = std::min(batches, 5);
  }
  std::vector<uint64_t> iters(fns.size(), 1);
  for (size_t f = 0; f < fns.size(); f++) {
    for (;;) {
      uint64_t t0 = now_ns();
      fns[f](iters[f]);
      uint64_t dt = now_ns() - t0;
      if ((double)dt >= target_ns / 4 || iters[f] >= (1ull << 30)) {
        double per = (double)dt / (double)iters[f];
        uint64_t want = (uint64_t)(target_ns / (per > 0.1 ? per : 0.1));
        iters[f] = want ? want : 1;
        break;
      }
      iters[f] *= 4;
    }
  }
  std::vector<double> best(fns.size(), 0);
  for (int b = 0; b < batches; b++)
    for (size_t f = 0; f < fns.size(); f++) {
      uint64_t t0 = now_ns();
      fns[f](iters[f]);
      double per = (double)(now_ns() - t0) / (double)iters[f];
      if (b == 0 || per < best[f]) best[f] = per;
    }
  return best;
}

// Keeps the compiler from optimising a value away.
template <class T>
inline void keep(T const &v) {
  __asm__ volatile("" : : "r,m"(v) : "memory");
}
inline void clobber() { __asm__ volatile("" : : : "memory"); }

}  // namespace bench
