// Parameter annotations on a function that is not isolated do nothing: a
// warning.
// RUN: %clang_sdrad -fsyntax-only -Xclang -verify %s
#include <sdrad/isolate.h>

int f(SDRAD_IN(4) const int *p); // expected-warning {{sdrad parameter annotation ignored: 'f' is not marked sdrad::isolate}}
