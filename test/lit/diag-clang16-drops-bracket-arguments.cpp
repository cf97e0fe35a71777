// Clang 16 skips the arguments of [[scope::name(...)]] attributes it does
// not know, plugin attributes included: the plugin reports them instead of
// silently isolating with defaults (another domain, integrity, no fallback).
// REQUIRES: llvm-16
// RUN: %clangxx_sdrad -fsyntax-only -Xclang -verify %s

[[sdrad::isolate("d", "confidentiality")]] // expected-error {{Clang 16 drops the arguments of 'sdrad::isolate' in the [[...]] spelling; write it with the SDRAD_* macros (GNU spelling)}}
int f([[sdrad::in(n)]] const char *p, // expected-error {{Clang 16 drops the arguments of 'sdrad::in'}}
      int n) { return p[0]; }

[[sdrad::isolate]] int g(int x) { return x; } // no arguments: fine
