// Warnings about an isolated function's signature come once, where
// sdrad::isolate is written, not again at a definition that adds
// parameter annotations.
// RUN: %clang_sdrad -fsyntax-only -Xclang -verify %s
#include <sdrad/isolate.h>

SDRAD_ISOLATE()
int f(const char *a, int *b); // expected-warning {{pointer parameter 'a'}} expected-warning {{pointer parameter 'b'}}

int f(const char *a, SDRAD_OUT(1) int *b) { *b = a[0]; return 0; }
