// A count must name an integer parameter.
// RUN: %clang_sdrad -fsyntax-only -Xclang -verify %s
#include <sdrad/isolate.h>

SDRAD_ISOLATE()
int f(SDRAD_IN(n) const char *buf, double n); // expected-error {{count of 'in' parameter 'buf' names parameter 'n' of type 'double', which is not an integer}} expected-note {{'n' declared here}}
