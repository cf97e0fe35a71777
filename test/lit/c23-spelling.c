// The C23 spellings [[sdrad::isolate(...)]], [[sdrad::in(...)]].
// RUN: %clang_sdrad -std=c23 -O0 -S -emit-llvm -o - %s | FileCheck %s

[[sdrad::isolate("c23dom")]]
int f([[sdrad::in(8)]] const int *p) { return p[0]; }

// CHECK: define dso_local i32 @f(ptr noundef "sdrad-elem-size"="4" "sdrad-in"="8" %0) #[[A:[0-9]+]]
// CHECK: c"c23dom\00"
// CHECK: attributes #[[A]] = {{.*}}"sdrad-thunk"="c23dom"
