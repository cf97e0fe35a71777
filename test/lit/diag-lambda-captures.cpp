// An isolated lambda's captures are shared as is: a warning under
// integrity, an error under confidentiality.
// RUN: %clangxx_sdrad -std=c++17 -fsyntax-only -Xclang -verify %s
#include <sdrad/isolate.h>

int run(int k) {
  auto a = [k](int x) SDRAD_ISOLATE("a") { return x + k; }; // expected-warning {{the captures of an isolated lambda are shared with the domain}}
  auto b = [&k](int x) SDRAD_ISOLATE("b", confidentiality) { return x + k; }; // expected-error {{an isolated lambda cannot capture under the confidentiality policy}}
  auto c = [](int x) SDRAD_ISOLATE("c", confidentiality) { return x; };
  return a(1) + b(2) + c(3);
}
