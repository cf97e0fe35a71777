// rethrow: the thunk clears the fault record, runs F.sdrad_catching (which
// runs the entry under sdrad::detail::run_catching and stores the result in
// the block), throws through sdrad::detail::throw_fault with the what()
// copied out of the block when an exception escaped, and with null after a
// fault; there is no alternate result.
// RUN: %clangxx_sdrad -std=c++17 -O0 -fno-discard-value-names -S -emit-llvm %s -o %t.ll
// RUN: FileCheck %s < %t.ll
// RUN: FileCheck %s --check-prefix=DEFS < %t.ll
#include <sdrad/isolate.h>

SDRAD_ISOLATE("p", rethrow) int parse(int x) { return x; }

// CHECK-LABEL: define {{.*}}i32 @_Z5parsei(i32 {{.*}}%x)
// CHECK:       call void @sdrad_clear_fault()
// CHECK:       call i32 @__sdrad_call_with(i64 %h, ptr @_Z5parsei.sdrad_catching, ptr %blk, i64 268)
// CHECK:       success:
// CHECK:         %exc = load i32, ptr
// CHECK-NEXT:    %threw = icmp ne i32 %exc, 0
// CHECK:       rethrow:
// CHECK:         call void @llvm.memcpy.p0.p0.i64(ptr align 1 %what, ptr align 1 %{{.*}}, i64 256, i1 false)
// CHECK:         call void @_ZN5sdrad6detail11throw_faultEPKcS2_(ptr @__sdrad_domain_name.p, ptr %what)
// CHECK-NEXT:    unreachable
// CHECK:       fail:
// CHECK-NEXT:    call void @_ZN5sdrad6detail11throw_faultEPKcS2_(ptr @__sdrad_domain_name.p, ptr null)
// CHECK-NEXT:    unreachable
// CHECK-LABEL: define internal void @_Z5parsei.sdrad_catching(ptr %0)
// CHECK:         %exc = call i32 @_ZN5sdrad6detail12run_catchingEPFvPvES1_Pc(ptr @_Z5parsei.sdrad_entry, ptr %0, ptr %{{.*}})
// DEFS:        define linkonce_odr {{.*}}@_ZN5sdrad6detail12run_catchingEPFvPvES1_Pc(
// DEFS:        define linkonce_odr {{.*}}@_ZN5sdrad6detail11throw_faultEPKcS2_(
