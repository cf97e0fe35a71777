// The fix-its for unannotated reference parameters produce code that
// compiles without any sdrad diagnostic: shared for a const reference under
// integrity, inout(1) for a non-const one, in(1) under confidentiality.
// RUN: cp %s %t.cpp
// RUN: not %clangxx_sdrad -std=c++17 -fsyntax-only -fdiagnostics-parseable-fixits %t.cpp 2>&1 | FileCheck %s
// RUN: not %clangxx_sdrad -std=c++17 -fsyntax-only -Xclang -fixit %t.cpp
// RUN: %clangxx_sdrad -std=c++17 -fsyntax-only -Werror %t.cpp
// RUN: FileCheck %s --check-prefix=FIXED < %t.cpp
#include <sdrad/isolate.h>

struct P { int x, y; };
SDRAD_ISOLATE() int a(const P &p);
SDRAD_ISOLATE() int b(P &p);
SDRAD_ISOLATE("c", confidentiality) int c(const P &p);
SDRAD_ISOLATE() int d(int *p);

// CHECK: fix-it:"{{.*}}":{12:23-12:23}:"SDRAD_SHARED "
// CHECK: fix-it:"{{.*}}":{13:23-13:23}:"SDRAD_INOUT(1) "
// CHECK: fix-it:"{{.*}}":{14:43-14:43}:"SDRAD_IN(1) "
// CHECK: fix-it:"{{.*}}":{15:23-15:23}:"SDRAD_SHARED "
// FIXED: SDRAD_ISOLATE() int a(SDRAD_SHARED const P &p);
// FIXED: SDRAD_ISOLATE() int b(SDRAD_INOUT(1) P &p);
// FIXED: SDRAD_ISOLATE("c", confidentiality) int c(SDRAD_IN(1) const P &p);
// FIXED: SDRAD_ISOLATE() int d(SDRAD_SHARED int *p);
