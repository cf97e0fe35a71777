// in(n) on a void pointer counts bytes.
// RUN: %clang_sdrad -O0 -S -emit-llvm -o - %s | FileCheck %s
#include <sdrad/isolate.h>
#include <stddef.h>

SDRAD_ISOLATE()
int f(SDRAD_IN(n) const void *p, size_t n) { return 0; }

// CHECK: define dso_local i32 @f(ptr noundef "sdrad-elem-size"="1" "sdrad-in"="arg1"
