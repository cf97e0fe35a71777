// Under confidentiality the domain cannot read an unannotated pointer's
// memory: an error.
// RUN: %clang_sdrad -fsyntax-only -Xclang -verify %s
#include <sdrad/isolate.h>

SDRAD_ISOLATE(confidentiality)
int f(const char *buf, int n); // expected-error {{pointer parameter 'buf' of isolated function 'f' has no sdrad annotation; it is passed as is (shared) but the confidentiality policy forbids the domain to read it}}
