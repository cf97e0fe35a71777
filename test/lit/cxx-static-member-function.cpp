// A static member function can be isolated.
// RUN: %clangxx_sdrad -O0 -S -emit-llvm -o - %s | FileCheck %s
#include <sdrad/isolate.h>

struct Codec {
  SDRAD_ISOLATE("codec") static int decode(int x) { return x ^ 1; }
};
int use() { return Codec::decode(2); }

// CHECK: define linkonce_odr dso_local noundef i32 @_ZN5Codec6decodeEi(i32 noundef %0) #[[T:[0-9]+]] comdat align 2
// CHECK: attributes #[[T]] = {{.*}}"sdrad-thunk"="codec"
