// Copy annotations apply to pointer parameters only; string to char
// pointers only.
// RUN: %clang_sdrad -fsyntax-only -Xclang -verify %s
#include <sdrad/isolate.h>

SDRAD_ISOLATE()
int f(SDRAD_IN(4) int x); // expected-error {{'sdrad_in' applies only to pointer parameters, not to 'int'}}
SDRAD_ISOLATE()
int g(SDRAD_STRING const int *s); // expected-error {{'sdrad_string' needs a pointer to char, not 'const int *'}}
