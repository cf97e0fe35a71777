// SDRAD_IN(1) on a const std::string&: the thunk asks the object for its
// size (boundary_in_ops<std::string>::size, in the caller), gets a zeroed
// copy of that many bytes in the domain and has pack() write at most them
// (a non-zero status: the object changed size meanwhile, the copy is given
// back and the call fails without entering the domain); the
// entry builds a std::string from the copy in the block (make, in the
// domain), passes it to the body and destroys it afterwards.
// A view (std::string_view, std::span<const T>) is trivially copyable but
// points at the caller's memory: deep-copied in the same way, also through
// a template parameter.
// RUN: %clangxx_sdrad -std=c++20 -O0 -fno-discard-value-names -S -emit-llvm %s -o %t.ll
// RUN: FileCheck %s < %t.ll
// RUN: FileCheck --check-prefix=VIEW %s < %t.ll
#include <sdrad/isolate.h>
#include <span>
#include <string>
#include <string_view>

SDRAD_ISOLATE("d", confidentiality) long vlen(SDRAD_IN(1) const std::string_view &v) { return (long)v.size(); }
SDRAD_ISOLATE("d", confidentiality) long slen(SDRAD_IN(1) const std::span<const int> &v) { return (long)v.size(); }
template <class T> SDRAD_ISOLATE("d", confidentiality) long tlen(SDRAD_IN(1) const T &v) { return (long)v.size(); }
long use(std::string_view v) { return tlen(v); }

// VIEW: define {{.*}}@_Z4vlenRKSt17basic_string_viewIcSt11char_traitsIcEE(ptr {{.*}}"sdrad-in"="1" "sdrad-in-deep"="_ZN5sdrad6detail15boundary_in_opsISt17basic_string_view
// VIEW: define {{.*}}@_Z4slenRKSt4spanIKiLm18446744073709551615EE(ptr {{.*}}"sdrad-in"="1" "sdrad-in-deep"="_ZN5sdrad6detail15boundary_in_opsISt4spanIKiLm18446744073709551615EE
// VIEW: define {{.*}}@_Z4tlenISt17basic_string_viewIcSt11char_traitsIcEEElRKT_(ptr {{.*}}"sdrad-in"="1" "sdrad-in-deep"="_ZN5sdrad6detail15boundary_in_opsISt17basic_string_view

SDRAD_ISOLATE("d", confidentiality) long len(SDRAD_IN(1) const std::string &s) { return (long)s.size(); }

// CHECK-LABEL: define {{.*}}i64 @_Z3lenRKNSt7__cxx1112basic_stringIcSt11char_traitsIcESaIcEEE(ptr {{.*}}"sdrad-elem-size"="32" "sdrad-in"="1" "sdrad-in-deep"="_ZN5sdrad6detail15boundary_in_opsI{{.*}}4sizeEPKv;{{.*}}4packEPKvPvy;{{.*}}4makeEPvPKvy;{{.*}}7destroyEPv"
// CHECK:       %s.bytes = call i64 @_ZN5sdrad6detail15boundary_in_opsI{{.*}}4sizeEPKv(ptr %s)
// CHECK-NEXT:  %s.zeroed = call ptr @__sdrad_copy_in(i64 %h, ptr null, i64 %s.bytes)
// CHECK:       %s.copy = phi ptr [ null, %fill ], [ null, %s.pack ], [ %s.zeroed, %s.write ], [ null, %s.changed ]
// CHECK:       %s.pack.status = call i32 @_ZN5sdrad6detail15boundary_in_opsI{{.*}}4packEPKvPvy(ptr %s, ptr %s.zeroed, i64 %s.bytes)
// CHECK-NEXT:  %s.changed.now = icmp ne i32 %s.pack.status, 0
// CHECK-NEXT:  br i1 %s.changed.now, label %s.changed, label %s.packed
// CHECK:     s.changed:
// CHECK-NEXT:  call void @__sdrad_block_free(i64 %h, ptr %s.zeroed)
// CHECK-LABEL: define internal void @{{.*}}.sdrad_entry(
// CHECK:       %s.obj = getelementptr
// CHECK:       call void @_ZN5sdrad6detail15boundary_in_opsI{{.*}}4makeEPvPKvy(ptr %s.obj, ptr %s.copy, i64 %s.len)
// CHECK:       %s = select i1 %s.given, ptr %s.obj, ptr null
// CHECK-NEXT:  call {{.*}}sdrad_body(ptr {{.*}}%s)
// CHECK:       call void @_ZN5sdrad6detail15boundary_in_opsI{{.*}}7destroyEPv(
