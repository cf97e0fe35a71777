; in(16) on a pointer to 8-byte elements: a constant 128-byte copy.
; RUN: %opt_sdrad %s | FileCheck %s

define void @f(ptr "sdrad-in"="16" "sdrad-elem-size"="8" %p) #0 {
entry:
  ret void
}
attributes #0 = { "sdrad-domain"="d" }

; CHECK-NOT: umul.with.overflow
; CHECK: call ptr @__sdrad_copy_in(i64 %h, ptr %p, i64 128)
