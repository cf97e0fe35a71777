// out copy-back control: SDRAD_OUT(n, if_ok) reaches the caller only when
// the result satisfies ok_if(...) (an error return leaves the caller's
// buffer byte for byte as it was, as does a fault); SDRAD_OUT(n, returned)
// copies back only as many elements as the function returns.  C++17/20.
#include "e2e.h"

#include <cstddef>
#include <cstring>

enum { OK = 0, TRUNCATED = 1, FAULT = 2 };

// A decoder that fills its output and then finds the input truncated.
SDRAD_ISOLATE("dec", ok_if(== 0), fallback_value(-1))
int decode(SDRAD_IN(len) const unsigned char *in, size_t len,
           SDRAD_OUT(cap, if_ok) unsigned char *out, size_t cap, int mode) {
  for (size_t i = 0; i < cap; ++i)
    out[i] = (unsigned char)(in[i % len] + i);
  if (mode == FAULT)
    __builtin_trap();
  return mode == TRUNCATED ? 1 : 0;
}

// A reader that returns how many elements it produced.
SDRAD_ISOLATE("rd", fallback_value(-1))
long readn(SDRAD_OUT(cap, returned) int *buf, size_t cap, long produce,
           int fault) {
  for (size_t i = 0; i < cap; ++i)
    buf[i] = (int)(1000 + i); // the whole copy is written
  if (fault)
    *(volatile int *)nullptr = 1;
  return produce;
}

// Both: copied back only on ok, and only the returned count.
SDRAD_ISOLATE("both", ok_if(> 0), fallback_value(-1))
long upcase(SDRAD_INOUT(cap, if_ok, returned) char *s, size_t cap, long n) {
  for (size_t i = 0; i < cap; ++i)
    s[i] = (char)(s[i] - 32);
  return n;
}

int main() {
  const unsigned char in[4] = {1, 2, 3, 4};
  unsigned char out[64], want[64], keep[64];
  for (size_t i = 0; i < sizeof want; ++i)
    want[i] = (unsigned char)(in[i % 4] + i);

  memset(out, 0xAB, sizeof out);
  memcpy(keep, out, sizeof out);
  CHECK_EQ(decode(in, 4, out, sizeof out, TRUNCATED), 1); // error return
  CHECK(memcmp(out, keep, sizeof out) == 0, "an error return changed out");
  CHECK_EQ(take_fault(), 0);
  CHECK_EQ(decode(in, 4, out, sizeof out, FAULT), -1);
  CHECK(take_fault() != 0, "the fault was not recorded");
  CHECK(memcmp(out, keep, sizeof out) == 0, "a fault changed out");
  CHECK_EQ(decode(in, 4, out, sizeof out, OK), 0);
  CHECK(memcmp(out, want, sizeof out) == 0, "out differs after success");
  memcpy(keep, out, sizeof out);
  CHECK_EQ(decode(in, 4, out, sizeof out, TRUNCATED), 1);
  CHECK(memcmp(out, keep, sizeof out) == 0, "an error return changed out");

  int buf[8];
  auto reset = [&] {
    for (int &b : buf)
      b = -7;
  };
  auto expect = [&](long n) {
    for (long i = 0; i < 8; ++i)
      CHECK_EQ(buf[i], i < n ? 1000 + i : -7);
  };
  reset();
  CHECK_EQ(readn(buf, 8, 3, 0), 3);
  expect(3);
  reset();
  CHECK_EQ(readn(buf, 8, 100, 0), 100); // more than the copy: capped
  expect(8);
  reset();
  CHECK_EQ(readn(buf, 8, -5, 0), -5); // negative: nothing
  expect(0);
  reset();
  CHECK_EQ(readn(buf, 8, 4, 1), -1); // fault: nothing
  CHECK(take_fault() != 0, "the fault was not recorded");
  expect(0);
  CHECK_EQ(readn(buf, 8, 0, 0), 0);
  expect(0);

  char s[8];
  memcpy(s, "abcdefgh", 8);
  CHECK_EQ(upcase(s, 8, 3), 3);
  CHECK(memcmp(s, "ABCdefgh", 8) == 0, "s = %.8s", s);
  CHECK_EQ(upcase(s, 8, 0), 0); // not ok: nothing
  CHECK(memcmp(s, "ABCdefgh", 8) == 0, "s = %.8s", s);
  return 0;
}
