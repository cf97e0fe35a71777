; The thunk keeps the calling convention; the entry calls the body with it.
; RUN: %opt_sdrad %s | FileCheck %s

define x86_regcallcc i32 @f(i32 inreg %a, i32 %b) #0 {
entry:
  ret i32 %a
}
attributes #0 = { "sdrad-domain"="d" }

; CHECK: define x86_regcallcc i32 @f(i32 inreg %a, i32 %b)
; CHECK: define internal x86_regcallcc i32 @f.sdrad_body(i32 inreg %a, i32 %b)
; CHECK: call x86_regcallcc i32 @f.sdrad_body(i32 inreg %a, i32 %b)
