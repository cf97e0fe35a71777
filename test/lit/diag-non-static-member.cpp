// Non-static member functions are not supported (this would be a pointer
// into the caller's memory); static members and free functions are.
// RUN: %clangxx_sdrad -fsyntax-only -Xclang -verify %s
#include <sdrad/isolate.h>

struct Parser {
  SDRAD_ISOLATE() int parse(int x); // expected-error {{sdrad::isolate is not supported on non-static member function 'parse'; isolate a static or free function instead}}
  SDRAD_ISOLATE() static int ok(int x);
};
