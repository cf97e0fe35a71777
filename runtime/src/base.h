// base.h - what every runtime file uses: visibility macros, limits, the
// spin lock, messages.  Part of the runtime's internal headers (internal.h
// includes them all).  Nothing here is ABI.
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <sched.h>
#include <atomic>

#define SDRAD_HIDDEN __attribute__((visibility("hidden")))
#define SDRAD_EXPORT __attribute__((visibility("default")))

namespace sdrad {

constexpr size_t kPage = 4096;
constexpr int kMaxDomains = 256;    // registered domains (native + compat)
constexpr int kMaxDepth = 16;       // nesting depth per thread
constexpr int kMaxThreads = 512;    // live threads that have used a domain
constexpr int kMaxSlots = 1024;     // live domain instances in the arena

inline uintptr_t align_up(uintptr_t v, uintptr_t a) { return (v + a - 1) & ~(a - 1); }

// --- locks ----------------------------------------------------------------
// The runtime's locks guard short sections with no allocation, and are
// taken from any context the runtime runs in: a spin that yields after a
// while.  SpinGuard holds one for a scope.
// Test hook (null in programs; state.cpp): called with each lock just taken,
// so that a unit test can make a signal arrive while a lock is held.
extern void (*g_test_lock_taken)(const std::atomic<int> *lock);
inline void spin_lock(std::atomic<int> &l) {
  for (int i = 0;; ++i) {
    int z = 0;
    if (l.compare_exchange_weak(z, 1, std::memory_order_acquire)) {
      if (__builtin_expect(g_test_lock_taken != nullptr, 0)) g_test_lock_taken(&l);
      return;
    }
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

// --- /proc/self/maps ----------------------------------------------------
// Calls fn(line, ctx) for each line (without its newline) until fn returns
// false; reads in chunks, allocates nothing.  False if the file cannot be
// opened.  proc_maps.cpp.
bool for_each_maps_line(bool (*fn)(const char *line, void *ctx), void *ctx);
template <class F> bool for_each_maps_line(F &&f) {
  return for_each_maps_line([](const char *line, void *c) { return (*static_cast<F *>(c))(line); },
                            static_cast<void *>(&f));
}

}  // namespace sdrad
