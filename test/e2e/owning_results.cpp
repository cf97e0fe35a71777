// Types that own memory returned by value: std::string (short and long),
// std::vector<std::string>, std::optional, std::pair/std::tuple and an
// aggregate of these.  Each result is a deep copy in the caller's memory:
// byte for byte what the domain built, never inside the domain
// (sdrad_owns), unchanged by later faults of the domain; a faulting call
// returns a default-constructed value.  Built as C++17 and C++20.
#include "e2e.h"

#include <optional>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

struct Record {
  std::string name;
  std::vector<int> values;
  std::optional<std::string> note;
  int id;
};

static void maybe_fault(int fault) {
  if (fault)
    *(volatile int *)nullptr = 1;
}

SDRAD_ISOLATE("own")
std::string text(int n, char c, int fault) {
  std::string s(n, c);
  maybe_fault(fault);
  return s;
}

SDRAD_ISOLATE("own")
std::vector<std::string> words(int n, int fault) {
  std::vector<std::string> v;
  for (int i = 0; i < n; ++i)
    v.push_back(std::string(i + 1, char('a' + i)) + "-word-long-enough-for-heap");
  maybe_fault(fault);
  return v;
}

SDRAD_ISOLATE("own")
std::optional<std::string> maybe(int have, int fault) {
  maybe_fault(fault);
  if (!have)
    return std::nullopt;
  return std::string("optional value that lives on the heap");
}

SDRAD_ISOLATE("own")
std::pair<std::string, std::vector<long>> pairs(int n, int fault) {
  std::pair<std::string, std::vector<long>> p{"pair-first-on-the-heap-xxxxxxx", {}};
  for (int i = 0; i < n; ++i)
    p.second.push_back(1000L * i);
  maybe_fault(fault);
  return p;
}

SDRAD_ISOLATE("own")
std::tuple<int, std::string, std::vector<char>> tuples(int fault) {
  maybe_fault(fault);
  return {7, "t", {'x', 'y', 'z'}};
}

SDRAD_ISOLATE("own")
Record record(int id, int fault) {
  Record r{"record-" + std::to_string(id) + "-with-a-long-name", {id, id * 2},
           std::string("note"), id};
  maybe_fault(fault);
  return r;
}

// A template: each instantiation gets its own helpers.
template <class T>
SDRAD_ISOLATE("own") std::vector<T> repeat(T v, int n, int fault) {
  maybe_fault(fault);
  return std::vector<T>(n, v);
}

static int64_t own_domain() { return sdrad_domain_by_name("own", 0); }

// The string's characters are in the caller's memory, not the domain's.
static void check_outside(const void *p, const char *what) {
  CHECK(!sdrad_owns(own_domain(), p), "%s points into the domain", what);
}

int main() {
  std::string shorts = text(1, 'r', 0);
  CHECK(shorts == "r", "short string = '%s'", shorts.c_str());
  check_outside(shorts.data(), "short string");
  std::string longs = text(100, 'q', 0);
  CHECK(longs == std::string(100, 'q'), "long string differs");
  check_outside(longs.data(), "long string");

  CHECK(text(5, 'z', 1).empty(), "a faulting call returned a value");
  CHECK(take_fault() != 0, "the fault was not recorded");

  std::vector<std::string> v = words(4, 0);
  CHECK_EQ(v.size(), 4);
  for (int i = 0; i < 4; ++i) {
    CHECK(v[i] == std::string(i + 1, char('a' + i)) + "-word-long-enough-for-heap",
          "v[%d] = '%s'", i, v[i].c_str());
    check_outside(v[i].data(), "vector element");
  }
  check_outside(v.data(), "vector storage");
  CHECK(words(3, 1).empty(), "a faulting call returned a value");
  CHECK(take_fault() != 0, "the fault was not recorded");

  std::optional<std::string> o = maybe(1, 0);
  CHECK(o && *o == "optional value that lives on the heap", "optional differs");
  check_outside(o->data(), "optional's string");
  CHECK(!maybe(0, 0), "nullopt expected");
  CHECK(!maybe(1, 1), "a faulting call returned a value");
  take_fault();

  auto p = pairs(5, 0);
  CHECK(p.first == "pair-first-on-the-heap-xxxxxxx", "pair.first differs");
  CHECK_EQ(p.second.size(), 5);
  for (int i = 0; i < 5; ++i)
    CHECK_EQ(p.second[i], 1000L * i);
  check_outside(p.second.data(), "pair's vector");

  auto t = tuples(0);
  CHECK_EQ(std::get<0>(t), 7);
  CHECK(std::get<1>(t) == "t", "tuple string differs");
  CHECK(std::get<2>(t) == std::vector<char>({'x', 'y', 'z'}), "tuple vector differs");

  Record r = record(42, 0);
  CHECK(r.name == "record-42-with-a-long-name" && r.id == 42 &&
            r.values == std::vector<int>({42, 84}) && r.note == "note",
        "record differs");
  check_outside(r.name.data(), "record name");
  Record bad = record(43, 1);
  CHECK(bad.name.empty() && bad.values.empty() && !bad.note && bad.id == 0,
        "a faulting call returned a value");
  take_fault();

  std::vector<std::string> rs = repeat<std::string>("template-string-long-enough-for-heap", 3, 0);
  CHECK(rs.size() == 3 && rs[2] == "template-string-long-enough-for-heap", "template result differs");
  check_outside(rs[2].data(), "template result");
  CHECK(repeat<std::string>("x", 3, 1).empty(), "a faulting call returned a value");
  take_fault();
  CHECK(repeat<int>(5, 4, 0) == std::vector<int>(4, 5), "template<int> result differs");

  // More faults and calls in the same domain: the earlier results stay.
  for (int i = 0; i < 20; ++i) {
    words(8, 1);
    text(200, 'e', 1);
    (void)words(8, 0);
    (void)text(300, 'f', 0);
  }
  take_fault();
  CHECK(shorts == "r" && longs == std::string(100, 'q'), "strings changed");
  for (int i = 0; i < 4; ++i)
    CHECK(v[i] == std::string(i + 1, char('a' + i)) + "-word-long-enough-for-heap",
          "v[%d] changed to '%s'", i, v[i].c_str());
  CHECK(*o == "optional value that lives on the heap", "optional changed");
  CHECK(r.name == "record-42-with-a-long-name", "record changed");
  return 0;
}
