// Variadic functions cannot be isolated (their arguments cannot be copied).
// RUN: %clang_sdrad -fsyntax-only -Xclang -verify %s
#include <sdrad/isolate.h>

SDRAD_ISOLATE() // expected-error {{sdrad::isolate cannot be applied to variadic function 'log_line'}}
int log_line(const char *fmt, ...) { return 0; }
