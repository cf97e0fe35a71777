// A bare word that is a misspelt argument keyword is an error (it would
// otherwise silently name a domain), as is an unknown policy.
// RUN: %clang_sdrad -fsyntax-only -Xclang -verify %s
#include <sdrad/isolate.h>

SDRAD_ISOLATE(confidentialty) // expected-error {{unknown sdrad::isolate argument 'confidentialty'; did you mean 'confidentiality'? (a domain of that name is written "confidentialty")}}
int f(int x);

SDRAD_ISOLATE("p", Integrity) // expected-error {{did you mean 'integrity'?}}
int g(int x);

SDRAD_ISOLATE("p", fallbak_value) // expected-error {{did you mean 'fallback_value'?}}
int h(int x);

SDRAD_ISOLATE("p", policy(secret)) // expected-error {{unknown policy 'secret'; expected 'integrity' or 'confidentiality'}}
int k(int x);

SDRAD_ISOLATE("confidentialty") int ok(int x);
