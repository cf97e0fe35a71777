// An unannotated pointer parameter is passed as is: a warning under the
// integrity policy (the domain may read it, not write it).
// RUN: %clang_sdrad -fsyntax-only -Xclang -verify %s
#include <sdrad/isolate.h>

SDRAD_ISOLATE()
int f(const char *buf, int n); // expected-warning {{pointer parameter 'buf' of isolated function 'f' has no sdrad annotation; it is passed as is (shared); annotate it in(n), out(n), inout(n), string or shared}}
