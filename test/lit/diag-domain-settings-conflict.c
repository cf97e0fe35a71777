// Functions sharing a named domain in one translation unit must agree on
// each setting they give (one that gives none agrees with any); a
// redeclaration must not change them.
// RUN: %clang_sdrad -fsyntax-only -Xclang -verify %s
#include <sdrad/isolate.h>

void a(void);
void b(void);

SDRAD_ISOLATE("pool", timeout_ms(100), init(a)) // expected-note {{domain 'pool' given timeout_ms(100) here}}
int p1(int x);
SDRAD_ISOLATE("pool", timeout_ms(200)) // expected-error {{domain 'pool' is given timeout_ms(200) here and timeout_ms(100) elsewhere; a domain has one timeout_ms}}
int p2(int x);
SDRAD_ISOLATE("pool", heap_limit(1M)) // another setting: fine
int p3(int x);
SDRAD_ISOLATE("pool") // none: fine
int p4(int x);
SDRAD_ISOLATE("pool", init(b)) // expected-error {{domain 'pool' is given init(b) here and init(a) elsewhere}}
int p5(int x);
SDRAD_ISOLATE("pool", heap_limit(1048576)) // the same value: fine
int p6(int x);
SDRAD_ISOLATE("pool", heap_limit(2M)) // expected-error {{domain 'pool' is given heap_limit(2097152) here and heap_limit(1048576) elsewhere}}
int p7(int x);

SDRAD_ISOLATE(on_discard(a)) int r(int x); // expected-note {{previous sdrad::isolate is here}}
SDRAD_ISOLATE(on_discard(b)) int r(int x) { return x; } // expected-error {{'r' is isolated in two different ways: different timeout_ms, heap_limit, init or on_discard}}

// The notes of the errors above.
// expected-note@10 {{domain 'pool' given init(a) here}}
// expected-note@14 {{domain 'pool' given heap_limit(1048576) here}}
