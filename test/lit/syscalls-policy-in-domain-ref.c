// syscalls(...) puts the domain's system-call policy into the domain
// reference (SDRAD_POLICY_SYSCALLS_EPERM = 1 << 8, _ANY = 2 << 8), or'ed
// with the memory policy; syscalls(default) is the default.
// RUN: %clang_sdrad -O0 -S -emit-llvm -o - %s | FileCheck %s
#include <sdrad/isolate.h>

SDRAD_ISOLATE("sys_eperm", syscalls(eperm))
int f(int x) { return x; }
SDRAD_ISOLATE("sys_any", confidentiality, syscalls(any))
int g(int x) { return x; }
SDRAD_ISOLATE("sys_default", syscalls(default))
int h(int x) { return x; }

// CHECK-DAG: @__sdrad_domain_ref.sys_eperm = internal global %struct.__sdrad_domain_ref { i64 0, ptr @__sdrad_domain_name.sys_eperm, i32 256, i32 1 }
// CHECK-DAG: @__sdrad_domain_ref.sys_any = internal global %struct.__sdrad_domain_ref { i64 0, ptr @__sdrad_domain_name.sys_any, i32 513, i32 1 }
// CHECK-DAG: @__sdrad_domain_ref.sys_default = internal global %struct.__sdrad_domain_ref { i64 0, ptr @__sdrad_domain_name.sys_default, i32 0, i32 1 }
// CHECK-NOT: sdrad-syscalls
