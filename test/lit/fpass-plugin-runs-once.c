// -fplugin adds the pass itself; given -fpass-plugin as well, it still
// runs once.
// RUN: %clang_sdrad -fpass-plugin=%plugin -O2 -S -emit-llvm -o - %s | FileCheck %s
#include <sdrad/isolate.h>

SDRAD_ISOLATE()
int f(int x) { return x + 1; }

// CHECK-COUNT-1: call i32 @__sdrad_call_with(
// CHECK-NOT: sdrad_body.sdrad_body
