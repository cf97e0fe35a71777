// At -O2 the pass runs before any inlining: callers keep calling the thunk,
// and the body's code only appears in the body function.
// RUN: %clang_sdrad -O2 -S -emit-llvm -o - %s | FileCheck %s
#include <sdrad/isolate.h>

SDRAD_ISOLATE()
static int triple(int x) { return 3 * x; }

int use(int y) { return triple(y) + 1; }

// CHECK-LABEL: define dso_local i32 @use(
// CHECK: call i32 @triple(
// CHECK-NOT: mul
// CHECK-LABEL: define internal i32 @triple(
// CHECK: call i32 @__sdrad_call(
// CHECK-LABEL: define internal {{.*}}@triple.sdrad_body(
// CHECK: mul nsw i32 %{{.*}}, 3
