// `this` of an isolated member function is lowered like a pointer to one
// object of the class (also when an sret result comes first):
// this(inout) -> "sdrad-inout"="1" with the class size, this(shared) ->
// "sdrad-shared"; the out-of-line definition carries it.
// RUN: %clangxx_sdrad -std=c++17 -O0 -S -emit-llvm %s -o - | FileCheck %s
#include <sdrad/isolate.h>

struct Big { long a[4]; };
struct Obj {
  int n;
  long t;
  SDRAD_ISOLATE("o", this(inout)) int inc(int v);
  SDRAD_ISOLATE("o", this(shared)) int get() const { return n; }
  SDRAD_ISOLATE("o", this(in)) Big big(int v);
};
int Obj::inc(int v) { return n += v; }
Big Obj::big(int v) { return Big{{v, n, 0, 0}}; }
int use(Obj &o) { return o.get(); }

// CHECK: define {{.*}}i32 @_ZN3Obj3incEi(ptr {{.*}}"sdrad-elem-size"="16" "sdrad-inout"="1" {{.*}}, i32
// CHECK: define {{.*}}void @_ZN3Obj3bigEi(ptr {{.*}}sret(%struct.Big){{.*}}, ptr {{.*}}"sdrad-elem-size"="16" "sdrad-in"="1" {{.*}}, i32
// CHECK: define {{.*}}i32 @_ZNK3Obj3getEv(ptr {{.*}}"sdrad-shared"
