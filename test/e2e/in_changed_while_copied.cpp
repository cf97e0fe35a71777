// An in parameter that changes between the thunk's size() and pack()
// (another root thread modifying it): pack() never writes past the bytes
// that were sized (the copy's canary stays intact: no canary fault), the
// call fails without entering the domain, stderr says why, and the domain
// stays usable.
//   1. Deterministic: a user type (sdrad::boundary_in) whose size grows
//      from 16 to 4096 bytes between the two calls, as if another thread
//      had appended to it.  Before the fix, pack() copied 4096 bytes into
//      the 16-byte copy and the call ended in a canary fault.
//   2. A real race: a root thread resizes a std::string (capacity
//      reserved, so its buffer stays put) between 5 and 3000 bytes while
//      this thread passes it to an isolated call, many times.
#include "e2e.h"

#include <atomic>
#include <chrono>
#include <cstring>
#include <string>
#include <thread>

namespace demo {
struct Growing {
  mutable int sized = 0; // how often boundary_in::size asked
  std::string bytes;
};
} // namespace demo

template <> struct sdrad::boundary_in<demo::Growing> {
  static const void *data(const demo::Growing &g) { return g.bytes.data(); }
  // 16 bytes the first time, all of them the second time.
  static std::size_t size(const demo::Growing &g) {
    return ++g.sized == 1 ? 16 : g.bytes.size();
  }
  static void make(void *slot, const void *p, std::size_t n) {
    ::new (slot) demo::Growing{0, std::string(static_cast<const char *>(p), n)};
  }
};

SDRAD_ISOLATE("changing", confidentiality, fallback_value(-1))
long measure(SDRAD_IN(1) const demo::Growing &g) { return (long)g.bytes.size(); }

SDRAD_ISOLATE("changing", confidentiality, fallback_value(-1))
long length(SDRAD_IN(1) const std::string &s) { return (long)s.size(); }

/// Runs f with stderr going to a temporary file; returns what it wrote.
template <class F> static std::string capture_stderr(F f) {
  fflush(stderr);
  FILE *tmp = tmpfile();
  CHECK(tmp, "tmpfile failed");
  int saved = dup(2);
  dup2(fileno(tmp), 2);
  f();
  fflush(stderr);
  dup2(saved, 2);
  close(saved);
  std::string out;
  rewind(tmp);
  char buf[512];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, tmp)) > 0)
    out.append(buf, n);
  fclose(tmp);
  return out;
}

int main() {
  // 1. Grows between size() and pack().
  demo::Growing g{0, std::string(4096, 'g')};
  long r = 0;
  std::string said = capture_stderr([&] { r = measure(g); });
  int kind = take_fault();
  CHECK(kind == 0, "fault kind %d (%d: canary): written past the copy", kind,
        SDRAD_FAULT_CANARY);
  CHECK_EQ(r, -1);
  CHECK(said.find("an in parameter of type 'demo::Growing' changed while it "
                  "was copied into the domain") != std::string::npos,
        "stderr said: %s", said.c_str());
  CHECK(g.bytes.size() == 4096, "the caller's object changed");
  // The domain is intact: a stable object crosses.
  demo::Growing small{0, "sixteen bytes..!"};
  CHECK_EQ(measure(small), 16);
  kind = take_fault();
  CHECK_EQ(kind, 0);

  // 2. Another thread resizes the string while it is copied.
  std::string s;
  s.reserve(4096);
  s.assign(5, 'a');
  std::atomic<bool> stop{false};
  std::thread writer([&] {
    for (unsigned i = 0; !stop.load(std::memory_order_relaxed); ++i) {
      if (i & 1)
        s.assign(3000, 'b');
      else
        s.assign(5, 'a');
    }
  });
  long seen5 = 0, seen3000 = 0, failed = 0;
  // At least 20000 calls, then until each outcome was seen or 3 s passed.
  auto start = std::chrono::steady_clock::now();
  auto done = [&](int i) {
    return i >= 20000 &&
           ((seen5 && seen3000 && failed) ||
            std::chrono::steady_clock::now() - start > std::chrono::seconds(3));
  };
  capture_stderr([&] {
    for (int i = 0; !done(i); ++i) {
      long n = length(s);
      int fault = take_fault();
      if (fault || (n != 5 && n != 3000 && n != -1)) {
        stop = true;
        writer.join();
        CHECK(false, "call %d: result %ld, fault %d", i, n, fault);
      }
      seen5 += n == 5;
      seen3000 += n == 3000;
      failed += n == -1;
    }
  });
  stop = true;
  writer.join();
  printf("in_changed_while_copied: OK (5: %ld, 3000: %ld, changed while "
         "copied: %ld calls)\n",
         seen5, seen3000, failed);
  CHECK_EQ(length(std::string(77, 'z')), 77);
  return 0;
}
