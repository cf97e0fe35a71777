// Owning types as out/inout parameters.  out: the entry default-constructs
// the object in the block (in the domain heap) and passes it to the body;
// after a successful call the thunk copy-assigns it to the caller's object
// (boundary_out_ops<T>::assign, in the caller), then F.sdrad_drop destroys
// it in the domain.  inout: the object is first deep-copied in (size/pack
// in the caller, make in the domain).  if_ok: assign only if ok_if holds.
// RUN: %clangxx_sdrad -std=c++17 -O0 -fno-discard-value-names -S -emit-llvm %s -o %t.ll
// RUN: FileCheck %s < %t.ll
// RUN: FileCheck --check-prefix=INOUT %s < %t.ll
#include <sdrad/isolate.h>
#include <string>
#include <vector>

SDRAD_ISOLATE("d", confidentiality)
int name(SDRAD_OUT(1) std::string &s) { s = "n"; return 0; }

// CHECK-LABEL: define {{.*}}i32 @_Z4nameRNSt7__cxx1112basic_stringIcSt11char_traitsIcESaIcEEE(ptr {{.*}}"sdrad-elem-size"="32" "sdrad-out"="1" "sdrad-out-deep"="_ZN5sdrad6detail16boundary_out_opsI{{.*}}12make_defaultEPv;{{.*}}6assignEPvPKv;{{.*}}7destroyEPv"
// The block lives in the domain: the caller reads the object after the call.
// CHECK:       %blk = call ptr @__sdrad_block_alloc(
// CHECK:       %s.given = icmp ne ptr %s, null
// CHECK:       %[[Z:[0-9]+]] = zext i1 %s.given to i64
// CHECK-NEXT:  store i64 %[[Z]], ptr
// CHECK:       s.assign:
// CHECK-NEXT:  %[[OBJ:[0-9]+]] = getelementptr {{.*}}%blk, i32 0, i32 3
// CHECK-NEXT:  call void @_ZN5sdrad6detail16boundary_out_opsI{{.*}}6assignEPvPKv(ptr %s, ptr %[[OBJ]])
// CHECK:       %drop.status = call i32 @__sdrad_call(i64 %h, ptr @{{.*}}.sdrad_drop, ptr %blk)
// CHECK-LABEL: define internal void @{{.*}}4name{{.*}}.sdrad_drop(ptr
// CHECK:       call void @_ZN5sdrad6detail16boundary_out_opsI{{.*}}7destroyEPv(
// CHECK-LABEL: define internal void @{{.*}}4name{{.*}}.sdrad_entry(
// CHECK:       %s.given = icmp ne i64 %s.len, 0
// CHECK:       call void @_ZN5sdrad6detail16boundary_out_opsI{{.*}}12make_defaultEPv(ptr %s.obj)
// CHECK:       %s = select i1 %s.given, ptr %s.obj, ptr null
// The body may throw: an exception destroys the object on its way out.
// CHECK-NEXT:  invoke {{.*}}sdrad_body(ptr {{.*}}%s)
// CHECK-NEXT:  to label %returned unwind label %unwind
// CHECK:       returned:
// CHECK-NOT:   destroyEPv
// CHECK:       ret void
// CHECK:       unwind:
// CHECK-NEXT:  %lp = landingpad { ptr, i32 }
// CHECK-NEXT:  cleanup
// CHECK:       call void @_ZN5sdrad6detail16boundary_out_opsI{{.*}}7destroyEPv(
// CHECK:       resume { ptr, i32 } %lp

SDRAD_ISOLATE("d", confidentiality, ok_if(== 0))
int grow(SDRAD_INOUT(1, if_ok) std::vector<std::string> *v) { v->push_back("x"); return 0; }

// INOUT-LABEL: define {{.*}}i32 @_Z4growPSt6vectorI{{.*}}(ptr {{.*}}"sdrad-elem-size"="24" "sdrad-in-deep"="_ZN5sdrad6detail15boundary_in_opsI{{.*}}4sizeEPKv;{{.*}}4packEPKvPvy;{{.*}}4makeEPvPKvy;{{.*}}7destroyEPv" "sdrad-inout"="1" "sdrad-out-deep"="_ZN5sdrad6detail16boundary_out_opsI{{.*}}12make_defaultEPv;{{.*}}6assignEPvPKv;{{.*}}7destroyEPv"
// INOUT:       %v.bytes = call i64 @_ZN5sdrad6detail15boundary_in_opsI{{.*}}4sizeEPKv(ptr %v)
// INOUT:       %v.ok = and i1 %v.given, %ok
// INOUT-NEXT:  br i1 %v.ok, label %v.assign
// INOUT-LABEL: define internal void @{{.*}}4grow{{.*}}.sdrad_entry(
// INOUT:       call void @_ZN5sdrad6detail15boundary_in_opsI{{.*}}4makeEPvPKvy(ptr %v.obj, ptr %v.copy, i64 %v.len)
