// Functions sharing a named domain must agree on its policy (the runtime
// would refuse the second registration).
// RUN: %clang_sdrad -fsyntax-only -Xclang -verify %s
#include <sdrad/isolate.h>

SDRAD_ISOLATE("store") int put(int v); // expected-note {{domain 'store' used here}}
SDRAD_ISOLATE("store", confidentiality) int get(int k); // expected-error {{domain 'store' is used with policy 'confidentiality' here and 'integrity' elsewhere; a domain has one policy}}
SDRAD_ISOLATE("store", integrity) int del(int k);
