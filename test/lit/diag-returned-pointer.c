// A returned pointer is a warning unless marked shared.
// RUN: %clang_sdrad -fsyntax-only -Xclang -verify %s
#include <sdrad/isolate.h>

SDRAD_ISOLATE()
char *dup_name(int id); // expected-warning {{'dup_name' returns a pointer from an isolated domain}}

SDRAD_ISOLATE(shared)
char *ok1(int id);

SDRAD_ISOLATE() SDRAD_SHARED
char *ok2(int id);
