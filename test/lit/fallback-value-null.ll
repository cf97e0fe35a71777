; A pointer result falls back to null.
; RUN: %opt_sdrad %s | FileCheck %s

define ptr @f() #0 {
entry:
  ret ptr null
}
attributes #0 = { "sdrad-domain"="d" "sdrad-fallback-value"="null" }

; CHECK:      fail:
; CHECK-NEXT: ret ptr null
