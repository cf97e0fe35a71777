// attribute_settings.cpp - the isolate attribute's per-domain settings in
// C++: timeout_ms(), heap_limit() (operator new throws std::bad_alloc at
// the limit), init() and on_discard() naming functions in a namespace.
#include "e2e.h"
#include "timing.h"

#include <cstring>
#include <new>
#include <vector>

namespace {
volatile bool spin = true;
} // namespace

SDRAD_ISOLATE("cxx_looper", timeout_ms(150), fallback_value(-1))
int cxx_looper(bool loop) {
  while (loop && spin) {
  }
  return 5;
}

// Allocates 64 KiB blocks with new until it throws: the bytes it got.
SDRAD_ISOLATE("cxx_eater", heap_limit(4M), fallback_value(-1))
long long cxx_eat() {
  std::vector<char *> blocks;
  long long got = 0;
  try {
    for (;;) {
      char *p = new char[65536];
      std::memset(p, 1, 65536);
      blocks.push_back(p);
      got += 65536;
      if (got > (64ll << 20))
        return -2;
    }
  } catch (const std::bad_alloc &) {
  }
  for (char *p : blocks)
    delete[] p;
  return got;
}

// The same, letting std::bad_alloc escape.
SDRAD_ISOLATE("cxx_eater", fallback_value(-1))
long long cxx_eat_unguarded() {
  std::vector<char *> blocks;
  for (;;)
    blocks.push_back(new char[65536]);
}

// Fills its heap to the last byte, then lets an exception escape: a
// std::bad_alloc from operator new, or one of its own.  The exception
// object itself cannot come from the heap's usual part.
thread_local void *volatile fill_sink; // key-0 TLS: a domain may write it
SDRAD_ISOLATE("cxx_eater", fallback_value(-1))
long long cxx_fill_and_throw(bool own) {
  for (size_t n = 65536; n >= 1; n /= 2)
    while (void *p = std::malloc(n))
      fill_sink = p;
  if (own)
    throw 42;
  fill_sink = new char[16];
  return 0;
}

namespace lib {
thread_local int inits;
int discards;
void init() { ++inits; }
void discarded() { ++discards; }
} // namespace lib

SDRAD_ISOLATE("cxx_lib", init(lib::init), on_discard(lib::discarded),
              fallback_value(-1))
int cxx_lib(int i) {
  if (i < 0)
    throw std::runtime_error("bad input");
  return i * 2;
}

int main() {
  call_time c;
  call_time_start(&c);
  CHECK_EQ(cxx_looper(true), -1);
  call_time_stop(&c);
  CHECK_EQ(take_fault(), SDRAD_FAULT_TIMEOUT);
  CHECK_TIMED_OUT_IN_TIME(c, 150, "a timeout_ms(150) looping call");
  CHECK_EQ(cxx_looper(false), 5);

  long long got = cxx_eat();
  CHECK(got > (3ll << 20) && got <= (4ll << 20), "got %lld bytes under heap_limit(4M)", got);
  CHECK_EQ(take_fault(), 0);
  // Escaping std::bad_alloc: the call fails with fault kind `exception`,
  // also when the heap is full to the last byte, for bad_alloc and for an
  // exception of its own (the exception object comes from the heap's
  // reserve: libstdc++'s emergency pool is root memory, a key violation
  // under pku that left the pool's lock held), and the process and the
  // domain live on.
  CHECK_EQ(cxx_eat_unguarded(), -1);
  CHECK_EQ(take_fault(), SDRAD_FAULT_EXCEPTION);
  for (int round = 0; round < 2; ++round) { // twice: nothing is left held
    CHECK_EQ(cxx_fill_and_throw(false), -1);
    CHECK_EQ(take_fault(), SDRAD_FAULT_EXCEPTION);
    CHECK_EQ(cxx_fill_and_throw(true), -1);
    CHECK_EQ(take_fault(), SDRAD_FAULT_EXCEPTION);
  }
  CHECK_EQ(cxx_eat(), got); // a fresh instance, the same limit

  for (int round = 1; round <= 3; ++round) {
    CHECK_EQ(cxx_lib(round), 2 * round);
    CHECK_EQ(lib::inits, round);
    CHECK_EQ(cxx_lib(-1), -1);
    CHECK_EQ(take_fault(), SDRAD_FAULT_EXCEPTION);
    CHECK_EQ(lib::discards, round);
  }
  std::printf("ok\n");
  return 0;
}
