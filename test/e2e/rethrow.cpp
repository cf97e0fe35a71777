// SDRAD_ISOLATE(..., rethrow): an escaped exception surfaces in the caller
// as sdrad::domain_fault with kind "exception", the domain name and the
// original what(); a fault as domain_fault with its kind; a successful call
// returns normally (values and out buffers as usual).  C++17 and C++20.
#include "e2e.h"

#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

SDRAD_ISOLATE("parser", rethrow)
int parse(SDRAD_IN(n) const char *s, size_t n, SDRAD_OUT(1) int *out) {
  std::string text(s, n);
  if (text == "throw")
    throw std::invalid_argument("bad token '" + text + "' at 0");
  if (text == "segv")
    *(volatile int *)nullptr = 1;
  if (text == "other")
    throw 42;
  *out = (int)text.size();
  return 1;
}

SDRAD_ISOLATE("parser", rethrow)
std::vector<std::string> split(int n, int thr) {
  if (thr)
    throw std::runtime_error("split failed");
  return std::vector<std::string>(n, "piece-long-enough-for-the-heap");
}

// A body that cannot throw (clang marks it nounwind): the thunk still can.
SDRAD_ISOLATE("calc", rethrow) int divide(int a, int b) { return a / b; }

// Deep-copied objects (in, out, inout) live in the domain; an exception
// that leaves the body (the domain is kept) must destroy them on its way.
SDRAD_ISOLATE("leak", rethrow)
int transform(SDRAD_IN(1) const std::string &in,
              SDRAD_INOUT(1) std::vector<std::string> &acc,
              SDRAD_OUT(1) std::string &out, int thr) {
  out = in + in;
  acc.push_back(in);
  if (thr)
    throw std::runtime_error("transform failed");
  return (int)acc.size();
}

static uint64_t leak_heap_in_use() {
  sdrad_domain_stats st{};
  CHECK(sdrad_get_stats(sdrad_domain_by_name("leak", 0), &st) == 0, "no stats");
  return st.heap_in_use;
}

static int calls(const char *s) {
  int out = -1;
  return parse(s, strlen(s), &out) == 1 ? out : -2;
}

int main(int argc, char **) {
  int zero = argc - 1;
  CHECK_EQ(divide(6, 3), 2);
  bool div_caught = false;
  try {
    divide(1, zero);
  } catch (const sdrad::domain_fault &f) {
    div_caught = true;
    CHECK_EQ(f.kind(), SDRAD_FAULT_FPE);
    CHECK(f.domain() == "calc", "domain = %s", f.domain().c_str());
  }
  CHECK(div_caught, "no domain_fault for a division by zero");
  CHECK_EQ(calls("hello"), 5);
  bool caught = false;
  try {
    calls("throw");
  } catch (const sdrad::domain_fault &f) {
    caught = true;
    CHECK_EQ(f.kind(), SDRAD_FAULT_EXCEPTION);
    CHECK(f.domain() == "parser", "domain = %s", f.domain().c_str());
    CHECK(f.original_what() == "bad token 'throw' at 0", "what = %s",
          f.original_what().c_str());
    CHECK(std::string(f.what()) ==
              "sdrad: exception in domain 'parser': bad token 'throw' at 0",
          "what() = %s", f.what());
  }
  CHECK(caught, "no domain_fault for an exception");
  CHECK_EQ(calls("abc"), 3); // the domain works on

  caught = false;
  try {
    calls("segv");
  } catch (const sdrad::domain_fault &f) {
    caught = true;
    CHECK(f.kind() == SDRAD_FAULT_SEGV || f.kind() == SDRAD_FAULT_KEY_VIOLATION,
          "kind = %s", f.kind_name());
    CHECK(f.domain() == "parser", "domain = %s", f.domain().c_str());
    CHECK(f.original_what().empty(), "what = %s", f.original_what().c_str());
  }
  CHECK(caught, "no domain_fault for a segv");
  sdrad_clear_fault();

  caught = false;
  try {
    calls("other");
  } catch (const std::exception &e) { // domain_fault is a std::exception
    caught = true;
    CHECK(strstr(e.what(), "not derived from std::exception"), "what() = %s",
          e.what());
  }
  CHECK(caught, "no domain_fault for a non-std exception");

  CHECK_EQ(split(3, 0).size(), 3);
  try {
    split(3, 1);
    CHECK(false, "no exception");
  } catch (const sdrad::domain_fault &f) {
    CHECK(f.original_what() == "split failed", "what = %s",
          f.original_what().c_str());
  }
  CHECK_EQ(calls("again"), 5);

  // No leak in the domain when an exception escapes: 200 throwing calls
  // with objects of 300+ bytes each leave the heap where one left it.
  std::string in(300, 'i'), out = "unchanged";
  std::vector<std::string> acc{std::string(100, 'a')};
  CHECK_EQ(transform(in, acc, out, 0), 2);
  CHECK(out == in + in && acc.size() == 2 && acc[1] == in, "transform wrong");
  out = "unchanged";
  auto acc_before = acc;
  int thrown = 0;
  try {
    transform(in, acc, out, 1);
  } catch (const sdrad::domain_fault &) {
    ++thrown;
  }
  uint64_t base = leak_heap_in_use();
  for (int i = 0; i < 200; ++i) {
    try {
      transform(in, acc, out, 1);
    } catch (const sdrad::domain_fault &f) {
      thrown += f.original_what() == "transform failed";
    }
  }
  uint64_t after = leak_heap_in_use();
  CHECK_EQ(thrown, 201);
  CHECK(after <= base, "the domain heap grew from %llu to %llu bytes over 200 "
        "throwing calls: deep-copied objects leaked",
        (unsigned long long)base, (unsigned long long)after);
  CHECK(out == "unchanged" && acc == acc_before,
        "a throwing call changed the caller's objects");
  return 0;
}
