// Types that own memory as out and inout parameters (by reference and by
// pointer): after a successful call (if_ok respected) the domain's object
// is deep-copied into the caller's (copy assignment, caller's allocator);
// the caller's object never points into the domain, a failed call leaves
// it unchanged byte for byte, later faults never change earlier results.
// inout objects are deep-copied in first (the confidentiality domain could
// not read the caller's).  Also a user type through the customisation
// points, and by-value std::string / std::vector<std::string> parameters
// (deep-copied in like const references).
#include "e2e.h"

#include <cstring>
#include <optional>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

namespace my {
/// A user type that owns memory: its copy is deep.
struct Buffer {
  unsigned char *p = nullptr;
  std::size_t n = 0;
  Buffer() = default;
  Buffer(const unsigned char *d, std::size_t len) : p(new unsigned char[len]), n(len) {
    std::memcpy(p, d, len);
  }
  Buffer(const Buffer &o) : Buffer(o.p, o.n) {}
  Buffer &operator=(const Buffer &o) {
    if (this != &o) {
      Buffer t(o);
      std::swap(p, t.p);
      std::swap(n, t.n);
    }
    return *this;
  }
  ~Buffer() { delete[] p; }
};
} // namespace my

// Copied back (deep), and copied in (its bytes).
template <> struct sdrad::boundary_traits<my::Buffer> {};
template <> struct sdrad::boundary_in<my::Buffer> {
  static const void *data(const my::Buffer &b) { return b.p; }
  static std::size_t size(const my::Buffer &b) { return b.n; }
  static void make(void *slot, const void *p, std::size_t n) {
    ::new (slot) my::Buffer(static_cast<const unsigned char *>(p), n);
  }
};

/// An aggregate of owning types: out only (no serial form for inout).
struct Record {
  std::string name;
  std::vector<int> xs;
  std::optional<std::string> note;
};

static void crash() { *(volatile int *)nullptr = 1; }

SDRAD_ISOLATE("own", confidentiality, fallback_value(-1))
int make_name(SDRAD_OUT(1) std::string &out, int n, int fault) {
  out.assign((std::size_t)n, 'x');
  if (n)
    out[0] = 'A';
  if (fault)
    crash();
  return n;
}

SDRAD_ISOLATE("own", confidentiality, fallback_value(-1))
int split(SDRAD_IN(1) const std::string &s,
          SDRAD_OUT(1) std::vector<std::string> *parts, int fault) {
  if (!parts)
    return -2;
  std::string cur;
  for (char c : s) {
    if (c == ',') {
      parts->push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  parts->push_back(cur);
  if (fault)
    crash();
  return (int)parts->size();
}

// ok_if(== 0): the result is copied back only on success.
SDRAD_ISOLATE("own", confidentiality, fallback_value(-1), ok_if(== 0))
int parse_num(SDRAD_IN(1) const std::string &s,
              SDRAD_OUT(1, if_ok) std::optional<std::string> &digits) {
  digits = std::string("partial:") + s; // written even when failing
  for (char c : s)
    if (c < '0' || c > '9')
      return 1;
  digits = s;
  return 0;
}

SDRAD_ISOLATE("own", confidentiality, fallback_value(-1))
int append(SDRAD_INOUT(1) std::vector<std::string> &v, int fault) {
  for (std::string &x : v)
    x += "!";
  v.push_back(std::string(40, 'n'));
  if (fault)
    crash();
  return (int)v.size();
}

SDRAD_ISOLATE("own", confidentiality, fallback_value(-1))
int bump(SDRAD_INOUT(1) std::pair<std::string, std::optional<std::vector<int>>> *p) {
  if (!p)
    return -2;
  p->first = "<" + p->first + ">";
  if (p->second)
    for (int &x : *p->second)
      x *= 10;
  else
    p->second = std::vector<int>{7};
  return 0;
}

SDRAD_ISOLATE("own", confidentiality, fallback_value(-1))
int tup(SDRAD_INOUT(1) std::tuple<int, std::string, std::vector<double>> &t) {
  std::get<0>(t) += 1;
  std::get<1>(t) += std::get<1>(t);
  std::get<2>(t).push_back(0.5);
  return 0;
}

SDRAD_ISOLATE("own", confidentiality, fallback_value(-1))
int fill(SDRAD_OUT(1) Record &r, int fault) {
  r.name = std::string(100, 'r');
  r.xs = {1, 2, 3};
  r.note = "note";
  if (fault)
    __builtin_trap();
  return 0;
}

SDRAD_ISOLATE("own", confidentiality, fallback_value(-1))
int invert(SDRAD_INOUT(1) my::Buffer &b, int fault) {
  for (std::size_t i = 0; i < b.n; ++i)
    b.p[i] = (unsigned char)~b.p[i];
  if (fault)
    crash();
  return (int)b.n;
}

// By value: the domain gets its own copies (it could not read the caller's).
SDRAD_ISOLATE("own", confidentiality, fallback_value(-1))
long weigh(std::string s, std::vector<std::string> v, int fault) {
  long n = (long)s.size();
  for (const std::string &x : v)
    n = n * 10 + (long)x.size();
  if (fault)
    crash();
  return n;
}

// An owning result and an owning out parameter together (one drop
// destroys both in the domain).
SDRAD_ISOLATE("own", confidentiality)
std::string label(SDRAD_OUT(1) std::vector<int> &codes, int n) {
  for (int i = 0; i < n; ++i)
    codes.push_back(i * i);
  return std::string((std::size_t)n * 10, 'L');
}

// A template: the parameter's type is dependent where SDRAD_OUT is
// written; each instantiation gets the copy its type needs.
template <class T>
SDRAD_ISOLATE("own", confidentiality, fallback_value(-1))
int produce(SDRAD_OUT(1) T &out, const T *model, int fault) {
  (void)model;
  if constexpr (std::is_same_v<T, std::string>)
    out = std::string(64, 't');
  else
    out = 17;
  if (fault)
    crash();
  return 0;
}

static int64_t own_domain() { return sdrad_domain_by_name("own", 1); }

static void check_outside(const void *p, const char *what) {
  CHECK(!sdrad_owns(own_domain(), p), "%s points into the domain", what);
}

static void expect_string(const std::string &s, const char *bytes, std::size_t n,
                          const char *what) {
  CHECK(s.size() == n && std::memcmp(s.data(), bytes, n) == 0,
        "%s is '%s' (%zu bytes), expected %zu bytes", what, s.c_str(), s.size(), n);
}

int main() {
  // out std::string&: short and long; a fault leaves the caller's as it was.
  std::string small = "keep", big;
  CHECK_EQ(make_name(small, 3, 0), 3);
  expect_string(small, "Axx", 3, "small");
  CHECK_EQ(make_name(big, 300, 0), 300);
  CHECK(big.size() == 300 && big[0] == 'A' && big[299] == 'x', "big wrong");
  check_outside(big.data(), "big.data()");
  std::string before = big;
  CHECK_EQ(make_name(big, 50, 1), -1);
  CHECK(take_fault() != 0, "no fault recorded");
  CHECK(big == before, "a faulting call changed the out string");

  // out std::vector<std::string>*: null stays null.
  std::vector<std::string> parts{"old"};
  CHECK_EQ(split("a,bb,,a-much-longer-part-than-any-small-string", &parts, 0), 4);
  CHECK(parts.size() == 4 && parts[0] == "a" && parts[1] == "bb" && parts[2].empty() &&
            parts[3] == "a-much-longer-part-than-any-small-string",
        "parts wrong");
  check_outside(parts.data(), "parts.data()");
  check_outside(parts[3].data(), "parts[3].data()");
  CHECK_EQ(split("x,y", nullptr, 0), -2);
  std::vector<std::string> parts_before = parts;
  CHECK_EQ(split("p,q", &parts, 1), -1);
  take_fault();
  CHECK(parts == parts_before, "a faulting call changed the out vector");

  // out(1, if_ok): copied back only when ok_if holds.
  std::optional<std::string> digits;
  CHECK_EQ(parse_num("12a", digits), 1);
  CHECK(!digits.has_value(), "failed parse copied back '%s'", digits->c_str());
  CHECK_EQ(parse_num("4711", digits), 0);
  CHECK(digits && *digits == "4711", "digits wrong");

  // inout std::vector<std::string>&: in, changed, back.
  std::vector<std::string> v{"a", std::string(30, 'b')};
  CHECK_EQ(append(v, 0), 3);
  CHECK(v.size() == 3 && v[0] == "a!" && v[1] == std::string(30, 'b') + "!" &&
            v[2] == std::string(40, 'n'),
        "inout vector wrong");
  check_outside(v[2].data(), "v[2].data()");
  std::vector<std::string> v_before = v;
  CHECK_EQ(append(v, 1), -1);
  take_fault();
  CHECK(v == v_before, "a faulting call changed the inout vector");

  // inout pair<string, optional<vector<int>>>*, both states of the optional.
  std::pair<std::string, std::optional<std::vector<int>>> pr{"k", std::nullopt};
  CHECK_EQ(bump(&pr), 0);
  CHECK(pr.first == "<k>" && pr.second && *pr.second == std::vector<int>{7}, "pair 1");
  CHECK_EQ(bump(&pr), 0);
  CHECK(pr.first == "<<k>>" && *pr.second == std::vector<int>{70}, "pair 2");
  CHECK_EQ(bump(nullptr), -2);

  // inout tuple.
  std::tuple<int, std::string, std::vector<double>> t{41, "ab", {1.5}};
  CHECK_EQ(tup(t), 0);
  CHECK(std::get<0>(t) == 42 && std::get<1>(t) == "abab" &&
            std::get<2>(t) == std::vector<double>({1.5, 0.5}),
        "tuple wrong");

  // out aggregate of owning types.
  Record r{"before", {9}, std::nullopt};
  CHECK_EQ(fill(r, 1), -1);
  take_fault();
  CHECK(r.name == "before" && r.xs == std::vector<int>{9} && !r.note, "faulted fill changed r");
  CHECK_EQ(fill(r, 0), 0);
  CHECK(r.name == std::string(100, 'r') && r.xs == std::vector<int>({1, 2, 3}) && r.note &&
            *r.note == "note",
        "record wrong");
  check_outside(r.name.data(), "r.name.data()");

  // inout user type through boundary_traits + boundary_in.
  const unsigned char raw[5] = {0, 1, 2, 0x80, 0xff};
  my::Buffer b(raw, 5);
  CHECK_EQ(invert(b, 0), 5);
  for (int i = 0; i < 5; ++i)
    CHECK(b.p[i] == (unsigned char)~raw[i], "buffer byte %d", i);
  check_outside(b.p, "b.p");
  CHECK_EQ(invert(b, 1), -1);
  take_fault();
  for (int i = 0; i < 5; ++i)
    CHECK(b.p[i] == (unsigned char)~raw[i], "faulted invert changed byte %d", i);

  // By value.
  CHECK_EQ(weigh(std::string(12, 's'), {"a", "bcd", std::string(25, 'z')}, 0),
           ((12 * 10 + 1) * 10 + 3) * 10 + 25);
  CHECK_EQ(weigh("", {}, 0), 0);
  CHECK_EQ(weigh("x", {"y"}, 1), -1);
  take_fault();

  // Result and out parameter together.
  std::vector<int> codes{-1};
  std::string lab = label(codes, 5);
  CHECK(lab == std::string(50, 'L') && codes == std::vector<int>({0, 1, 4, 9, 16}),
        "label wrong");
  check_outside(lab.data(), "lab.data()");
  check_outside(codes.data(), "codes.data()");

  // Templates.
  std::string ts = "t0";
  int ti = 0;
  CHECK_EQ(produce(ts, (const std::string *)nullptr, 0), 0);
  CHECK(ts == std::string(64, 't'), "template string wrong");
  check_outside(ts.data(), "ts.data()");
  CHECK_EQ(produce(ti, (const int *)nullptr, 0), 0);
  CHECK_EQ(ti, 17);
  CHECK_EQ(produce(ts, (const std::string *)nullptr, 1), -1);
  take_fault();
  CHECK(ts == std::string(64, 't'), "faulted template call changed ts");

  // Later calls and faults never change earlier results.
  for (int i = 0; i < 40; ++i) {
    std::string s;
    make_name(s, 200 + i, i % 2);
    std::vector<std::string> w{"q"};
    append(w, i % 3 == 0);
  }
  take_fault();
  CHECK(big == before && small == "Axx", "strings changed by later calls");
  CHECK(parts == parts_before && v == v_before, "vectors changed by later calls");
  CHECK(r.name == std::string(100, 'r') && *r.note == "note", "record changed");
  CHECK(digits && *digits == "4711" && pr.first == "<<k>>", "optional/pair changed");
  puts("owning_params: ok");
  return 0;
}
