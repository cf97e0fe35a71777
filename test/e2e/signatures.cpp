// signatures.cpp - isolated C++ functions with every kind of signature the
// ABI lowers differently: structs returned in registers and in memory (sret),
// passed in registers and in memory (byval, including over-aligned),
// bool, long double, __int128, void, noexcept, a try/catch inside the
// domain, a non-trivially-copyable argument (std::string by value).
#include "e2e.h"

#include <stdexcept>
#include <string>

struct Big { long v[8]; };
struct Small { int a; float b; };
struct alignas(32) Wide { float f[8]; };

SDRAD_ISOLATE() Big make_big(long x) { Big b{}; b.v[0] = x; b.v[7] = -x; return b; }
SDRAD_ISOLATE() Small make_small(Small s) { s.a++; s.b *= 2; return s; }
SDRAD_ISOLATE() long take_big(Big b) { return b.v[0] + 10 * b.v[7]; }
SDRAD_ISOLATE() float take_wide(Wide w) { return w.f[7]; }
SDRAD_ISOLATE() Wide make_wide(float x) { Wide w{}; w.f[7] = x; return w; }
SDRAD_ISOLATE() int try_catch(int x) {
  try {
    if (x)
      throw std::runtime_error("caught inside");
  } catch (const std::exception &) {
    return -5;
  }
  return 1;
}
SDRAD_ISOLATE() bool negate(bool b) { return !b; }
SDRAD_ISOLATE() long double twice_ld(long double x) { return x * 2; }
SDRAD_ISOLATE() __int128 shl(__int128 x) { return x << 65; }
static int side;
SDRAD_ISOLATE() void nothing() {}
SDRAD_ISOLATE() int noex(int x) noexcept { return x + 1; }
SDRAD_ISOLATE() size_t length(std::string s) { return s.size(); }

int main() {
  for (int i = 0; i < 200; ++i) {
    Big b = make_big(i + 7);
    CHECK(b.v[0] == i + 7 && b.v[7] == -(i + 7), "make_big");
    Small s = make_small({i, 2.5f});
    CHECK(s.a == i + 1 && s.b == 5.0f, "make_small");
    CHECK_EQ(take_big(b), (i + 7) - 10 * (i + 7));
    Wide w{};
    w.f[7] = 3.5f;
    CHECK(take_wide(w) == 3.5f, "take_wide");
    CHECK(make_wide(9.5f).f[7] == 9.5f, "make_wide");
    CHECK_EQ(try_catch(1), -5);
    CHECK_EQ(try_catch(0), 1);
    CHECK(negate(false) && !negate(true), "negate");
    CHECK(twice_ld(1.25L) == 2.5L, "twice_ld");
    CHECK(shl(3) == ((__int128)3 << 65), "shl");
    nothing();
    CHECK_EQ(noex(i), i + 1);
    CHECK_EQ(length(std::string(i % 50, 'x')), i % 50);
  }
  CHECK_EQ(take_fault(), 0);
  (void)side;
  printf("signatures: OK\n");
  return 0;
}
