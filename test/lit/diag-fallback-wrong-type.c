// The fallback must have the isolated function's type.
// RUN: %clang_sdrad -fsyntax-only -Xclang -verify %s
#include <sdrad/isolate.h>

long other(int x); // expected-note {{candidate declared here}}
SDRAD_ISOLATE(fallback(other)) // expected-error {{fallback function 'other' must have the same type as 'f' (int (int))}}
int f(int x);
