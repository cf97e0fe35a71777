// A domain name that is a number (through
// the macro, which stringifies it) is an error, not a domain named "42".
// RUN: %clang_sdrad -fsyntax-only -Xclang -verify %s
#include <sdrad/isolate.h>

SDRAD_ISOLATE(42) // expected-error {{domain name '42' is a number, not a string; write it in quotes: SDRAD_ISOLATE("42")}}
int f(int x);

SDRAD_ISOLATE(1.5, integrity) // expected-error {{domain name '1.5' is a number, not a string}}
int g(int x);

SDRAD_ISOLATE("42") int ok1(int x);
SDRAD_ISOLATE(parser) int ok2(int x);
