// Reference parameters: in(1) is a copy, out(1) and inout(1) reach the
// caller's object only after a successful call (a fault in between leaves
// it byte for byte as it was), shared is read in place; under
// confidentiality too.  Built as C++17 and C++20.
#include "e2e.h"

#include <cstring>

struct Pt {
  int x, y;
  long z;
};

SDRAD_ISOLATE("refs", fallback_value(-1))
int scale(SDRAD_IN(1) const Pt &in, SDRAD_OUT(1) Pt &out,
          SDRAD_INOUT(1) int &acc, SDRAD_SHARED const int &k, int fault) {
  out.x = in.x * k;
  out.y = in.y * k;
  out.z = in.z * k;
  acc += in.x;
  if (fault)
    *(volatile int *)nullptr = 1; // after writing both copies
  return 0;
}

SDRAD_ISOLATE("secret", confidentiality, fallback_value(-1))
long sum(SDRAD_IN(1) const Pt &p, int fault) {
  if (fault)
    __builtin_trap();
  return p.x + p.y + p.z;
}

int main() {
  Pt in{1, 2, 3}, out{7, 7, 7};
  int acc = 10, k = 3;
  CHECK_EQ(scale(in, out, acc, k, 0), 0);
  Pt want{3, 6, 9};
  CHECK(memcmp(&out, &want, sizeof out) == 0, "out = %d %d %ld", out.x,
        out.y, out.z);
  CHECK_EQ(acc, 11);
  CHECK_EQ(take_fault(), 0);

  Pt before = out;
  in = Pt{100, 200, 300};
  CHECK_EQ(scale(in, out, acc, k, 1), -1);
  CHECK(take_fault() != 0, "the fault was not recorded");
  CHECK(memcmp(&out, &before, sizeof out) == 0, "out changed by a faulting call");
  CHECK_EQ(acc, 11);

  CHECK_EQ(scale(in, out, acc, k, 0), 0);
  Pt want2{300, 600, 900};
  CHECK(memcmp(&out, &want2, sizeof out) == 0, "out = %d %d %ld", out.x,
        out.y, out.z);
  CHECK_EQ(acc, 111);

  CHECK_EQ(sum(in, 0), 600);
  CHECK_EQ(sum(in, 1), -1);
  CHECK(take_fault() != 0, "the fault was not recorded");
  CHECK_EQ(sum(Pt{1, 1, 1}, 0), 3);
  return 0;
}
