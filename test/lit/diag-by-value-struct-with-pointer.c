// C: a struct passed by value that holds a pointer would give the domain
// the caller's pointer as is; an error naming the member, unless the
// parameter says sdrad::shared.  A struct of plain values is fine.
// RUN: %clang_sdrad -fsyntax-only -Xclang -verify %s
#include <sdrad/isolate.h>

struct msg { const char *text; int len; };
struct point { int x, y; };
struct wrapped { struct point p; struct msg m; };

SDRAD_ISOLATE() int f1(struct msg m) { return m.len; } // expected-error {{parameter 'm' of isolated function 'f1' has type 'struct msg', which cannot be passed by value into a domain: it holds a pointer ('struct msg::text') that the domain would use as is, reading (and, if it frees or keeps it, owning) the caller's memory; pass the data it points to as annotated pointer parameters (in(n), string), or mark it sdrad::shared to pass it as is (integrity only)}}
SDRAD_ISOLATE() int f2(struct wrapped w) { return w.p.x; } // expected-error {{has type 'struct wrapped', which cannot be passed by value into a domain: it holds a pointer ('struct wrapped::m')}}
SDRAD_ISOLATE() int f3(SDRAD_SHARED struct msg m) { return m.len; }
SDRAD_ISOLATE() int f4(struct point p) { return p.x + p.y; }
