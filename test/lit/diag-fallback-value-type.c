// fallback_value must fit the return type.
// RUN: %clang_sdrad -fsyntax-only -Xclang -verify %s
#include <sdrad/isolate.h>

SDRAD_ISOLATE(fallback_value(1)) // expected-error {{fallback_value() given for a function returning void}}
void f(void);
SDRAD_ISOLATE(fallback_value(-1), shared) // expected-error {{fallback_value() of a function returning a pointer must be nullptr, NULL or 0}}
char *g(void);
SDRAD_ISOLATE(fallback_value(oops)) // expected-error {{fallback_value() of a function returning an integer must be an integer literal}}
int h(void);
