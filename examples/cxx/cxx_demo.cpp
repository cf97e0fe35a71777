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
// top_words() takes the text as a std::string_view by value (deep-copied
// into the domain, like every by-value view or std::string), returns its
// result by value - a std::vector of std::pair<std::string, int>,
// deep-copied into the caller's memory - and uses `rethrow`: the same
// unknown key surfaces in the caller's try/catch as sdrad::domain_fault
// with the original what().
//
// sentences() and normalise() run under the confidentiality policy (the
// domain can neither read nor write the caller's memory) and hand back
// owning types through parameters: SDRAD_OUT(1) std::vector<std::string>&
// (the domain fills its own vector; the caller's is replaced by a deep copy
// only if the call succeeds) and SDRAD_INOUT(1) (deep-copied in, changed,
// deep-copied back).  filter_words() takes an aggregate of owning types,
// struct Query { std::string text; std::vector<std::string> stop_words;
// std::optional<size_t> limit; }, as SDRAD_IN(1) const Query&: deep-copied
// into the confidentiality domain field by field.  Exits non-zero on any
// mismatch.
#include <sdrad/isolate.h>
#include <sdrad/sdrad.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
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
Ranking top_words(std::string_view input, size_t n) {
  std::map<std::string, int> counts;
  std::map<std::string, std::string> config{{"lang", "en"}};
  std::istringstream in{std::string(input)};
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

// The sentences of the text ('.'-separated, trimmed); -1 after a fault.
// A sentence "!crash" hits a bug (a null write): the domain is rewound and
// the caller's vector stays as it was.
SDRAD_ISOLATE("text-secret", confidentiality, fallback_value(-1))
int sentences(std::string_view input, SDRAD_OUT(1) std::vector<std::string> &out) {
  size_t start = 0;
  while (start < input.size()) {
    size_t end = input.find('.', start);
    if (end == std::string_view::npos)
      end = input.size();
    std::string_view s = input.substr(start, end - start);
    while (!s.empty() && s.front() == ' ')
      s.remove_prefix(1);
    if (s == "!crash")
      *static_cast<volatile int *>(nullptr) = 1; // the bug
    if (!s.empty())
      out.emplace_back(s);
    start = end + 1;
  }
  return static_cast<int>(out.size());
}

// Lower-cases the words and removes repeats, in place; -1 after a fault.
SDRAD_ISOLATE("text-secret", confidentiality, fallback_value(-1))
int normalise(SDRAD_INOUT(1) std::vector<std::string> &words) {
  std::vector<std::string> seen;
  for (std::string w : words) {
    std::transform(w.begin(), w.end(), w.begin(),
                   [](unsigned char c) { return std::tolower(c); });
    if (std::find(seen.begin(), seen.end(), w) == seen.end())
      seen.push_back(w);
  }
  words = seen;
  return static_cast<int>(words.size());
}

// A request: an aggregate of owning types, deep-copied in as a whole.
struct Query {
  std::string text;
  std::vector<std::string> stop_words;
  std::optional<size_t> limit;
};

// The words of q.text that are not stop words, at most q.limit of them;
// -1 after a fault.
SDRAD_ISOLATE("text-secret", confidentiality, fallback_value(-1))
int filter_words(SDRAD_IN(1) const Query &q,
                 SDRAD_OUT(1) std::vector<std::string> &out) {
  std::istringstream in{q.text};
  std::string word;
  while (in >> word && (!q.limit || out.size() < *q.limit))
    if (std::find(q.stop_words.begin(), q.stop_words.end(), word) ==
        q.stop_words.end())
      out.push_back(word);
  return static_cast<int>(out.size());
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

  std::vector<std::string> parts;
  std::string doc = "First sentence. Second one is long enough for the heap. Third";
  if (text::sentences(doc, parts) != 3 || parts[0] != "First sentence" ||
      parts[1] != "Second one is long enough for the heap" || parts[2] != "Third")
    fail("sentences returned the wrong parts");
  int64_t secret = sdrad_domain_by_name("text-secret", 1);
  for (const std::string &p : parts)
    if (sdrad_owns(secret, p.data()))
      fail("an out string points into the domain");
  std::printf("sentences: %zu parts, copied out of a confidentiality domain\n",
              parts.size());
  std::vector<std::string> before = parts;
  if (text::sentences("Fine. !crash. Never", parts) != -1 || parts != before)
    fail("a faulting call changed the caller's vector");
  sdrad_clear_fault();
  std::printf("sentences: a fault inside left the caller's vector unchanged\n");

  std::vector<std::string> words{"Apple", "pear", "APPLE", "Fig", "pear"};
  if (text::normalise(words) != 3 ||
      words != std::vector<std::string>{"apple", "pear", "fig"})
    fail("normalise: wrong words");
  std::printf("normalise: %s %s %s (inout: copied in, changed, copied back)\n",
              words[0].c_str(), words[1].c_str(), words[2].c_str());
  text::Query q{"the quick brown fox jumps over the lazy dog",
                {"the", "over"}, 4};
  std::vector<std::string> kept;
  if (text::filter_words(q, kept) != 4 ||
      kept != std::vector<std::string>{"quick", "brown", "fox", "jumps"})
    fail("filter_words: wrong words");
  std::printf("filter_words: %s %s %s %s (a struct of string, vector and "
              "optional, deep-copied in)\n",
              kept[0].c_str(), kept[1].c_str(), kept[2].c_str(),
              kept[3].c_str());
  if (parts != before)
    fail("later calls changed earlier results");
  return 0;
}
