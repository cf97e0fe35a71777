// At -O2 an allocation stored in an internal pointer global stays an
// allocation.  GlobalOpt would turn it into a static variable ("g.body"):
// root memory, where sdrad_shared_allocations(1) was to give memory that
// domains may write, so the domain's first write to the state faulted.
// RUN: %clang_sdrad -O2 -S -emit-llvm -o - %s | FileCheck %s
#include <stdlib.h>
#include <sdrad/sdrad.h>

struct state { int n; };
static struct state *g;

void lib_init(void) {
  int was = sdrad_shared_allocations(1);
  g = malloc(sizeof *g);
  sdrad_shared_allocations(was);
}
void lib_set(int n) { g->n = n; }
int lib_get(void) { return g ? g->n : -1; }

// CHECK: @g = internal {{.*}}global ptr null
// CHECK: @llvm.compiler.used = {{.*}}ptr @g
// CHECK-NOT: g.body
// CHECK-LABEL: define {{.*}}@lib_init(
// CHECK: [[P:%.*]] = {{.*}}call {{.*}}@malloc(
// CHECK: store ptr [[P]], ptr @g
