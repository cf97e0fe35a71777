// By-value views that do not fit in registers are passed in memory
// (byval): a std::string_view as the 7th argument (the six integer
// registers are taken) and a struct holding a view (24 bytes).  They are
// deep-copied in like the ones in registers: the thunk sizes and packs
// the caller's object straight from the byval argument; the entry builds
// the domain's object in the block and passes it byval, so the body's copy
// points at the domain's bytes.
// RUN: %clangxx_sdrad -std=c++17 -O0 -fno-discard-value-names -S -emit-llvm %s -o %t.ll
// RUN: FileCheck %s < %t.ll
#include <sdrad/isolate.h>
#include <string>
#include <string_view>

struct Named {
  std::string_view name;
  long n;
};

SDRAD_ISOLATE("v", confidentiality)
long seventh(int a, int b, int c, int d, int e, int f, std::string_view v) { return (long)v.size() + a; }

SDRAD_ISOLATE("v", confidentiality)
long named(Named x) { return (long)x.name.size() + x.n; }

// sret takes the first register: the view is the 5th argument, in memory.
SDRAD_ISOLATE("v", confidentiality)
std::string tagged(int a, int b, int c, int d, std::string_view v) { return std::string(v); }

// CHECK-LABEL: define {{.*}}i64 @_Z7seventhiiiiiiSt17basic_string_viewIcSt11char_traitsIcEE(
// CHECK-SAME:  ptr noundef byval(%"class.std::basic_string_view") align 8 "sdrad-elem-size"="16" "sdrad-in"="1" "sdrad-in-deep"="_ZN5sdrad6detail15boundary_in_opsISt17basic_string_view{{[^"]*}}" %v)
// CHECK:       %v.bytes = call i64 @_ZN5sdrad6detail15boundary_in_opsISt17basic_string_view{{.*}}4sizeEPKv(ptr %v)
// CHECK:       %v.pack.status = call i32 @_ZN5sdrad6detail15boundary_in_opsISt17basic_string_view{{.*}}4packEPKvPvy(ptr %v, ptr %v.zeroed, i64 %v.bytes)
// CHECK-LABEL: define {{.*}}i64 @_Z5named5Named(
// CHECK-SAME:  ptr noundef byval(%struct.Named) align 8 "sdrad-elem-size"="24" "sdrad-in"="1" "sdrad-in-deep"="_ZN5sdrad6detail15boundary_in_opsI5NamedvE4sizeEPKv;{{[^"]*}}" %x)
// CHECK:       %x.pack.status = call i32 @_ZN5sdrad6detail15boundary_in_opsI5NamedvE4packEPKvPvy(ptr %x, ptr %x.zeroed, i64 %x.bytes)
// CHECK-LABEL: define {{.*}}void @_Z6tagged{{(B5cxx11)?}}iiiiSt17basic_string_viewIcSt11char_traitsIcEE(
// CHECK-SAME:  ptr {{.*}}sret(%"class.std::{{.*}}basic_string") align 8 %agg.result, i32 {{.*}}%d,
// CHECK-SAME:  ptr noundef byval(%"class.std::basic_string_view") align 8 "sdrad-elem-size"="16" "sdrad-in"="1" "sdrad-in-deep"="{{[^"]*}}" %v)
// CHECK:       %v.pack.status = call i32 @_ZN5sdrad6detail15boundary_in_opsISt17basic_string_view{{.*}}4packEPKvPvy(ptr %v, ptr %v.zeroed, i64 %v.bytes)
// CHECK-LABEL: define internal void @_Z7seventhiiiiiiSt17basic_string_viewIcSt11char_traitsIcEE.sdrad_entry(
// CHECK:       %v.obj = getelementptr
// CHECK:       call void @_ZN5sdrad6detail15boundary_in_opsISt17basic_string_view{{.*}}4makeEPvPKvy(ptr %v.obj, ptr %v.copy, i64 %v.len)
// CHECK:       call {{.*}}@_Z7seventhiiiiiiSt17basic_string_viewIcSt11char_traitsIcEE.sdrad_body(i32 {{.*}}%f, ptr {{.*}}byval(%"class.std::basic_string_view") align 8 %v.obj)
// CHECK:       call void @_ZN5sdrad6detail15boundary_in_opsISt17basic_string_view{{.*}}7destroyEPv(
// CHECK-LABEL: define internal void @_Z5named5Named.sdrad_entry(
// CHECK:       call {{.*}}@_Z5named5Named.sdrad_body(ptr {{.*}}byval(%struct.Named) align 8 %x.obj)
