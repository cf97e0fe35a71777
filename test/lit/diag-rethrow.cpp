// rethrow replaces the alternate result and needs a function that can
// throw.
// RUN: %clangxx_sdrad -std=c++17 -fsyntax-only -Xclang -verify %s
// RUN: not %clang_sdrad -x c -fsyntax-only %s 2>&1 | FileCheck %s --check-prefix=C
#include <sdrad/isolate.h>

SDRAD_ISOLATE("a", rethrow, fallback_value(-1)) int a(int x); // expected-error {{rethrow replaces the alternate result: give either rethrow or fallback()/fallback_value()}}
SDRAD_ISOLATE("b", rethrow) int b(int x) noexcept; // expected-error {{'b' is noexcept, so rethrow could only terminate the program; remove noexcept or rethrow}}
SDRAD_ISOLATE("c", rethow) int c(int x); // expected-error {{did you mean 'rethrow'?}}
SDRAD_ISOLATE("ok", rethrow) int ok(int x);
// C: error: rethrow needs C++ (it throws sdrad::domain_fault)
