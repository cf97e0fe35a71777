// Aggregates of owning types (structs holding std::string, std::vector,
// std::optional, nested structs, and std::pair/std::tuple of them) as in,
// inout and by-value parameters: deep-copied into a confidentiality domain
// (which could not read the caller's memory: a pointer into it would
// fault), and for inout deep-copied back after success only, honouring
// if_ok.  By-value views not passed in registers: a string_view as the 7th
// argument and a struct holding a string_view (both passed in memory,
// byval).  Faults in between never change the caller's objects or results
// it got earlier.
#include "e2e.h"

#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

struct Point {
  int x, y;
};
struct Record {
  std::string name;
  std::vector<int> values;
  std::optional<std::string> note;
  Point at;
};
struct Doc {
  std::string title;
  std::vector<Record> records;
  std::pair<std::string, std::tuple<int, std::string>> meta;
};
struct Named { // trivially copyable, 24 bytes: passed in memory (byval)
  std::string_view name;
  long n;
};

static bool operator==(const Record &a, const Record &b) {
  return a.name == b.name && a.values == b.values && a.note == b.note &&
         a.at.x == b.at.x && a.at.y == b.at.y;
}
static bool operator==(const Doc &a, const Doc &b) {
  return a.title == b.title && a.records == b.records && a.meta == b.meta;
}

static long mix(long h, std::string_view s) {
  for (char c : s)
    h = h * 31 + c;
  return h * 7 + (long)s.size();
}
static long hashRecord(long h, const Record &r) {
  h = mix(h, r.name);
  for (int v : r.values)
    h = h * 5 + v;
  h = r.note ? mix(h, *r.note) : h * 3 + 1;
  return h * 11 + r.at.x * 13 + r.at.y;
}
static long hashDoc(const Doc &d) {
  long h = mix(1, d.title);
  for (const Record &r : d.records)
    h = hashRecord(h, r);
  h = mix(h, d.meta.first);
  return mix(h * 17 + std::get<0>(d.meta.second), std::get<1>(d.meta.second));
}

SDRAD_ISOLATE("agg", confidentiality, fallback_value(-1))
long summarize(SDRAD_IN(1) const Doc &d, int fault) {
  long h = hashDoc(d);
  if (fault)
    __builtin_trap();
  return h;
}

// if_ok: copied back only when edit returns 0.
SDRAD_ISOLATE("agg", confidentiality, fallback_value(-1), ok_if(== 0))
int edit(SDRAD_INOUT(1, if_ok) Doc &d, int fault, int refuse) {
  d.title += "!";
  d.records.push_back({"added", {7, 8, 9}, std::nullopt, {-1, -2}});
  d.records[0].note = "edited " + d.records[0].name;
  d.records[0].values.assign(100, 4);
  d.meta.first = std::string(200, 'm');
  std::get<0>(d.meta.second) += 1;
  if (fault)
    *(volatile int *)nullptr = 1;
  return refuse ? 1 : 0;
}

SDRAD_ISOLATE("agg", confidentiality, fallback_value(-1))
long by_value(Record r, std::pair<Record, std::string> p,
              std::tuple<std::string, Point> t) {
  r.values.push_back(1); // the domain's own copy
  return hashRecord(hashRecord(mix(0, p.second), p.first), r) +
         mix(std::get<1>(t).x, std::get<0>(t));
}

SDRAD_ISOLATE("agg", confidentiality, fallback_value(-1))
long seventh(int a, int b, int c, int d, int e, int f, std::string_view v) {
  return mix(a + b + c + d + e + f, v);
}

// An owning result (sret: the first integer register) and a view that then
// no longer fits in registers (byval).
SDRAD_ISOLATE("agg", confidentiality)
std::string tagged(int a, int b, int c, int d, std::string_view v) {
  return std::to_string(a + b + c + d) + ":" + std::string(v);
}

SDRAD_ISOLATE("agg", confidentiality, fallback_value(-1))
long named(Named x, int fault) {
  if (fault)
    __builtin_trap();
  return mix(x.n, x.name);
}

// Elements that are classes go through the serial form: a vector of views
// gets views of the domain's copy (a byte copy would point at the caller's
// memory, which this confidentiality domain cannot read).
SDRAD_ISOLATE("agg", confidentiality, fallback_value(-1))
long views(SDRAD_IN(1) const std::vector<std::string_view> &v,
           SDRAD_IN(1) const std::vector<Point> &pts) {
  long h = 0;
  for (std::string_view s : v)
    h = mix(h, s);
  for (const Point &p : pts)
    h = h * 3 + p.x * 5 + p.y;
  return h;
}

static Doc sample() {
  Doc d;
  d.title = "a title long enough not to be a short string";
  d.records.push_back({"first", {1, 2, 3}, std::string("note"), {3, 4}});
  d.records.push_back({"", {}, std::nullopt, {0, 0}});
  d.records.push_back({std::string(300, 'r'), std::vector<int>(50, 9),
                       std::string(), {5, 6}});
  d.meta = {"meta", {42, std::string(40, 't')}};
  return d;
}

int main() {
  Doc d = sample();
  const Doc orig = d;
  CHECK_EQ(summarize(d, 0), hashDoc(orig));
  CHECK_EQ(summarize(Doc{}, 0), hashDoc(Doc{}));
  CHECK_EQ(summarize(d, 1), -1);
  CHECK(take_fault() != 0, "the fault was not recorded");
  CHECK(d == orig, "a faulting in call changed the caller's Doc");

  // inout: a fault and a refused result leave the caller's object as it was.
  CHECK_EQ(edit(d, 1, 0), -1);
  CHECK(take_fault() != 0, "the fault was not recorded");
  CHECK(d == orig, "a faulting inout call changed the caller's Doc");
  CHECK_EQ(edit(d, 0, 1), 1);
  CHECK(d == orig, "a refused (not ok_if) inout call changed the caller's Doc");
  CHECK_EQ(edit(d, 0, 0), 0);
  Doc expect = orig;
  expect.title += "!";
  expect.records.push_back({"added", {7, 8, 9}, std::nullopt, {-1, -2}});
  expect.records[0].note = "edited first";
  expect.records[0].values.assign(100, 4);
  expect.meta.first = std::string(200, 'm');
  std::get<0>(expect.meta.second) = 43;
  CHECK(d == expect, "the edited Doc was not copied back exactly");
  // The copy is the caller's: later faults in the domain do not change it.
  const Doc edited = d;
  for (int i = 0; i < 3; ++i) {
    CHECK_EQ(summarize(orig, 1), -1);
    take_fault();
    CHECK_EQ(edit(d, 1, 0), -1);
    take_fault();
  }
  CHECK(d == edited, "a later fault changed an earlier result");
  CHECK_EQ(summarize(d, 0), hashDoc(edited));

  Record r{"rec", {1, 2}, std::string("n"), {1, 2}};
  std::pair<Record, std::string> p{orig.records[2], "second"};
  std::tuple<std::string, Point> t{std::string(100, 'x'), {9, 9}};
  Record r1 = r;
  r1.values.push_back(1);
  CHECK_EQ(by_value(r, p, t),
           hashRecord(hashRecord(mix(0, p.second), p.first), r1) +
               mix(9, std::get<0>(t)));
  CHECK(r.values.size() == 2, "the caller's by-value Record changed");

  std::string w1(100, 'w'), w2 = "two";
  std::vector<std::string_view> vs{w1, w2, {}, std::string_view(w1).substr(5, 7)};
  std::vector<Point> pts{{1, 2}, {3, 4}, {-5, 6}};
  long vh = 0;
  for (std::string_view x : vs)
    vh = mix(vh, x);
  for (const Point &q : pts)
    vh = vh * 3 + q.x * 5 + q.y;
  CHECK_EQ(views(vs, pts), vh);

  std::string text(500, 'q');
  text[250] = 'Q';
  CHECK_EQ(seventh(1, 2, 3, 4, 5, 6, text), mix(21, text));
  CHECK_EQ(seventh(1, 2, 3, 4, 5, 6, {}), mix(21, {}));
  CHECK_EQ(named({std::string_view(text).substr(200, 100), 5}, 0),
           mix(5, std::string_view(text).substr(200, 100)));
  CHECK_EQ(named({text, 5}, 1), -1);
  take_fault();
  CHECK_EQ(named({"", 3}, 0), mix(3, ""));
  std::string tag = tagged(1, 2, 3, 4, std::string_view(text).substr(240, 20));
  CHECK(tag == "10:" + text.substr(240, 20), "tagged: '%s'", tag.c_str());
  return 0;
}
