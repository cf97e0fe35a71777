// fallback() finds a qualified name and picks the overload whose type
// matches the isolated function's.
// RUN: %clangxx_sdrad -O0 -S -emit-llvm -o - %s | FileCheck %s
#include <sdrad/isolate.h>

namespace recovery {
int failed(int x);
long failed(long x);
}

SDRAD_ISOLATE(fallback(recovery::failed))
long parse(long x) { return x; }

// CHECK-LABEL: define dso_local noundef i64 @_Z5parsel(
// CHECK: call noundef i64 @_ZN8recovery6failedEl(i64 noundef %0)
