// SDRAD_IN(1) on a const std::string&: the thunk asks the object for its
// bytes (boundary_in_ops<std::string>::data/size, in the caller) and copies
// them in; the entry builds a std::string from the copy in the block (make,
// in the domain), passes it to the body and destroys it afterwards.
// RUN: %clangxx_sdrad -std=c++17 -O0 -fno-discard-value-names -S -emit-llvm %s -o - | FileCheck %s
#include <sdrad/isolate.h>
#include <string>

SDRAD_ISOLATE("d", confidentiality) long len(SDRAD_IN(1) const std::string &s) { return (long)s.size(); }

// CHECK-LABEL: define {{.*}}i64 @_Z3lenRKNSt7__cxx1112basic_stringIcSt11char_traitsIcESaIcEEE(ptr {{.*}}"sdrad-elem-size"="32" "sdrad-in"="1" "sdrad-in-deep"="_ZN5sdrad6detail15boundary_in_opsI{{.*}}4dataEPKv;{{.*}}4sizeEPKv;{{.*}}4makeEPvPKvy;{{.*}}7destroyEPv"
// CHECK:       %s.data = call ptr @_ZN5sdrad6detail15boundary_in_opsI{{.*}}4dataEPKv(ptr %s)
// CHECK-NEXT:  %s.bytes = call i64 @_ZN5sdrad6detail15boundary_in_opsI{{.*}}4sizeEPKv(ptr %s)
// CHECK:       %s.copy = call ptr @__sdrad_copy_in(i64 %h, ptr %s.data, i64 %s.bytes)
// CHECK-LABEL: define internal void @{{.*}}.sdrad_entry(
// CHECK:       %s.obj = getelementptr
// CHECK-NEXT:  call void @_ZN5sdrad6detail15boundary_in_opsI{{.*}}4makeEPvPKvy(ptr %s.obj, ptr %s.copy, i64 %s.len)
// CHECK-NEXT:  call {{.*}}sdrad_body(ptr {{.*}}%s.obj)
// CHECK-NEXT:  call void @_ZN5sdrad6detail15boundary_in_opsI{{.*}}7destroyEPv(ptr %s.obj)
