// A small struct passed in registers (coerced to two i64s) takes two IR
// arguments; the count still names the right one.
// RUN: %clang_sdrad -O0 -S -emit-llvm -o - %s | FileCheck %s
#include <sdrad/isolate.h>

struct pair { long a, b; };

SDRAD_ISOLATE()
long f(struct pair p, SDRAD_IN(n) const int *v, int n) { return p.a + v[0] + n; }

// CHECK: %f.sdrad_block = type { i64, i64, i64, ptr, i32 }
// CHECK: define dso_local i64 @f(i64 %{{[0-9]+}}, i64 %{{[0-9]+}}, ptr noundef "sdrad-elem-size"="4" "sdrad-in"="arg3" %{{[0-9]+}}, i32 noundef %{{[0-9]+}})
