// An isolated lambda: the count names the operator's parameter (IR
// argument 2: 0 is the closure), at -O0 and -O2, in a template too.
// RUN: %clangxx_sdrad -std=c++17 -O0 -S -emit-llvm %s -o - 2>&1 | FileCheck %s --check-prefixes=CHECK,O0
// RUN: %clangxx_sdrad -std=c++17 -O2 -S -emit-llvm %s -o - 2>&1 | FileCheck %s
#include <sdrad/isolate.h>

int run(const int *a) {
  auto sum = [](SDRAD_IN(n) const int *p, int n) SDRAD_ISOLATE("lam") {
    int s = 0;
    for (int i = 0; i < n; ++i)
      s += p[i];
    return s;
  };
  return sum(a, 3);
}

template <class T> T trun(const T *a) {
  auto sum = [](SDRAD_IN(n) const T *p, int n) SDRAD_ISOLATE("lam") {
    T s = 0;
    for (int i = 0; i < n; ++i)
      s += p[i];
    return s;
  };
  return sum(a, 2);
}
template long trun<long>(const long *);

// CHECK-NOT: not found
// O0-DAG: define {{.*}} @"_ZZ3runPKiENK3$_0clES0_i"(ptr {{.*}}, ptr {{.*}}"sdrad-elem-size"="4" "sdrad-in"="arg2"{{.*}}, i32 {{.*}})
// O0-DAG: define {{.*}}@_ZZ4trunIlET_PKS0_ENKUlPKliE_clES4_i(ptr {{.*}}, ptr {{.*}}"sdrad-elem-size"="8" "sdrad-in"="arg2"{{.*}}, i32 {{.*}})
// CHECK-DAG: define internal {{.*}} @"_ZZ3runPKiENK3$_0clES0_i.sdrad_body"
// CHECK-DAG: define internal {{.*}} @_ZZ4trunIlET_PKS0_ENKUlPKliE_clES4_i.sdrad_body
