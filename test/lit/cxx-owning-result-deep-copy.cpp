// A returned std::string: the block is allocated in the domain (not inline),
// the result is copy-constructed into the caller's slot by
// sdrad::detail::boundary<std::string>::copy_out, then destroyed in the
// domain (F.sdrad_drop through __sdrad_call); a failed call returns a
// default-constructed string (make_default), not zeroed bytes.
// RUN: %clangxx_sdrad -std=c++17 -O0 -fno-discard-value-names -S -emit-llvm %s -o - | FileCheck %s
#include <sdrad/isolate.h>
#include <string>

SDRAD_ISOLATE("s") std::string name(int n) { return std::string(n, 'x'); }

// CHECK-LABEL: define {{.*}}void @_Z4nameB5cxx11i(ptr {{.*}}sret(%"class.std::__cxx11::basic_string") {{.*}}%agg.result, i32 {{.*}})
// CHECK:       %blk = call ptr @__sdrad_block_alloc(
// CHECK:       %status = call i32 @__sdrad_call(i64 %h, ptr @_Z4nameB5cxx11i.sdrad_entry, ptr %blk)
// CHECK:       success:
// CHECK:       call void @_ZN5sdrad6detail8boundaryINSt7__cxx1112basic_stringIcSt11char_traitsIcESaIcEEEE8copy_outEPvPKv(ptr %agg.result, ptr %{{[0-9a-z.]+}})
// CHECK-NEXT:  %drop.status = call i32 @__sdrad_call(i64 %h, ptr @_Z4nameB5cxx11i.sdrad_drop, ptr %blk)
// CHECK:       fail:
// CHECK-NEXT:  call void @_ZN5sdrad6detail8boundaryINSt7__cxx1112basic_stringIcSt11char_traitsIcESaIcEEEE12make_defaultEPv(ptr %agg.result)
// CHECK-DAG:   define linkonce_odr {{.*}}void @_ZN5sdrad6detail8boundaryINSt7__cxx1112basic_stringIcSt11char_traitsIcESaIcEEEE8copy_outEPvPKv(
// CHECK-DAG:   define linkonce_odr {{.*}}void @_ZN5sdrad6detail8boundaryINSt7__cxx1112basic_stringIcSt11char_traitsIcESaIcEEEE7destroyEPv(
// CHECK-DAG:   define internal void @_Z4nameB5cxx11i.sdrad_drop(ptr %0)
