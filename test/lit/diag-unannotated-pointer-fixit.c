// The unannotated-pointer diagnostic offers SDRAD_SHARED as a fix-it.
// RUN: %clang_sdrad -fsyntax-only -fdiagnostics-parseable-fixits %s 2>&1 | FileCheck %s
#include <sdrad/isolate.h>

SDRAD_ISOLATE()
int f(const char *buf);

// CHECK: warning: pointer parameter 'buf'
// CHECK: fix-it:"{{.*}}diag-unannotated-pointer-fixit.c":{6:7-6:7}:"SDRAD_SHARED "
