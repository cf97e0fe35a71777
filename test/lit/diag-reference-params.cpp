// in/out/inout/shared on reference parameters: a reference is one object
// (count 1); const references cannot be out; string needs a pointer; an
// object that is not trivially copyable cannot be byte-copied (pointers and
// references alike) unless it has sdrad::boundary_in (a deep copy, const
// references only).
// RUN: %clangxx_sdrad -std=c++17 -fsyntax-only -Xclang -verify %s
#include <sdrad/isolate.h>
#include <map>
#include <string>

struct P { int x, y; };

SDRAD_ISOLATE() int ok1(SDRAD_IN(1) const P &p, SDRAD_OUT(1) P &q, SDRAD_INOUT(1) int &r, SDRAD_SHARED const std::string &s);

SDRAD_ISOLATE() int e1(SDRAD_IN(2) const P &p); // expected-error {{a reference parameter is one object: the count of 'sdrad_in' must be 1, not '2'}}
SDRAD_ISOLATE() int e2(SDRAD_OUT(1) const P &p); // expected-error {{'out' parameter 'p' points to const: the domain cannot write results to it; use 'in'}}
SDRAD_ISOLATE() int e3(SDRAD_STRING const char &c); // expected-error {{'sdrad_string' applies only to pointer parameters, not to 'const char &'}}
SDRAD_ISOLATE() int ok2(SDRAD_IN(1) const std::string &s); // deep copy (sdrad::boundary_in)
SDRAD_ISOLATE() int e4(SDRAD_IN(1) const std::map<int, int> &m); // expected-error {{'std::map<int, int>' cannot be deep-copied into the domain: it has no sdrad::boundary_in specialisation}}
SDRAD_ISOLATE() int e7(SDRAD_IN(1) std::string &s); // expected-error {{a deep-copied in parameter must be a const reference ('const std::string &'): the domain's changes would be lost}}
SDRAD_ISOLATE() int e5(SDRAD_OUT(n) std::string *s, int n); // expected-error {{'std::string' is not trivially copyable}}
SDRAD_ISOLATE() int w1(const P &p); // expected-warning {{reference parameter 'p' of isolated function 'w1' has no sdrad annotation; it is passed as is (shared); annotate it in(1), out(1), inout(1) or shared}}
SDRAD_ISOLATE("c", confidentiality) int e6(const std::string &s); // expected-error {{reference parameter 's' of isolated function 'e6' has no sdrad annotation; it is passed as is (shared) but the confidentiality policy forbids the domain to read it}}
