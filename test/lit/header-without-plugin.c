// Without the plugin the annotations expand to nothing: the code compiles
// cleanly and nothing is isolated.  -DSDRAD_DISABLE does the same with it.
// RUN: %clang -Wall -Werror -O0 -S -emit-llvm -o - %s | FileCheck %s
// RUN: %clang_sdrad -DSDRAD_DISABLE -Wall -Werror -O0 -S -emit-llvm -o - %s | FileCheck %s
#include <sdrad/isolate.h>
#include <stddef.h>

SDRAD_ISOLATE("p", fallback_value(-1))
int parse(SDRAD_IN(n) const char *b, size_t n, SDRAD_OUT(1) int *o) { return 0; }

// CHECK-NOT: __sdrad
// CHECK: define dso_local i32 @parse(
// CHECK-NOT: __sdrad
