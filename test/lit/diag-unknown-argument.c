// Unknown sdrad::isolate arguments are errors.
// RUN: %clang_sdrad -fsyntax-only -Xclang -verify %s
#include <sdrad/isolate.h>

SDRAD_ISOLATE("p", retry(3)) // expected-error {{unknown sdrad::isolate argument 'retry(3)'}}
int f(int x);
SDRAD_ISOLATE(policy(secret)) // expected-error {{unknown policy 'secret'; expected 'integrity' or 'confidentiality'}}
int g(int x);
