// ok_if() and the out/inout copy-back options reach the IR contract:
// "sdrad-ok-if" on the function (signed or unsigned predicate by the return
// type), "sdrad-copy-back" on the parameter.
// RUN: %clang_sdrad -O0 -fno-discard-value-names -S -emit-llvm %s -o - | FileCheck %s
#include <sdrad/isolate.h>
#include <stddef.h>

SDRAD_ISOLATE("png", ok_if(== 0))
int decode(SDRAD_OUT(cap, if_ok) unsigned char *out, size_t cap) { return 0; }

SDRAD_ISOLATE("rd")
long rd(SDRAD_OUT(cap, returned) int *buf, size_t cap) { return 0; }

SDRAD_ISOLATE("both", ok_if(> 0))
unsigned both(SDRAD_INOUT(cap, if_ok, returned) char *buf, size_t cap) { return 0; }

SDRAD_ISOLATE("ptr", ok_if(!= NULL), shared)
char *p(SDRAD_OUT(4, if_ok) char *buf) { return buf; }

__attribute__((sdrad_isolate("raw", "ok_if(>= 0)")))
int raw(__attribute__((sdrad_out("n", "returned"))) char *buf, int n) { return 0; }

// CHECK-LABEL: define {{.*}}i32 @decode(ptr {{.*}}"sdrad-copy-back"="if-ok" {{.*}}"sdrad-out"="arg1"
// CHECK: %ok.if = icmp eq i32 %ret, 0
// CHECK-LABEL: define {{.*}}i64 @rd(ptr {{.*}}"sdrad-copy-back"="returned" {{.*}}"sdrad-out"="arg1"
// CHECK-NOT: ok.if
// CHECK: %copy.bytes = mul i64 %copy.count, 4
// CHECK-LABEL: define {{.*}}i32 @both(ptr {{.*}}"sdrad-copy-back"="if-ok,returned" {{.*}}"sdrad-inout"="arg1"
// CHECK: %ok.if = icmp ugt i32 %ret, 0
// CHECK-LABEL: define {{.*}}ptr @p(ptr {{.*}}"sdrad-copy-back"="if-ok" {{.*}}"sdrad-out"="4"
// CHECK: %ok.if = icmp ne ptr %ret, null
// CHECK-LABEL: define {{.*}}i32 @raw(ptr {{.*}}"sdrad-copy-back"="returned" {{.*}}"sdrad-out"="arg1"
// CHECK: %ok.if = icmp sge i32 %ret, 0
