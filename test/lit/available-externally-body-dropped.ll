; An available_externally copy of an isolated function is turned into a
; declaration: the definition (and its thunk) is elsewhere, and the body
; must never be inlined outside its domain.
; RUN: %opt_sdrad %s | FileCheck %s

define available_externally i32 @f(i32 %x) #0 {
entry:
  ret i32 %x
}
attributes #0 = { "sdrad-domain"="d" }

; CHECK: declare i32 @f(i32)
; CHECK-NOT: sdrad_body
