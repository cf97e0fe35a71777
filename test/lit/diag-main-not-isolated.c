// main cannot be isolated.
// RUN: %clang_sdrad -fsyntax-only -Xclang -verify %s
#include <sdrad/isolate.h>

SDRAD_ISOLATE() int main(void) { return 0; } // expected-error {{main cannot be isolated}}
