// Returned by value: a class with a user-declared copy or destructor and no
// sdrad::boundary_traits is an error naming the type; one that holds a
// pointer is a -Wsdrad-returned-pointer warning; std containers, aggregates
// of them and specialised types are accepted.
// RUN: %clangxx_sdrad -std=c++17 -fsyntax-only -Xclang -verify %s
#include <sdrad/isolate.h>
#include <map>
#include <string>
#include <string_view>
#include <vector>

struct Handle {
  char *p;
  Handle(const Handle &);
  ~Handle();
};
struct Holder { std::string s; Handle h; };
struct Msg { const char *text; int code; };
struct Buf {
  std::vector<char> bytes;
  Buf() = default;
  Buf(const Buf &) = default;
  ~Buf() {}
};
template <> struct sdrad::boundary_traits<Buf> {};
struct NoDefault {
  std::string s;
  NoDefault(int);
};

SDRAD_ISOLATE("a") Handle h1(int x) ; // expected-error {{isolated function 'h1' returns 'Handle' by value, which cannot cross the domain boundary: 'Handle' has a user-declared copy constructor or destructor and no sdrad::boundary_traits specialisation}}
SDRAD_ISOLATE("a") Holder h2(int x) ; // expected-error {{returns 'Holder' by value, which cannot cross the domain boundary: 'Handle' has a user-declared}}
SDRAD_ISOLATE("a") std::map<int, int> h3(int x) { return {}; } // expected-error {{returns 'std::map<int, int>' by value, which cannot cross the domain boundary}}
SDRAD_ISOLATE("a") Msg w1(int x) { return {}; } // expected-warning {{'w1' returns 'Msg', which holds a pointer ('Msg::text') that may point into the domain}}
SDRAD_ISOLATE("a") std::string_view w2(int x) { return {}; } // expected-warning {{'w2' returns 'std::string_view', which holds a pointer}}
SDRAD_ISOLATE("a") std::vector<const char *> w3(int x) { return {}; } // expected-warning {{'w3' returns 'std::vector<const char *>', which holds a pointer ('const char *' in 'std::vector<const char *>')}}
SDRAD_ISOLATE("a", shared) Msg ok0(int x) { return {}; }
SDRAD_ISOLATE("a") NoDefault nd(int x) { return NoDefault(x); } // expected-error {{returns 'NoDefault', which has no default constructor for the result of a failed call: give it a fallback(f)}}

SDRAD_ISOLATE("a") std::vector<std::vector<std::string>> ok1(int x) { return {}; }
SDRAD_ISOLATE("a") Buf ok2(int x) { return {}; }
struct Agg { std::string a; std::vector<int> b; int c[4]; };
SDRAD_ISOLATE("a") Agg ok3(int x) { return {}; }
