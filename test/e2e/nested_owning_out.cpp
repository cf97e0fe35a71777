// Nested isolated calls with owning out parameters: a function in domain
// "outer" calls one in domain "inner" with an out std::string and an out
// std::vector<std::string> that live in the outer domain.  The inner
// results are deep-copied into the outer domain's objects (with the outer
// domain's allocator) after success only; a fault in the inner domain
// leaves them as they were and the outer call carries on; the outer result
// (a std::string returned by value) reaches the root intact, and later
// faults in either domain never change results returned earlier.
#include "e2e.h"

#include <string>
#include <vector>

SDRAD_ISOLATE("nested_inner", confidentiality, fallback_value(-1))
int produce(SDRAD_OUT(1) std::string &out,
            SDRAD_OUT(1) std::vector<std::string> &parts, int n, int fault) {
  out.assign((std::size_t)n, 'i');
  for (int i = 0; i < n % 7; ++i)
    parts.push_back(std::string((std::size_t)(i * 20), (char)('a' + i)));
  if (fault)
    *(volatile int *)nullptr = 1;
  return sdrad_depth();
}

// Integrity: a confidentiality domain cannot enter another domain
// (docs/security.md).
SDRAD_ISOLATE("nested_outer", fallback_value(-1))
long outer(int n, SDRAD_OUT(1) std::string &result, int fault_outer) {
  std::string s = "before";
  std::vector<std::string> parts{"keep"};
  // The inner call faults: the outer domain's objects are unchanged.
  if (produce(s, parts, n, 1) != -1 || s != "before" || parts.size() != 1 ||
      parts[0] != "keep")
    return -10;
  if (produce(s, parts, n, 0) != 2)
    return -11;
  std::string joined = s;
  for (const std::string &p : parts)
    joined += "|" + p;
  result = joined;
  if (fault_outer)
    __builtin_trap();
  return (long)parts.size() * 100000 + (long)s.size();
}

static std::string expected(int n) {
  std::string joined((std::size_t)n, 'i');
  for (int i = 0; i < n % 7; ++i)
    joined += "|" + std::string((std::size_t)(i * 20), (char)('a' + i));
  return joined;
}

int main() {
  static const int sizes[] = {0, 5, 13, 300, 1000};
  std::vector<std::string> results;
  for (int n : sizes) {
    std::string r = "untouched";
    CHECK_EQ(outer(n, r, 0), (long)(n % 7) * 100000 + n);
    CHECK(take_fault() != 0, "the inner fault was not recorded");
    CHECK(r == expected(n), "n=%d: got '%.40s...' (%zu bytes)", n, r.c_str(),
          r.size());
    results.push_back(r);
    std::string r2 = "untouched";
    CHECK_EQ(outer(n, r2, 1), -1);
    CHECK(take_fault() != 0, "the outer fault was not recorded");
    CHECK(r2 == "untouched", "a faulting outer call changed its out string");
  }
  // Earlier results are the root's own copies.
  for (std::size_t i = 0; i < results.size(); ++i) {
    CHECK(results[i] == expected(sizes[i]),
          "result %zu changed after later faults", i);
  }
  CHECK_EQ(sdrad_depth(), 0);
  printf("nested_owning_out: OK\n");
  return 0;
}
