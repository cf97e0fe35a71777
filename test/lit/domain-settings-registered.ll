; The IR contract's per-domain settings: one private constant per domain
; reference ({timeout_ms, 0, heap_limit, init, on_discard}; a function named
; but not in the module is declared void()), registered by the thunk's
; registration path and by a start-up constructor through
; __sdrad_domain_handle_with; the attributes are gone afterwards.
; RUN: %opt_sdrad %s -S | FileCheck %s
; RUN: %opt_sdrad %s -S | FileCheck %s --check-prefix=DECL

; CHECK: @__sdrad_domain_settings.d = private constant %struct.__sdrad_domain_settings { i32 200, i32 0, i64 1048576, ptr @setup, ptr @teardown }, align 8
; CHECK: @llvm.global_ctors = appending global [2 x { i32, ptr, ptr }] [{ i32, ptr, ptr } { i32 65535, ptr @sdrad.register_entries, ptr null }, { i32, ptr, ptr } { i32 65535, ptr @sdrad.register_settings, ptr null }]

define void @setup() {
  ret void
}

define i32 @f(i32 %x) #0 {
  ret i32 %x
}
define i32 @g(i32 %x) #1 {
  ret i32 %x
}

; CHECK-LABEL: define i32 @f(
; CHECK: register:
; CHECK-NEXT: %handle.new = call i64 @__sdrad_domain_handle_with(ptr @__sdrad_domain_ref.d, ptr @__sdrad_domain_settings.d)
; CHECK-LABEL: define i32 @g(
; CHECK: %handle.new = call i64 @__sdrad_domain_handle_with(ptr @__sdrad_domain_ref.d, ptr @__sdrad_domain_settings.d)
; CHECK-LABEL: define internal void @sdrad.register_settings() {
; CHECK-NEXT: entry:
; CHECK-NEXT: %0 = call i64 @__sdrad_domain_handle_with(ptr @__sdrad_domain_ref.d, ptr @__sdrad_domain_settings.d)
; CHECK-NEXT: ret void
; DECL-DAG: declare void @teardown()
; DECL-DAG: declare i64 @__sdrad_domain_handle_with(ptr, ptr)
; CHECK-NOT: sdrad-timeout-ms
; CHECK-NOT: sdrad-heap-limit
; CHECK-NOT: sdrad-init
; CHECK-NOT: sdrad-on-discard

attributes #0 = { "sdrad-domain"="d" "sdrad-timeout-ms"="200" "sdrad-init"="setup" "sdrad-on-discard"="teardown" }
attributes #1 = { "sdrad-domain"="d" "sdrad-heap-limit"="1048576" }
