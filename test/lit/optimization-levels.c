// The pass runs at every optimisation level.
// RUN: %clang_sdrad -O0 -S -emit-llvm -o - %s | FileCheck %s
// RUN: %clang_sdrad -O1 -S -emit-llvm -o - %s | FileCheck %s
// RUN: %clang_sdrad -O2 -S -emit-llvm -o - %s | FileCheck %s
// RUN: %clang_sdrad -O3 -S -emit-llvm -o - %s | FileCheck %s
// RUN: %clang_sdrad -Os -S -emit-llvm -o - %s | FileCheck %s
// RUN: %clang_sdrad -Oz -S -emit-llvm -o - %s | FileCheck %s
#include <sdrad/isolate.h>

SDRAD_ISOLATE()
int f(int x) { return x * 7; }

// CHECK: call i32 @__sdrad_call_with(i64 %{{.*}}, ptr {{(nonnull )?}}@f.sdrad_entry,
