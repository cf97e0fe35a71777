// sdrad::isolate applies to functions only.
// RUN: %clang_sdrad -fsyntax-only -Xclang -verify %s

__attribute__((sdrad_isolate)) int counter; // expected-error {{'sdrad_isolate' attribute only applies to functions}}
