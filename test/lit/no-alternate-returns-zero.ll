; Without fallback or fallback value a failed call returns zero.
; RUN: %opt_sdrad %s | FileCheck %s

define { i64, double } @f() #0 {
entry:
  ret { i64, double } zeroinitializer
}
attributes #0 = { "sdrad-domain"="d" }

; CHECK:      fail:
; CHECK-NEXT: ret { i64, double } zeroinitializer
