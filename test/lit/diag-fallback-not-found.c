// fallback() must name a declared function.
// RUN: %clang_sdrad -fsyntax-only -Xclang -verify %s
#include <sdrad/isolate.h>

SDRAD_ISOLATE(fallback(nowhere)) // expected-error {{fallback function 'nowhere' not found}}
int f(int x);
