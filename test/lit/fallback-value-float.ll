; A floating-point fallback value.
; RUN: %opt_sdrad %s | FileCheck %s

define double @f() #0 {
entry:
  ret double 1.0
}
attributes #0 = { "sdrad-domain"="d" "sdrad-fallback-value"="-1.5" }

; CHECK:      fail:
; CHECK-NEXT: ret double -1.500000e+00
