// C++: a struct copied in or out as bytes that holds a pointer is never
// silent: in, the domain reads the caller's memory through it
// (-Wsdrad-unannotated-pointer; an error under confidentiality); out, it
// may point into the domain after the copy back (-Wsdrad-returned-pointer).
// RUN: %clangxx_sdrad -std=c++17 -fsyntax-only -Xclang -verify %s
#include <sdrad/isolate.h>

struct Msg { const char *text; int len; };
struct Plain { int a[4]; };

SDRAD_ISOLATE() int f1(SDRAD_IN(1) const Msg &m); // expected-warning {{'in' parameter 'm' of type 'Msg' holds a pointer ('Msg::text') that is copied as is: the domain reads the caller's memory through it; pass the data it points to as its own parameter [-Wsdrad-unannotated-pointer]}}
SDRAD_ISOLATE() int f2(SDRAD_OUT(1) Msg *m); // expected-warning {{'out' parameter 'm' of type 'Msg' holds a pointer ('Msg::text') that may point into the domain after the copy back; after a fault its memory is discarded [-Wsdrad-returned-pointer]}}
SDRAD_ISOLATE("c", confidentiality) int f3(SDRAD_INOUT(1) Msg *m); // expected-error {{'inout' parameter 'm' of type 'Msg' holds a pointer ('Msg::text') to memory the confidentiality policy forbids the domain to read}}
SDRAD_ISOLATE() int f4(SDRAD_INOUT(1) Plain &p, SDRAD_OUT(1) Plain *q);
