// out/inout on a pointer to const: the results could not be written back.
// RUN: %clang_sdrad -fsyntax-only -Xclang -verify %s
#include <sdrad/isolate.h>

SDRAD_ISOLATE()
int f(SDRAD_OUT(4) const int *res); // expected-error {{'out' parameter 'res' points to const: the domain cannot write results to it; use 'in'}}
SDRAD_ISOLATE()
int g(SDRAD_INOUT(4) const int *res); // expected-error {{'inout' parameter 'res' points to const}}
