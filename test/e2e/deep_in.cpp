// In-parameters deep-copied into the domain: SDRAD_IN(1) on const
// std::string&, std::string_view&, std::vector<T>& (and std::span<const T>&
// in C++20): the domain gets its own object built from a copy of the
// bytes, under confidentiality too (it could not read the caller's).
// Faults in between leave the caller's objects as they were.
#include "e2e.h"

#include <string>
#include <string_view>
#include <vector>
#if __cplusplus >= 202002L
#include <span>
#endif

SDRAD_ISOLATE("deep", confidentiality, fallback_value(-1))
long count_char(SDRAD_IN(1) const std::string &s, char c, int fault) {
  long n = 0;
  for (char x : s)
    n += x == c;
  std::string local = s + s; // allocations in the domain
  if (fault)
    *(volatile int *)nullptr = 1;
  return n * 1000 + (long)local.size();
}

SDRAD_ISOLATE("deep", confidentiality, fallback_value(-1))
long view_len(SDRAD_IN(1) const std::string_view &v) {
  return (long)v.size() * 100 + (v.empty() ? 0 : v[0]);
}

SDRAD_ISOLATE("deep", confidentiality, fallback_value(-1))
long sum(SDRAD_IN(1) const std::vector<int> &v, int fault) {
  long s = 0;
  for (int x : v)
    s += x;
  if (fault)
    __builtin_trap();
  return s;
}

#if __cplusplus >= 202002L
SDRAD_ISOLATE("deep", confidentiality, fallback_value(-1))
long span_sum(SDRAD_IN(1) const std::span<const short> &v) {
  long s = 0;
  for (short x : v)
    s += x;
  return s;
}
#endif

// By value: a view is a pointer and a length in registers; the domain gets
// a view of its own copy (under confidentiality it could not read the
// caller's bytes: shared, these calls would fault).
SDRAD_ISOLATE("deep", confidentiality, fallback_value(-1))
long view_by_value(std::string_view v, int k) {
  long h = 0;
  for (char c : v)
    h = h * 31 + c;
  return h + k;
}

#if __cplusplus >= 202002L
SDRAD_ISOLATE("deep", confidentiality, fallback_value(-1))
long span_by_value(std::span<const int> v, int fault) {
  long s = 0;
  for (int x : v)
    s = s * 7 + x;
  if (fault)
    __builtin_trap();
  return s;
}

SDRAD_ISOLATE("deep", confidentiality, fallback_value(-1))
long fixed_span_by_value(std::span<const int, 3> v) { return v[0] * 100 + v[1] * 10 + v[2]; }

// Elements that are trivially copyable structs of plain fields (nested too)
// are copied as their bytes: requirement "std::span<const T>, T trivially
// copyable".
struct Point {
  int x, y;
};
struct Segment {
  Point a, b;
  unsigned char colour;
};
SDRAD_ISOLATE("deep", confidentiality, fallback_value(-1))
long points_sum(SDRAD_IN(1) const std::span<const Point> &v) {
  long s = 0;
  for (const Point &p : v)
    s += p.x * 10 + p.y;
  return s;
}
SDRAD_ISOLATE("deep", confidentiality, fallback_value(-1))
long segments_len(std::span<const Segment> v, int fault) {
  long s = 0;
  for (const Segment &g : v)
    s += (g.b.x - g.a.x) + (g.b.y - g.a.y) + g.colour;
  if (fault)
    __builtin_trap();
  return s;
}
#endif

static long hash(std::string_view v, int k) {
  long h = 0;
  for (char c : v)
    h = h * 31 + c;
  return h + k;
}

int main() {
  std::string big(300, 'a');
  big[10] = 'b';
  CHECK_EQ(count_char(big, 'a', 0), 299 * 1000 + 600);
  CHECK_EQ(count_char("xyx", 'x', 0), 2 * 1000 + 6);
  CHECK_EQ(count_char("", 'x', 0), 0);
  CHECK_EQ(count_char(big, 'a', 1), -1);
  CHECK(take_fault() != 0, "the fault was not recorded");
  CHECK(big.size() == 300 && big[10] == 'b' && big[11] == 'a', "big changed");
  CHECK_EQ(count_char(big, 'b', 0), 1000 + 600);

  std::string_view v = "hello";
  CHECK_EQ(view_len(v), 500 + 'h');
  CHECK_EQ(view_len(std::string_view()), 0);

  std::vector<int> xs{1, 2, 3, 4, 5};
  CHECK_EQ(sum(xs, 0), 15);
  CHECK_EQ(sum(xs, 1), -1);
  take_fault();
  CHECK_EQ(sum(std::vector<int>(1000, 2), 0), 2000);
  CHECK_EQ(sum({}, 0), 0);
#if __cplusplus >= 202002L
  short arr[4] = {1, 2, 3, -4};
  CHECK_EQ(span_sum(std::span<const short>(arr)), 2);
#endif
  std::string text(1000, 'q');
  text[500] = 'Q';
  CHECK_EQ(view_by_value(text, 3), hash(text, 3));
  CHECK_EQ(view_by_value(std::string_view(text).substr(490, 20), 0),
           hash(std::string_view(text).substr(490, 20), 0));
  CHECK_EQ(view_by_value({}, 5), 5);
#if __cplusplus >= 202002L
  std::vector<int> ys{3, 1, 4, 1, 5, 9, 2, 6};
  long expect = 0;
  for (int y : ys)
    expect = expect * 7 + y;
  CHECK_EQ(span_by_value(ys, 0), expect);
  CHECK_EQ(span_by_value(ys, 1), -1);
  take_fault();
  CHECK_EQ(span_by_value({}, 0), 0);
  int three[3] = {1, 2, 3};
  CHECK_EQ(fixed_span_by_value(three), 123);
  CHECK(ys[0] == 3 && ys[7] == 6, "the caller's vector changed");
  Point pts[3] = {{1, 2}, {3, 4}, {5, 6}};
  CHECK_EQ(points_sum(std::span<const Point>(pts)), 12 + 34 + 56);
  std::vector<Segment> segs{{{0, 0}, {3, 4}, 1}, {{1, 1}, {2, 5}, 2}};
  CHECK_EQ(segments_len(segs, 0), 8 + 7);
  CHECK_EQ(segments_len(segs, 1), -1);
  take_fault();
  CHECK_EQ(segments_len(segs, 0), 8 + 7);
  CHECK(segs[1].b.y == 5 && pts[2].x == 5, "the caller's elements changed");
#endif
  return 0;
}
