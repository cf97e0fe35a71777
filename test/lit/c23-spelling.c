// The C23 spellings, with arguments as string literals.
// RUN: %clang_sdrad -std=c23 -O0 -S -emit-llvm -o - %s | FileCheck %s
// UNSUPPORTED: llvm-16
// (Clang 16 drops the arguments of [[...]] plugin attributes: see
// diag-clang16-drops-bracket-arguments.cpp.)

[[sdrad::isolate("c23dom", "fallback_value(-1)")]]
int f([[sdrad::in("n")]] const int *p, int n, [[sdrad::string]] const char *s,
      [[sdrad::shared]] void *ctx) { return p[0]; }

// CHECK: define dso_local i32 @f(ptr noundef "sdrad-elem-size"="4" "sdrad-in"="arg1" %0, i32 noundef %1, ptr noundef "sdrad-string" %2, ptr noundef "sdrad-shared" %3) #[[A:[0-9]+]]
// CHECK: ret i32 -1
// CHECK: attributes #[[A]] = {{.*}}"sdrad-thunk"="c23dom"
