// The GNU spellings, with the argument strings written out.
// RUN: %clang_sdrad -O0 -S -emit-llvm -o - %s | FileCheck %s

__attribute__((sdrad_isolate("gnudom", "confidentiality")))
int f(__attribute__((sdrad_string)) const char *s) { return s[0]; }

// CHECK: @__sdrad_domain_ref.gnudom = internal global %struct.__sdrad_domain_ref { i64 0, ptr @__sdrad_domain_name.gnudom, i32 1, i32 1 }
// CHECK: define dso_local i32 @f(ptr noundef "sdrad-string" %0)
