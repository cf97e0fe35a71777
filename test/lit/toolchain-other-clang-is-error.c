// Debian's default clang (14) with the plugin: an error, not a build without
// isolation.  -fplugin, -fpass-plugin and opt all refuse.
// RUN: rm -f %t.o
// RUN: not clang-14 -fplugin=%plugin %includes -c %s -o %t.o 2>&1 | FileCheck %s
// RUN: test ! -e %t.o
// RUN: not clang-14 -fpass-plugin=%plugin %includes -c %s -o %t.o 2>&1 | FileCheck %s
// RUN: test ! -e %t.o
// RUN: not opt-14 -load-pass-plugin=%plugin -passes=sdrad-isolate -disable-output %S/declarations-untouched.ll 2>&1 | FileCheck %s
// CHECK: error: SDRaD-C++ plugin (built for LLVM/clang [[LLVM_MAJOR]]): this compiler is another LLVM version (it uses {{.*}}libLLVM-14
// CHECK-SAME: compile with clang-[[LLVM_MAJOR]] / clang++-[[LLVM_MAJOR]] (CMake: -DCMAKE_C_COMPILER=clang-[[LLVM_MAJOR]] -DCMAKE_CXX_COMPILER=clang++-[[LLVM_MAJOR]])
#include <sdrad/isolate.h>
SDRAD_ISOLATE() int f(int x) { return x; }
