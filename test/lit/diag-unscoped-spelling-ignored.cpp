// Only the scoped spellings are SDRaD's: [[isolate]], [[in(n)]] ... without
// the sdrad:: scope are ignored like any unknown attribute.
// RUN: %clangxx_sdrad -fsyntax-only -Xclang -verify %s

[[isolate]] int f(int x); // expected-warning {{unknown attribute 'isolate' ignored}}
int g([[in(4)]] const int *p); // expected-warning {{unknown attribute 'in' ignored}}
