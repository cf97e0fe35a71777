// At -O0 the frontend's annotations become the thunk; nothing of them is
// left in the module, and the body keeps clang's -O0 attributes.
// RUN: %clang_sdrad -O0 -S -emit-llvm -o - %s | FileCheck %s
#include <sdrad/isolate.h>
#include <stddef.h>

SDRAD_ISOLATE("parser", fallback_value(-1))
int parse(SDRAD_IN(len) const char *buf, size_t len) { return buf[0] + (int)len; }

// CHECK-NOT: llvm.global.annotations
// CHECK-NOT: call void @llvm.var.annotation
// CHECK: define dso_local i32 @parse(ptr noundef "sdrad-elem-size"="1" "sdrad-in"="arg1" %0, i64 noundef %1) #[[THUNK:[0-9]+]]
// CHECK: call i32 @__sdrad_call_with(i64 %{{.*}}, ptr @parse.sdrad_entry, ptr %{{.*}}, i64 %{{.*}})
// CHECK: ret i32 -1
// CHECK: define internal i32 @parse.sdrad_body(ptr noundef %0, i64 noundef %1) unnamed_addr #[[BODY:[0-9]+]]
// CHECK: attributes #[[THUNK]] = { noinline nounwind optnone {{.*}}"sdrad-thunk"="parser"
// CHECK: attributes #[[BODY]] = { noinline nounwind optnone sspstrong {{.*}}"sdrad-body"
