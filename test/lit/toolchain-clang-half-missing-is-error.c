// SDRaDPlugin.so without SDRaDPluginClang.so next to it: clang would
// compile without the attributes (no isolation), so the compile fails.
// RUN: rm -rf %t.dir %t.o && mkdir -p %t.dir && cp %plugin %t.dir/
// RUN: not %clang -fplugin=%t.dir/SDRaDPlugin.so -c %s -o %t.o 2>&1 | FileCheck %s
// RUN: test ! -e %t.o
// CHECK: error: SDRaD-C++ plugin (built for LLVM/clang [[LLVM_MAJOR]]): cannot load its Clang half
// CHECK-SAME: SDRaDPluginClang.so: cannot open shared object file
// CHECK-SAME: SDRaDPluginClang.so from the same build must be next to SDRaDPlugin.so
#include <sdrad/isolate.h>
SDRAD_ISOLATE() int f(int x) { return x; }
