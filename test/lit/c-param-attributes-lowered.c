// The frontend's parameter annotations become the IR contract's parameter
// attributes: counts name IR argument numbers, element sizes in bytes.
// RUN: %clang_sdrad -O1 -S -emit-llvm -o - %s | FileCheck %s
#include <sdrad/isolate.h>
#include <stddef.h>

struct pt { double x, y; };

SDRAD_ISOLATE()
int f(SDRAD_IN(n) const struct pt *in, size_t n, SDRAD_OUT(n) int *out,
      SDRAD_INOUT(4) long *io, SDRAD_STRING const char *s,
      SDRAD_SHARED void *ctx) { return 0; }

// CHECK: define dso_local i32 @f(ptr noundef "sdrad-elem-size"="16" "sdrad-in"="arg1" %{{[a-z0-9]+}}, i64 noundef %{{[a-z0-9]+}}, ptr noundef "sdrad-elem-size"="4" "sdrad-out"="arg1" %{{[a-z0-9]+}}, ptr noundef "sdrad-elem-size"="8" "sdrad-inout"="4" %{{[a-z0-9]+}}, ptr noundef "sdrad-string" %{{[a-z0-9]+}}, ptr noundef "sdrad-shared" %{{[a-z0-9]+}})
