// Reference parameters lower like pointers to one element: in, out (zeroed
// copy, copied back on success), inout, shared.
// RUN: %clangxx_sdrad -std=c++17 -O0 -S -emit-llvm %s -o - | FileCheck %s
#include <sdrad/isolate.h>

struct P { int x, y; long z; };

SDRAD_ISOLATE("r")
int f(SDRAD_IN(1) const P &in, SDRAD_OUT(1) P &out, SDRAD_INOUT(1) int &io,
      SDRAD_SHARED const P &sh) {
  out = in;
  io += sh.x;
  return 0;
}

// CHECK: define {{.*}}i32 @_Z1fRK1PRS_RiS1_(ptr {{.*}}"sdrad-elem-size"="16" "sdrad-in"="1" {{.*}}, ptr {{.*}}"sdrad-elem-size"="16" "sdrad-out"="1" {{.*}}, ptr {{.*}}"sdrad-elem-size"="4" "sdrad-inout"="1" {{.*}}, ptr {{.*}}"sdrad-shared" {{.*}})
// CHECK: call ptr @__sdrad_copy_in(i64 %{{.*}}, ptr %0, i64 16)
// CHECK: call ptr @__sdrad_copy_in(i64 %{{.*}}, ptr null, i64 16)
// CHECK: call ptr @__sdrad_copy_in(i64 %{{.*}}, ptr %2, i64 4)
// CHECK: store ptr %1, ptr %{{[0-9]+}}
// CHECK-NEXT: getelementptr
// CHECK-NEXT: store i64 16, ptr %{{[0-9]+}}
// CHECK: store ptr %2, ptr %{{[0-9]+}}
// CHECK-NEXT: getelementptr
// CHECK-NEXT: store i64 4, ptr %{{[0-9]+}}
// CHECK-NEXT: call i32 @__sdrad_copies_end(i64 %{{.*}}, ptr %{{[0-9]+}}, i64 3)
