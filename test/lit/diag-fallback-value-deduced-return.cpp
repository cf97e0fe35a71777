// fallback_value() on a lambda whose return type is deduced: an error that
// says to declare it.
// RUN: %clangxx_sdrad -std=c++17 -fsyntax-only -Xclang -verify %s
#include <sdrad/isolate.h>

int run() {
  auto f = [](int x) SDRAD_ISOLATE("f", fallback_value(-1)) { return x; }; // expected-error {{fallback_value() needs the return type, which is deduced here; declare it (e.g. '-> int' on a lambda)}}
  auto g = [](int x) SDRAD_ISOLATE("f", fallback_value(-1)) -> int { return x; };
  return f(1) + g(2);
}
