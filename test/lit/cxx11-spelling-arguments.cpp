// The C++11 spellings with arguments: the isolate arguments as strings or
// identifiers, counts as a parameter's name (before or after) or a constant.
// UNSUPPORTED: llvm-16
// (Clang 16 drops the arguments of [[...]] plugin attributes: see
// diag-clang16-drops-bracket-arguments.cpp.)
// RUN: %clangxx_sdrad -O0 -S -emit-llvm -o - %s | FileCheck %s

[[sdrad::isolate("cxxdom", "confidentiality", "fallback_value(7)")]]
int f([[sdrad::in(n)]] const short *p, int n, [[sdrad::out(4)]] long *q,
      [[sdrad::inout("n")]] char *r) { return p[0]; }

// CHECK: @__sdrad_domain_ref.cxxdom = internal global %struct.__sdrad_domain_ref { i64 0, ptr @__sdrad_domain_name.cxxdom, i32 1, i32 1 }
// CHECK: define dso_local noundef i32 @_Z1fPKsiPlPc(ptr noundef "sdrad-elem-size"="2" "sdrad-in"="arg1" %0, i32 noundef %1, ptr noundef "sdrad-elem-size"="8" "sdrad-out"="4" %2, ptr noundef "sdrad-elem-size"="1" "sdrad-inout"="arg1" %3)
// CHECK: ret i32 7
