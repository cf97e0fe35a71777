// An unknown system-call policy is an error at the attribute.
// RUN: %clang_sdrad -fsyntax-only -Xclang -verify %s
#include <sdrad/isolate.h>

SDRAD_ISOLATE("p", syscalls(none)) // expected-error {{unknown syscalls policy 'none'; expected 'default', 'eperm' or 'any'}}
int f(int x);
