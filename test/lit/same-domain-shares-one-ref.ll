; Functions naming the same domain use one reference (and so one cached
; handle) per module.
; RUN: %opt_sdrad %s | FileCheck %s

; CHECK:     @__sdrad_domain_ref.store = internal global
; CHECK-NOT: @__sdrad_domain_ref.store{{.+}} = internal global

define void @put() #0 {
entry:
  ret void
}
define i32 @get() #0 {
entry:
  ret i32 1
}
attributes #0 = { "sdrad-domain"="store" }

; CHECK-LABEL: define void @put()
; CHECK: load atomic i64, ptr @__sdrad_domain_ref.store monotonic
; CHECK-LABEL: define i32 @get()
; CHECK: load atomic i64, ptr @__sdrad_domain_ref.store monotonic
