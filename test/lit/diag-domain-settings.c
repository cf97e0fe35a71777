// timeout_ms(), heap_limit(), init() and on_discard(): every bad argument
// is an error at the argument.
// RUN: %clang_sdrad -fsyntax-only -Xclang -verify %s
#include <sdrad/isolate.h>

void hook(void);
void old_style();     /* C17: no prototype, accepted as void(void) */
int not_void(void);   // expected-note {{candidate declared here}}
void takes_int(int);  // expected-note {{candidate declared here}}
int not_a_function;
#define LIMIT 100

SDRAD_ISOLATE(timeout_ms(abc)) // expected-error {{timeout_ms(abc): expected an integer constant}}
int t1(int x);
SDRAD_ISOLATE(timeout_ms(0)) // expected-error {{timeout_ms(0): must be greater than 0}}
int t2(int x);
SDRAD_ISOLATE(timeout_ms(-5)) // expected-error {{timeout_ms(-5): must be greater than 0}}
int t3(int x);
SDRAD_ISOLATE(timeout_ms(1.5)) // expected-error {{timeout_ms(1.5): expected an integer constant}}
int t4(int x);
SDRAD_ISOLATE(timeout_ms(4294967296)) // expected-error {{timeout_ms(4294967296): too large (at most 4294967295)}}
int t5(int x);
SDRAD_ISOLATE(timeout_ms()) // expected-error {{timeout_ms() needs a value}}
int t6(int x);
SDRAD_ISOLATE(timeout_ms(LIMIT), timeout_ms(200)) // expected-error {{timeout_ms() given twice: '100' and '200'}}
int t7(int x);
SDRAD_ISOLATE(timeout_ms(LIMIT), timeout_ms(100)) // macro-expanded, same value: fine
int t8(int x);

SDRAD_ISOLATE(heap_limit(8X)) // expected-error {{heap_limit(8X): expected an integer constant, optionally followed by K, M or G}}
int h1(int x);
SDRAD_ISOLATE(heap_limit(0M)) // expected-error {{heap_limit(0M): must be greater than 0}}
int h2(int x);
SDRAD_ISOLATE(heap_limit(-1)) // expected-error {{heap_limit(-1): must be greater than 0}}
int h3(int x);
SDRAD_ISOLATE(heap_limit(99999999999G)) // expected-error {{heap_limit(99999999999G): too large}}
int h4(int x);
SDRAD_ISOLATE(heap_limit(16K)) // fine: 16384 bytes
int h5(int x);

SDRAD_ISOLATE(init(nowhere)) // expected-error {{init function 'nowhere' not found}}
int i1(int x);
SDRAD_ISOLATE(init(not_void)) // expected-error {{init function 'not_void' must have type 'void (void)'}}
int i2(int x);
SDRAD_ISOLATE(on_discard(takes_int)) // expected-error {{on_discard function 'takes_int' must have type 'void (void)'}}
int i3(int x);
SDRAD_ISOLATE(on_discard(not_a_function)) // expected-error {{on_discard function 'not_a_function' not found}}
int i4(int x);
SDRAD_ISOLATE(init()) // expected-error {{init() needs a function name}}
int i5(int x);
SDRAD_ISOLATE(init(hook), on_discard(old_style)) // fine
int i6(int x);

SDRAD_ISOLATE(timeout_m(10)) // expected-error {{unknown sdrad::isolate argument 'timeout_m(10)'}}
int u1(int x);
SDRAD_ISOLATE(heap_limt) // expected-error {{did you mean 'heap_limit'?}}
int u2(int x);
