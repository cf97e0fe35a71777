// Class parameters by value are deep-copied in like in(1) const
// references.  std::string_view travels as two IR arguments (length and
// pointer, coerced): the thunk puts the view back together in its frame,
// sizes and packs it into the domain's copy; the entry builds the domain's
// view over that copy and passes its bytes in place of the caller's.  A
// std::string by value (passed by address) is rebuilt in the domain and
// destroyed after the body.
// RUN: %clangxx_sdrad -std=c++17 -O0 -fno-discard-value-names -S -emit-llvm %s -o %t.ll
// RUN: FileCheck %s < %t.ll
// RUN: FileCheck --check-prefix=STR %s < %t.ll
#include <sdrad/isolate.h>
#include <string>
#include <string_view>

SDRAD_ISOLATE("d", confidentiality)
long vlen(std::string_view v, int k) { return (long)v.size() + k; }

// CHECK-LABEL: define {{.*}}i64 @_Z4vlenSt17basic_string_viewIcSt11char_traitsIcEEi(i64 "sdrad-elem-size"="16" "sdrad-in"="1" "sdrad-in-deep"="_ZN5sdrad6detail15boundary_in_opsISt17basic_string_viewI{{.*}}4sizeEPKv;{{.*}}4packEPKvPvy;{{.*}}4makeEPvPKvy;{{.*}}7destroyEPv" "sdrad-in-parts"="0@0,1@8" %v.coerce0, ptr "sdrad-in-part" %v.coerce1, i32 noundef %k)
// CHECK:       %v.coerce0.whole = alloca [16 x i8], align 16
// CHECK:       store i64 %v.coerce0, ptr
// CHECK:       store ptr %v.coerce1, ptr
// CHECK:       %v.coerce0.bytes = call i64 @_ZN5sdrad6detail15boundary_in_opsISt17basic_string_viewI{{.*}}4sizeEPKv(ptr %v.coerce0.whole)
// CHECK-NEXT:  %v.coerce0.zeroed = call ptr @__sdrad_copy_in(i64 %h, ptr null, i64 %v.coerce0.bytes)
// CHECK-NOT:   store ptr %v.coerce1
// CHECK:       %v.coerce0.pack.status = call i32 @_ZN5sdrad6detail15boundary_in_opsISt17basic_string_viewI{{.*}}4packEPKvPvy(ptr %v.coerce0.whole, ptr %v.coerce0.zeroed, i64 %v.coerce0.bytes)
// CHECK-LABEL: define internal void @{{.*}}4vlen{{.*}}.sdrad_entry(
// CHECK:       call void @_ZN5sdrad6detail15boundary_in_opsISt17basic_string_viewI{{.*}}4makeEPvPKvy(ptr %v.coerce0.obj, ptr %v.coerce0.copy, i64 %v.coerce0.len)
// CHECK:       %v.coerce0.part = load i64, ptr
// CHECK:       %v.coerce1.part = load ptr, ptr
// CHECK:       call {{.*}}sdrad_body(i64 %v.coerce0.part, ptr %v.coerce1.part, i32 noundef %k)

SDRAD_ISOLATE("d", confidentiality)
long slen(std::string s) { return (long)s.size(); }

// STR-LABEL: define {{.*}}i64 @_Z4slenNSt7__cxx1112basic_stringIcSt11char_traitsIcESaIcEEE(ptr {{.*}}"sdrad-elem-size"="32" "sdrad-in"="1" "sdrad-in-deep"="_ZN5sdrad6detail15boundary_in_opsINSt7__cxx1112basic_string{{.*}}4sizeEPKv;
// STR:       %s.pack.status = call i32 @_ZN5sdrad6detail15boundary_in_opsI{{.*}}4packEPKvPvy(ptr %s, ptr %s.zeroed, i64 %s.bytes)
// STR-LABEL: define internal void @{{.*}}4slen{{.*}}.sdrad_entry(
// STR:       call void @_ZN5sdrad6detail15boundary_in_opsI{{.*}}4makeEPvPKvy(ptr %s.obj,
// STR:       call {{.*}}sdrad_body(ptr {{.*}}%s)
// STR:       call void @_ZN5sdrad6detail15boundary_in_opsI{{.*}}7destroyEPv(
