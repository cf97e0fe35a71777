// Each instantiation of an isolated function template is isolated, with the
// element size of its own type.
// RUN: %clangxx_sdrad -O0 -S -emit-llvm -o - %s | FileCheck %s
#include <sdrad/isolate.h>

template <class T>
SDRAD_ISOLATE("tmpl")
T sum(SDRAD_IN(n) const T *p, int n) {
  T s = 0;
  for (int i = 0; i < n; ++i) s += p[i];
  return s;
}
double use(const double *d, const short *s) { return sum(d, 3) + sum(s, 2); }

// CHECK-DAG: define linkonce_odr dso_local noundef double @_Z3sumIdET_PKS0_i(ptr noundef "sdrad-elem-size"="8" "sdrad-in"="arg1" %0, i32 noundef %1) #{{[0-9]+}} comdat {
// CHECK-DAG: define linkonce_odr dso_local noundef signext i16 @_Z3sumIsET_PKS0_i(ptr noundef "sdrad-elem-size"="2" "sdrad-in"="arg1" %0, i32 noundef %1) #{{[0-9]+}} comdat
// CHECK-DAG: define internal noundef double @_Z3sumIdET_PKS0_i.sdrad_body({{.*}}) unnamed_addr #{{[0-9]+}} comdat($_Z3sumIdET_PKS0_i)
