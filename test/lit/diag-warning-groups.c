// Each plugin warning is in a -Wsdrad-... group (and all in -Wsdrad): it can
// be silenced, made an error, and follows -Werror and -w.  Clang 19 reports
// the -Wsdrad-... options as unknown before it loads the plugin; the
// -fplugin-arg-sdrad-W... spelling avoids that.
// RUN: %clang_sdrad -fsyntax-only %s 2>&1 | FileCheck %s --check-prefix=DEFAULT
// RUN: %clang_sdrad -fsyntax-only -Wno-unknown-warning-option -Wno-sdrad-unannotated-pointer %s 2>&1 | FileCheck %s --check-prefix=NOPTR
// RUN: %clang_sdrad -fsyntax-only -fplugin-arg-sdrad-Wno-sdrad-unannotated-pointer %s 2>&1 | FileCheck %s --check-prefix=NOPTR
// RUN: %clang_sdrad -fsyntax-only -fplugin-arg-sdrad-Wno-sdrad %s 2>&1 | FileCheck %s --check-prefix=NONE --allow-empty
// RUN: %clang_sdrad -fsyntax-only -w %s 2>&1 | FileCheck %s --check-prefix=NONE --allow-empty
// RUN: not %clang_sdrad -fsyntax-only -Werror %s 2>&1 | FileCheck %s --check-prefix=WERROR
// RUN: not %clang_sdrad -fsyntax-only -Wno-unknown-warning-option -Werror=sdrad-returned-pointer %s 2>&1 | FileCheck %s --check-prefix=ONEERROR
// RUN: not %clang_sdrad -fsyntax-only -Werror -fplugin-arg-sdrad-Wno-error=sdrad-unannotated-pointer %s 2>&1 | FileCheck %s --check-prefix=ONEERROR
// RUN: not %clang_sdrad -fsyntax-only -fplugin-arg-sdrad-bogus %s 2>&1 | FileCheck %s --check-prefix=BADARG
#include <sdrad/isolate.h>

SDRAD_ISOLATE() int f(int *p);
SDRAD_ISOLATE() char *g(int x);

// DEFAULT: 16:28: warning: pointer parameter 'p' {{.*}} [-Wsdrad-unannotated-pointer]
// DEFAULT: 17:23: warning: 'g' returns a pointer {{.*}} [-Wsdrad-returned-pointer]
// DEFAULT: 2 warnings generated.

// NOPTR-NOT: pointer parameter
// NOPTR: warning: 'g' returns a pointer {{.*}} [-Wsdrad-returned-pointer]
// NOPTR-NOT: pointer parameter

// NONE-NOT: {{warning|error}}

// WERROR: error: pointer parameter 'p' {{.*}} [-Werror,-Wsdrad-unannotated-pointer]
// WERROR: error: 'g' returns a pointer {{.*}} [-Werror,-Wsdrad-returned-pointer]

// ONEERROR: warning: pointer parameter 'p' {{.*}} [-Wsdrad-unannotated-pointer]
// ONEERROR: error: 'g' returns a pointer {{.*}} [-Werror,-Wsdrad-returned-pointer]
// ONEERROR: 1 warning and 1 error generated.

// BADARG: error: unknown argument 'bogus' for the sdrad plugin
