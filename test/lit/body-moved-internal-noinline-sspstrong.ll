; The original body moves to an internal function that is never inlined and
; always has a stack protector (sspstrong), so that a smashed domain stack is
; caught; its code is unchanged.
; RUN: %opt_sdrad %s | FileCheck %s

define i32 @f(i32 %x) #0 {
entry:
  %y = mul i32 %x, 3
  ret i32 %y
}
attributes #0 = { alwaysinline nounwind "sdrad-domain"="d" }

; CHECK: define internal i32 @f.sdrad_body(i32 %x) unnamed_addr #[[BODY:[0-9]+]] {
; CHECK-NEXT:  entry:
; CHECK-NEXT:    %y = mul i32 %x, 3
; CHECK-NEXT:    ret i32 %y
; CHECK: attributes #[[BODY]] = { noinline nounwind sspstrong "sdrad-body" }
