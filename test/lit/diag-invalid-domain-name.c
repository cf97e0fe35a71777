// Domain names: 1 to 47 printable characters other than ; = ".
// RUN: %clang_sdrad -fsyntax-only -Xclang -verify %s

__attribute__((sdrad_isolate("a;b"))) // expected-error {{invalid domain name 'a;b'}}
int f(int x);
