// A struct copied in as bytes that holds a pointer, under confidentiality:
// the domain could not read what it points to, an error.  Under integrity C
// code may do this on purpose (offsets in pointer fields, as the memcached
// retrofit does): no warning in C (C++: diag-copied-struct-with-pointer.cpp).
// RUN: %clang_sdrad -fsyntax-only -Xclang -verify %s
#include <sdrad/isolate.h>

struct msg { const char *text; int len; };
struct plain { int a[4]; };

SDRAD_ISOLATE() int f1(SDRAD_IN(1) const struct msg *m);
SDRAD_ISOLATE() int f2(SDRAD_OUT(1) struct msg *m);
SDRAD_ISOLATE("c", confidentiality) int f3(SDRAD_INOUT(1) struct msg *m); // expected-error {{'inout' parameter 'm' of type 'struct msg' holds a pointer ('struct msg::text') to memory the confidentiality policy forbids the domain to read}}
SDRAD_ISOLATE() int f4(SDRAD_INOUT(1) struct plain *p, SDRAD_OUT(1) struct plain *q);
