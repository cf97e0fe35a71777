// Annotations written on the declaration (the header) apply to a later
// definition that repeats none of them.
// RUN: %clang_sdrad -O0 -S -emit-llvm -o - %s 2>&1 | FileCheck %s
#include <sdrad/isolate.h>
#include <stddef.h>

SDRAD_ISOLATE("hdr", fallback_value(-1))
int parse(SDRAD_IN(len) const char *buf, size_t len, SDRAD_OUT(1) int *out);

int parse(const char *buf, size_t len, int *out) {
  *out = buf[0];
  return (int)len;
}

// CHECK-NOT: warning
// CHECK: define dso_local i32 @parse(ptr noundef "sdrad-elem-size"="1" "sdrad-in"="arg1" %0, i64 noundef %1, ptr noundef "sdrad-elem-size"="4" "sdrad-out"="1" %2) #[[A:[0-9]+]]
// CHECK: ret i32 -1
// CHECK: attributes #[[A]] = {{.*}}"sdrad-thunk"="hdr"
