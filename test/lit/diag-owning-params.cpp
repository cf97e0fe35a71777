// Owning and pointer-holding types as parameters: every form that cannot
// cross exactly is an error that names the type and says what to do.
// RUN: %clangxx_sdrad -std=c++17 -fsyntax-only -ferror-limit=0 -Xclang -verify %s
#include <sdrad/isolate.h>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

struct Raw { char *p; int n; };
struct Agg { std::string a; std::vector<int> b; };
struct WithBase : Agg { int x; };
struct alignas(32) Wide { std::string s; };
struct alignas(32) WideView { std::string_view v; };
struct WithArray { std::string s; int a[4]; };
struct NoDefault { NoDefault(int); std::string s; };
struct NoAssign { std::string s; NoAssign &operator=(const NoAssign &) = delete; };

// By value.
SDRAD_ISOLATE() int v1(std::unique_ptr<int> p) { return 0; } // expected-error {{parameter 'p' of isolated function 'v1' has type 'std::unique_ptr<int>', which cannot be passed by value into a domain: it owns memory or a resource}}
SDRAD_ISOLATE() int v2(std::shared_ptr<int> p) { return 0; } // expected-error {{has type 'std::shared_ptr<int>', which cannot be passed by value into a domain}}
SDRAD_ISOLATE() int v3(std::function<int()> f) { return 0; } // expected-error {{has type 'std::function<int ()>', which cannot be passed by value into a domain}}
SDRAD_ISOLATE() int v4(std::map<int, int> m) { return 0; } // expected-error {{has type 'std::map<int, int>', which cannot be passed by value into a domain}}
SDRAD_ISOLATE() int v5(Raw r) { return 0; } // expected-error {{has type 'Raw', which cannot be passed by value into a domain: it holds a pointer ('Raw::p')}}
SDRAD_ISOLATE() int v6(WithBase a) { return 0; } // expected-error {{has type 'WithBase', which cannot be passed by value into a domain: it owns memory that a copy of its bytes would share ('WithBase' has base classes, which the serial form of aggregates does not support)}}
// sdrad::shared passes it as is (the user's decision).
SDRAD_ISOLATE() int v7(SDRAD_SHARED Raw r) { return r.n; }
SDRAD_ISOLATE() int v7b(WideView w) { return 0; } // expected-error {{parameter 'w' of isolated function 'v7b' has type 'WideView', aligned to 32 bytes, which cannot be deep-copied into a domain (the domain's copy is aligned to 16); pass its members as parameters}}
// Deep-copied: no diagnostic.
SDRAD_ISOLATE() int v8(std::string s, std::vector<std::string> v) { return 0; }
SDRAD_ISOLATE() int v9(Agg a, std::pair<Agg, std::string> p) { return 0; }

// out / inout.
SDRAD_ISOLATE() int o1(SDRAD_OUT(1) std::map<int, int> &m); // expected-error {{'out' parameter of type 'std::map<int, int>' cannot be copied back: 'std::map<int, int>' has a user-declared copy constructor or destructor and no sdrad::boundary_traits specialisation}}
SDRAD_ISOLATE() int o2(SDRAD_OUT(1) std::unique_ptr<int> *p); // expected-error {{'out' parameter of type 'std::unique_ptr<int>' cannot be copied back}}
SDRAD_ISOLATE() int o3(SDRAD_OUT(1, returned) std::string &s); // expected-error {{copy-back option 'returned' counts elements of a buffer; 'std::string' is one object, copied back whole}}
SDRAD_ISOLATE() int o4(SDRAD_OUT(1) NoDefault &x); // expected-error {{'out' parameter of type 'NoDefault': the domain starts from a default-constructed object, which it cannot make; use inout(1)}}
SDRAD_ISOLATE() int o5(SDRAD_OUT(1) NoAssign &x); // expected-error {{'out' parameter of type 'NoAssign' is copied back by copy assignment, which it does not have}}
SDRAD_ISOLATE() int o6b(SDRAD_INOUT(1) WithArray &a); // expected-error {{'WithArray' cannot be deep-copied into the domain: 'WithArray::a' is an array, which the serial form of aggregates does not support; specialise sdrad::boundary_in (<sdrad/boundary.h>), or use out(1) if the domain need not read it}}
SDRAD_ISOLATE() int o6c(SDRAD_INOUT(1) std::vector<WithBase> &a); // expected-error {{'std::vector<WithBase>' cannot be deep-copied into the domain: 'WithBase' has base classes}}
SDRAD_ISOLATE() int o6e(const SDRAD_IN(1) std::vector<Raw> &a); // expected-error {{'std::vector<Raw>' cannot be deep-copied into the domain: it has no sdrad::boundary_in specialisation}}
SDRAD_ISOLATE() int o6f(const SDRAD_IN(1) Wide &a); // expected-error {{'Wide' is aligned to 32 bytes and cannot be deep-copied (the domain's copy is aligned to 16); pass its members as parameters}}
SDRAD_ISOLATE() int o6d(const SDRAD_IN(1) std::vector<std::map<int, int>> &a); // expected-error {{'std::vector<std::map<int, int>>' cannot be deep-copied into the domain: it has no sdrad::boundary_in specialisation and is not a std::vector, std::optional, std::pair, std::tuple or aggregate of such types and scalars}}
SDRAD_ISOLATE() int o7(SDRAD_OUT(2) std::string *s); // expected-error {{'std::string' is not trivially copyable: a byte copy of more than one would point into the caller's or the domain's memory}}
SDRAD_ISOLATE() int o8(SDRAD_OUT(1) std::vector<char *> &v); // expected-error {{'out' parameter of type 'std::vector<char *>' holds a pointer ('char *' in 'std::vector<char *>')}}
SDRAD_ISOLATE() int o9(SDRAD_IN(1) std::string &s); // expected-error {{a deep-copied in parameter must be a const reference ('const std::string &'): the domain's changes would be lost; use inout(1) to get them back}}
// Accepted: no diagnostic.
SDRAD_ISOLATE() int ok1(SDRAD_OUT(1) Agg &a, SDRAD_INOUT(1) std::vector<std::string> *v);

// Templates: checked per instantiation.
template <class T> SDRAD_ISOLATE() int t1(SDRAD_INOUT(1) T &x) { return 0; } // expected-error {{'WithArray' cannot be deep-copied into the domain}}
template <class T> SDRAD_ISOLATE() int t2(T x) { return 0; } // expected-error {{has type 'std::unique_ptr<int>', which cannot be passed by value into a domain}}
template <class T> SDRAD_ISOLATE() int t3(SDRAD_OUT(n) T *x, int n) { return 0; } // expected-error {{'std::basic_string<char>' is not trivially copyable: a byte copy of more than one would point into the caller's or the domain's memory; pass one object (count 1, deep-copied)}} expected-error {{'std::vector<int>' is not trivially copyable}}
template <class T> SDRAD_ISOLATE() int t4(SDRAD_IN(1) T &x) { return 0; } // expected-error {{a deep-copied in parameter must be a const reference ('const std::basic_string<char> &')}}
int use(Agg &a, std::string &s, WithArray &w) {
  return t1(a) + t1(w) + t1(s) + t2(std::make_unique<int>(1)) + t2(1) + t3(&s, 1) +
         t3(&a.b, 1) +
         t4(s);
}
