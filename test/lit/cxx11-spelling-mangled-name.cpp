// C++: [[sdrad::isolate]] on a function in a namespace; the thunk keeps the
// mangled symbol, which also names the function's own domain.
// RUN: %clangxx_sdrad -O0 -S -emit-llvm -o - %s | FileCheck %s

namespace app {
[[sdrad::isolate]] int parse(int x) { return x; }
}
int call() { return app::parse(1); }

// CHECK: @__sdrad_domain_name._ZN3app5parseEi = private unnamed_addr constant [16 x i8] c"_ZN3app5parseEi\00"
// CHECK: define dso_local noundef i32 @_ZN3app5parseEi(i32 noundef %0)
// CHECK: call i32 @__sdrad_call_with(i64 %{{.*}}, ptr @_ZN3app5parseEi.sdrad_entry,
// CHECK: call noundef i32 @_ZN3app5parseEi(i32 noundef 1)
