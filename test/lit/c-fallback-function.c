// fallback(f) names a function of the same type; a static one is emitted
// even if nothing else uses it.
// RUN: %clang_sdrad -O0 -S -emit-llvm -o - %s | FileCheck %s
#include <sdrad/isolate.h>

static int parse_failed(int x) { return -x; }

SDRAD_ISOLATE(fallback(parse_failed))
int parse(int x) { return x; }

// CHECK: define internal i32 @parse_failed(
// CHECK-LABEL: define dso_local i32 @parse(
// CHECK: call i32 @parse_failed(i32 noundef %0)
