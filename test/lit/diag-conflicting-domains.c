// The same function given two different domains (here by a redeclaration).
// RUN: %clang_sdrad -fsyntax-only -Xclang -verify %s
#include <sdrad/isolate.h>

SDRAD_ISOLATE("a") int f(int x); // expected-note {{previous sdrad::isolate is here}}
SDRAD_ISOLATE("b") int f(int x) { return x; } // expected-error {{'f' is isolated in two different ways: domain 'b' (integrity) and domain 'a' (integrity)}}
