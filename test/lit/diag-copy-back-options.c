// ok_if() and the copy-back options of out/inout are checked.
// RUN: %clang_sdrad -fsyntax-only -Xclang -verify %s
#include <sdrad/isolate.h>
#include <stddef.h>

SDRAD_ISOLATE("a")
int a(SDRAD_OUT(n, if_ok) char *p, size_t n); // expected-error {{'out' parameter 'p' is copied back if_ok, but 'a' does not say what ok is: add ok_if(...) to its SDRAD_ISOLATE, e.g. ok_if(== 0)}}

SDRAD_ISOLATE("b")
double b(SDRAD_OUT(n, returned) char *p, size_t n); // expected-error {{'out' parameter 'p' is copied back as returned, but 'b' returns 'double', not an element count (an integer of at most 64 bits)}}

SDRAD_ISOLATE("c")
int c(SDRAD_OUT(n, sometimes) char *p, size_t n); // expected-error {{unknown option 'sometimes' of 'sdrad_out'; expected if_ok}}

SDRAD_ISOLATE("d")
int d(SDRAD_IN(n, if_ok) const char *p, size_t n); // expected-error {{copy-back options apply to out and inout only}}

SDRAD_ISOLATE("e", ok_if(== 0)) // expected-error {{ok_if() needs a function returning an integer, enumeration, bool or pointer, declared (not deduced or dependent), not 'void'}}
void e(SDRAD_OUT(n, if_ok) char *p, size_t n);

SDRAD_ISOLATE("f", ok_if(< NULL), shared) // expected-error {{ok_if() on a pointer compares with == or != only}}
char *f(SDRAD_OUT(n, if_ok) char *p, size_t n);

SDRAD_ISOLATE("g", ok_if(== zero)) // expected-error {{ok_if() of a function returning an integer must be an integer literal}}
int g(SDRAD_OUT(n, if_ok) char *p, size_t n);

SDRAD_ISOLATE("ok", ok_if(>= 0))
long ok(SDRAD_OUT(n, if_ok, returned) char *p, size_t n);
