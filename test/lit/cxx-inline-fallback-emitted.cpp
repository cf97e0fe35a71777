// An inline (or static) fallback that nothing else calls is still emitted,
// whether it is defined before or after the isolated function.
// RUN: %clangxx_sdrad -O0 -S -emit-llvm -o - %s | FileCheck %s
#include <sdrad/isolate.h>

inline int before(int x) { return -x; }
inline int after(int x);

SDRAD_ISOLATE(fallback(before)) int f(int x) { return x; }
SDRAD_ISOLATE(fallback(after)) int g(int x) { return x; }

inline int after(int x) { return -2 * x; }

// CHECK-DAG: define linkonce_odr dso_local noundef i32 @_Z6beforei(
// CHECK-DAG: define linkonce_odr dso_local noundef i32 @_Z5afteri(
