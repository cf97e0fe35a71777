// A rejected sdrad attribute gives one error: no warnings about what it
// would have said (parameters "not isolated", "no annotation", ...).
// RUN: %clang_sdrad -fsyntax-only -Xclang -verify %s
#include <sdrad/isolate.h>

SDRAD_ISOLATE(42) // expected-error {{domain name '42'}}
int f(SDRAD_IN(n) const int *p, int n, int *q);

SDRAD_ISOLATE("d", policy(nope)) // expected-error {{unknown policy 'nope'}}
char *g(SDRAD_IN(n) const int *p, int n);

SDRAD_ISOLATE("d")
int h(SDRAD_IN(1) int x, int *q); // expected-error {{'sdrad_in' applies only to pointer parameters}}

SDRAD_ISOLATE("d", confidentiality)
int k(SDRAD_IN(zz) const int *p, int n); // expected-error {{count of 'in' parameter 'p' names 'zz', which is not a parameter of 'k'}} expected-note {{integer parameters: 'n'}}
