// Non-static member functions need this(in), this(inout) or this(shared);
// constructors and destructors cannot be isolated; this(shared) is
// impossible under confidentiality, this(inout) on a const member, and a
// byte copy of a non-trivially-copyable object.
// RUN: %clangxx_sdrad -std=c++17 -fsyntax-only -Xclang -verify %s
#include <sdrad/isolate.h>
#include <string>

struct Parser {
  int state;
  SDRAD_ISOLATE() int parse(int x); // expected-error {{isolating non-static member function 'parse' needs to say how the object crosses: add this(in) (a copy), this(inout) (a copy, copied back on success) or this(shared) (read in place; integrity only) to its SDRAD_ISOLATE}}
  SDRAD_ISOLATE("secret", this(shared), confidentiality) int a(int x); // expected-error {{this(shared) under the confidentiality policy: the domain cannot read the object; use this(in) or this(inout)}}
  SDRAD_ISOLATE("p", this(inout)) int b(int x) const; // expected-error {{this(inout) on const member function 'b': it cannot change the object; use this(in)}}
  SDRAD_ISOLATE("p", this(copy)) int c(int x); // expected-error {{this(copy): expected this(in), this(inout) or this(shared)}}
  SDRAD_ISOLATE("p", this(in)) Parser(); // expected-error {{constructors and destructors cannot be isolated}}
  SDRAD_ISOLATE("p", this(in)) static int d(int x); // expected-error {{this(...) applies only to non-static member functions}}
  SDRAD_ISOLATE("p", this(in)) int ok1(int x);
  SDRAD_ISOLATE("p", this(inout)) int ok2(int x);
  SDRAD_ISOLATE("p", this(shared)) int ok3(int x) const;
  SDRAD_ISOLATE() static int ok4(int x);
};

struct Text {
  std::string s;
  SDRAD_ISOLATE("t", this(in)) int e(int x); // expected-error {{this(in): 'Text' is not trivially copyable, so a byte copy of the object could still refer to the caller's or the domain's memory; use this(shared)}}
  SDRAD_ISOLATE("t", this(shared)) int ok(int x) const;
};
