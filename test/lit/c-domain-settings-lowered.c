// timeout_ms(), heap_limit(), init() and on_discard() become one constant
// __sdrad_domain_settings per domain ({timeout_ms, 0, heap_limit, init,
// on_discard}), registered at start-up by sdrad.register_settings (in
// llvm.global_ctors) and by the thunk's registration path, both through
// __sdrad_domain_handle_with.  A domain without settings keeps
// __sdrad_domain_handle.  Static hooks are emitted even if nothing else
// calls them.
// RUN: %clang_sdrad -O0 -S -emit-llvm -o - %s | FileCheck %s
#include <sdrad/isolate.h>

static void setup(void) {}
static void reset(void) {}

SDRAD_ISOLATE("worker", timeout_ms(250), heap_limit(8M), init(setup),
              on_discard(reset))
int work(int x) { return x; }
// Another function of the same domain, giving part of the same settings.
SDRAD_ISOLATE("worker", heap_limit(8388608))
int more(int x) { return x + 1; }
SDRAD_ISOLATE("plain")
int plain(int x) { return x; }

// CHECK-DAG: @__sdrad_domain_settings.worker = private constant %struct.__sdrad_domain_settings { i32 250, i32 0, i64 8388608, ptr @setup, ptr @reset }
// CHECK-DAG: @llvm.global_ctors = {{.*}}@sdrad.register_settings
// CHECK-DAG: define internal void @setup()
// CHECK-DAG: define internal void @reset()
// CHECK-NOT: sdrad-timeout-ms
// CHECK-NOT: sdrad-heap-limit

// CHECK-LABEL: define {{.*}}i32 @work(
// CHECK: call i64 @__sdrad_domain_handle_with(ptr @__sdrad_domain_ref.worker, ptr @__sdrad_domain_settings.worker)
// CHECK-LABEL: define {{.*}}i32 @more(
// CHECK: call i64 @__sdrad_domain_handle_with(ptr @__sdrad_domain_ref.worker, ptr @__sdrad_domain_settings.worker)
// CHECK-LABEL: define {{.*}}i32 @plain(
// CHECK: call i64 @__sdrad_domain_handle(ptr @__sdrad_domain_ref.plain)
// CHECK-LABEL: define internal void @sdrad.register_settings()
// CHECK-NEXT: call i64 @__sdrad_domain_handle_with(ptr @__sdrad_domain_ref.worker, ptr @__sdrad_domain_settings.worker)
// CHECK-NEXT: ret void
