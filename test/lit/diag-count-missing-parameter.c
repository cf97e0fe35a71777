// A count must name a parameter of the function.
// RUN: %clang_sdrad -fsyntax-only -Xclang -verify %s
#include <sdrad/isolate.h>
#include <stddef.h>

SDRAD_ISOLATE()
int f(SDRAD_IN(lenght) const char *buf, size_t length); // expected-error {{count of 'in' parameter 'buf' names 'lenght', which is not a parameter of 'f'}} expected-note {{integer parameters: 'length'}}
