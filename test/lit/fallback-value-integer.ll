; "sdrad-fallback-value": a fault returns that constant.
; RUN: %opt_sdrad %s | FileCheck %s

define i16 @f() #0 {
entry:
  ret i16 1
}
attributes #0 = { "sdrad-domain"="d" "sdrad-fallback-value"="-2" }

; CHECK:      fail:
; CHECK-NEXT: ret i16 -2
