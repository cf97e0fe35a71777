// At -O2 the pass runs before any inlining: the thunk may be inlined into
// callers, the body never is - its code only appears in the body function.
// RUN: %clang_sdrad -O2 -S -emit-llvm -o - %s | FileCheck %s
#include <sdrad/isolate.h>

SDRAD_ISOLATE()
static int triple(int x) { return 3 * x; }

int use(int y) { return triple(y) + 1; }

// CHECK-LABEL: define dso_local {{.*}}i32 @use(
// CHECK-NOT: mul
// CHECK: call i32 @__sdrad_call_with(i64 %{{.*}}, ptr nonnull @triple.sdrad_entry
// CHECK-NOT: mul
// CHECK: ret i32
// CHECK-LABEL: define internal {{.*}}@triple.sdrad_body(
// CHECK: mul nsw i32 %{{.*}}, 3
