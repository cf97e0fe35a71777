// Non-static member functions: this(inout) copies the object in and back
// only after a successful call (a fault leaves it byte for byte as it
// was), this(in) gives the domain a copy whose changes are dropped,
// this(shared) reads the object in place; virtual calls reach the thunk.
// Built as C++17 and C++20.
#include "e2e.h"

#include <cstring>

struct Counter {
  int n = 0;
  long total = 0;
  char tag[8] = "ctr";

  SDRAD_ISOLATE("members", this(inout), fallback_value(-1))
  int add(int v, int fault) {
    ++n;
    total += v;
    memcpy(tag, "changed", 8);
    if (fault)
      *(volatile int *)nullptr = 1;
    return n;
  }

  SDRAD_ISOLATE("members", this(in), fallback_value(-1))
  long peek_and_scribble(int fault) {
    total = -999; // the domain's copy only
    if (fault)
      __builtin_trap();
    return n;
  }

  SDRAD_ISOLATE("members", this(shared), fallback_value(-1))
  long sum() const { return total + n; }
};

struct Base {
  virtual ~Base() = default;
  virtual int f(int x) { return x; }
};
struct Derived : Base {
  int k = 10;
  SDRAD_ISOLATE("members", this(shared), fallback_value(-1))
  int f(int x) override {
    if (x < 0)
      __builtin_trap();
    return x + k;
  }
};

int main() {
  Counter c;
  CHECK_EQ(c.add(5, 0), 1);
  CHECK(c.n == 1 && c.total == 5 && !memcmp(c.tag, "changed", 8),
        "after add: n=%d total=%ld", c.n, c.total);
  Counter before = c;
  CHECK_EQ(c.add(7, 1), -1);
  CHECK(take_fault() != 0, "the fault was not recorded");
  CHECK(!memcmp(&c, &before, sizeof c), "a faulting call changed the object");
  CHECK_EQ(c.add(7, 0), 2);
  CHECK_EQ(c.total, 12);

  CHECK_EQ(c.peek_and_scribble(0), 2);
  CHECK_EQ(c.total, 12); // in: the domain's change is not copied back
  CHECK_EQ(c.peek_and_scribble(1), -1);
  take_fault();
  CHECK_EQ(c.sum(), 14);

  Derived d;
  Base *b = &d;
  CHECK_EQ(b->f(1), 11);
  CHECK_EQ(b->f(-1), -1);
  CHECK(take_fault() != 0, "the fault was not recorded");
  CHECK_EQ(b->f(2), 12);
  return 0;
}
