// With -flto the pass runs in the compile step: the bitcode handed to the
// linker already holds the thunk, so the LTO link needs no plugin.
// RUN: %clang_sdrad -O2 -flto -c -o %t.bc %s
// RUN: llvm-dis %t.bc -o - | FileCheck %s
// RUN: %clang_sdrad -O2 -flto=thin -c -o %t.thin.bc %s
// RUN: llvm-dis %t.thin.bc -o - | FileCheck %s
#include <sdrad/isolate.h>

SDRAD_ISOLATE()
int f(int x) { return x + 1; }

// CHECK: define {{.*}}i32 @f(i32 noundef %{{.*}}) {{.*}}{
// CHECK: call i32 @__sdrad_call_with(
// CHECK: define internal {{.*}}@f.sdrad_body(
