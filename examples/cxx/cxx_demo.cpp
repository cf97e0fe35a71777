// cxx_demo.cpp - C++ code running in an SDRaD domain.
//
// word_stats() tokenises untrusted text with std::string, counts words in a
// std::map, sorts them in a std::vector and writes a report into the
// caller's buffer (copied out only on success).  All of its allocations
// come from the domain heap.  A "!config" directive makes it look up a key
// with std::map::at(), which throws std::out_of_range for an unknown key:
// the exception escapes the domain, which is rewound and discarded, and the
// caller gets the fallback value.
//
// top_words() returns its result by value - a std::vector of
// std::pair<std::string, int>, deep-copied into the caller's memory - and
// uses `rethrow`: the same unknown key surfaces in the caller's try/catch as
// sdrad::domain_fault with the original what().  Exits non-zero on any
// mismatch.
#include <sdrad/isolate.h>
#include <sdrad/sdrad.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <sstream>
#include <string>
#include <vector>

namespace {

[[noreturn]] void fail(const std::string &msg) {
  std::fprintf(stderr, "FAIL: %s\n", msg.c_str());
  std::exit(1);
}

} // namespace

namespace text {

// Returns the number of distinct words, -1 after a fault.
SDRAD_ISOLATE("text", fallback_value(-1))
int word_stats(SDRAD_STRING const char *input, SDRAD_OUT(cap) char *report,
               size_t cap) {
  std::map<std::string, int> counts;
  std::map<std::string, std::string> config{{"lang", "en"}};
  std::istringstream in{std::string(input)};
  std::string word;
  while (in >> word) {
    if (word.rfind("!config=", 0) == 0) {
      word = config.at(word.substr(8)); // throws for an unknown key
      continue;
    }
    std::transform(word.begin(), word.end(), word.begin(),
                   [](unsigned char c) { return std::tolower(c); });
    ++counts[word];
  }
  std::vector<std::pair<std::string, int>> sorted(counts.begin(),
                                                  counts.end());
  std::sort(sorted.begin(), sorted.end(), [](const auto &a, const auto &b) {
    return a.second != b.second ? a.second > b.second : a.first < b.first;
  });
  std::string out;
  for (size_t i = 0; i < sorted.size() && i < 3; ++i)
    out += sorted[i].first + "=" + std::to_string(sorted[i].second) + " ";
  std::snprintf(report, cap, "%s", out.c_str());
  return static_cast<int>(counts.size());
}

using Ranking = std::vector<std::pair<std::string, int>>;

// The n most frequent words, by value; failures throw sdrad::domain_fault.
SDRAD_ISOLATE("text", rethrow)
Ranking top_words(SDRAD_SHARED const std::string &input, size_t n) {
  std::map<std::string, int> counts;
  std::map<std::string, std::string> config{{"lang", "en"}};
  std::istringstream in{input};
  std::string word;
  while (in >> word) {
    if (word.rfind("!config=", 0) == 0) {
      word = config.at(word.substr(8)); // throws for an unknown key
      continue;
    }
    ++counts[word];
  }
  Ranking sorted(counts.begin(), counts.end());
  std::sort(sorted.begin(), sorted.end(), [](const auto &a, const auto &b) {
    return a.second != b.second ? a.second > b.second : a.first < b.first;
  });
  if (sorted.size() > n)
    sorted.resize(n);
  return sorted;
}

} // namespace text

int main() {
  char report[128];
  int n = text::word_stats("the cat and the dog and THE bird", report,
                           sizeof report);
  if (n != 5 || std::string(report) != "the=3 and=2 bird=1 ")
    fail("word_stats: " + std::to_string(n) + " '" + report + "'");
  std::printf("word_stats: %d distinct words, top: %s\n", n, report);

  std::strcpy(report, "untouched");
  n = text::word_stats("a b !config=colour c", report, sizeof report);
  sdrad_fault f;
  if (n != -1 || !sdrad_last_fault(&f) || f.kind != SDRAD_FAULT_EXCEPTION)
    fail("the escaping exception was not turned into a fault");
  if (std::string(report) != "untouched")
    fail("the report buffer was written by a failed call");
  std::printf("std::out_of_range escaped the domain: fault '%s', result %d, "
              "report untouched\n",
              sdrad_fault_kind_name(f.kind), n);
  sdrad_clear_fault();

  for (int i = 0; i < 500; ++i) {
    std::string s = "x y " + std::to_string(i) + " y";
    if (text::word_stats(s.c_str(), report, sizeof report) != 3)
      fail("call " + std::to_string(i) + " after the fault");
  }
  std::printf("500 more calls after the fault: OK\n");

  text::Ranking top = text::top_words(
      "pear apple pear fig apple pear a-word-long-enough-for-the-heap", 2);
  if (top != text::Ranking{{"pear", 3}, {"apple", 2}})
    fail("top_words returned the wrong ranking");
  if (sdrad_owns(sdrad_domain_by_name("text", 0), top[0].first.data()) ||
      sdrad_owns(sdrad_domain_by_name("text", 0), top.data()))
    fail("the returned vector points into the domain");
  std::printf("top_words: %s=%d %s=%d (a deep copy in the caller's memory)\n",
              top[0].first.c_str(), top[0].second, top[1].first.c_str(),
              top[1].second);
  try {
    text::top_words("a !config=colour", 2);
    fail("no sdrad::domain_fault");
  } catch (const sdrad::domain_fault &e) {
    if (e.kind() != SDRAD_FAULT_EXCEPTION || e.domain() != "text" ||
        e.original_what().find("map::at") == std::string::npos)
      fail(std::string("domain_fault: ") + e.what());
    std::printf("rethrow: caught %s\n", e.what());
  }
  if (text::top_words("x y x", 1) != text::Ranking{{"x", 2}})
    fail("top_words after the exception");
  return 0;
}
