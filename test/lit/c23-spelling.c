// The C23 spellings [[sdrad::isolate]], [[sdrad::string]], [[sdrad::shared]]
// (in C, clang passes no arguments to [[...]] plugin attributes: use the
// macros, which use the GNU spelling, to give a domain name or counts).
// RUN: %clang_sdrad -std=c23 -O0 -S -emit-llvm -o - %s | FileCheck %s

[[sdrad::isolate]]
int f([[sdrad::string]] const char *s, [[sdrad::shared]] void *ctx) { return s[0]; }

// CHECK: define dso_local i32 @f(ptr noundef "sdrad-string" %0, ptr noundef "sdrad-shared" %1) #[[A:[0-9]+]]
// CHECK: attributes #[[A]] = {{.*}}"sdrad-thunk"="f"
