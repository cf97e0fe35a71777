// Aggregates of owning types (a struct holding std::string, std::vector,
// std::optional; std::pair of one) as in(1), inout(1) and by-value
// parameters get the serial form of <sdrad/boundary.h>
// (boundary_in_ops<Rec>: size and pack in the caller, make and destroy in
// the domain), inout also the copy back (boundary_out_ops<Rec>).
// RUN: %clangxx_sdrad -std=c++17 -O0 -fno-discard-value-names -S -emit-llvm %s -o %t.ll
// RUN: FileCheck %s < %t.ll
// RUN: %clangxx_sdrad -std=c++20 -O0 -fno-discard-value-names -S -emit-llvm %s -o - | FileCheck %s
#include <sdrad/isolate.h>
#include <optional>
#include <string>
#include <utility>
#include <vector>

struct Rec {
  std::string name;
  std::vector<int> v;
  std::optional<std::string> note;
};

SDRAD_ISOLATE("a", confidentiality) long in(SDRAD_IN(1) const Rec &r) { return (long)r.name.size(); }
SDRAD_ISOLATE("a", confidentiality) int io(SDRAD_INOUT(1) Rec &r) { r.name += "!"; return 0; }
SDRAD_ISOLATE("a", confidentiality) long bv(Rec r, std::pair<Rec, int> p) { return (long)r.v.size() + p.second; }

// CHECK-LABEL: define {{.*}}i64 @_Z2inRK3Rec(ptr {{.*}}"sdrad-elem-size"="96" "sdrad-in"="1" "sdrad-in-deep"="_ZN5sdrad6detail15boundary_in_opsI3RecvE4sizeEPKv;_ZN5sdrad6detail15boundary_in_opsI3RecvE4packEPKvPvy;_ZN5sdrad6detail15boundary_in_opsI3RecvE4makeEPvPKvy;_ZN5sdrad6detail15boundary_in_opsI3RecvE7destroyEPv" %r)
// CHECK:       %r.bytes = call i64 @_ZN5sdrad6detail15boundary_in_opsI3RecvE4sizeEPKv(ptr %r)
// CHECK:       %r.pack.status = call i32 @_ZN5sdrad6detail15boundary_in_opsI3RecvE4packEPKvPvy(ptr %r, ptr %r.zeroed, i64 %r.bytes)
// CHECK-LABEL: define {{.*}}i32 @_Z2ioR3Rec(ptr {{.*}}"sdrad-elem-size"="96" "sdrad-in-deep"="_ZN5sdrad6detail15boundary_in_opsI3RecvE4sizeEPKv;{{[^"]*}}" "sdrad-inout"="1" "sdrad-out-deep"="_ZN5sdrad6detail16boundary_out_opsI3RecE12make_defaultEPv;_ZN5sdrad6detail16boundary_out_opsI3RecE6assignEPvPKv;_ZN5sdrad6detail16boundary_out_opsI3RecE7destroyEPv" %r)
// CHECK:       call void @_ZN5sdrad6detail16boundary_out_opsI3RecE6assignEPvPKv(ptr %r,
// CHECK-LABEL: define {{.*}}i64 @_Z2bv3RecSt4pairIS_iE(ptr {{.*}}"sdrad-elem-size"="96" "sdrad-in"="1" "sdrad-in-deep"="_ZN5sdrad6detail15boundary_in_opsI3RecvE4sizeEPKv;{{[^"]*}}" %r, ptr {{.*}}"sdrad-elem-size"="104" "sdrad-in"="1" "sdrad-in-deep"="_ZN5sdrad6detail15boundary_in_opsISt4pairI3ReciEvE4sizeEPKv;{{[^"]*}}" %p)
// The entries rebuild the objects in the domain and pass them.
// CHECK-LABEL: define internal void @_Z2inRK3Rec.sdrad_entry(
// CHECK:       call void @_ZN5sdrad6detail15boundary_in_opsI3RecvE4makeEPvPKvy(ptr %r.obj, ptr %r.copy, i64 %r.len)
// CHECK:       call {{.*}}@_Z2inRK3Rec.sdrad_body(ptr {{.*}}%r)
// CHECK:       call void @_ZN5sdrad6detail15boundary_in_opsI3RecvE7destroyEPv(
// CHECK-LABEL: define internal void @_Z2bv3RecSt4pairIS_iE.sdrad_entry(
// CHECK:       call void @_ZN5sdrad6detail15boundary_in_opsI3RecvE4makeEPvPKvy(ptr %r.obj, ptr %r.copy, i64 %r.len)
// CHECK:       call void @_ZN5sdrad6detail15boundary_in_opsISt4pairI3ReciEvE4makeEPvPKvy(ptr %p.obj, ptr %p.copy, i64 %p.len)
