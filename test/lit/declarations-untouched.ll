; Declarations of isolated functions (defined in another module) are left
; alone: calls go to the symbol, which is the thunk where it is defined.
; RUN: %opt_sdrad %s | FileCheck %s

declare i32 @elsewhere(i32) #0
define i32 @g() {
entry:
  %r = call i32 @elsewhere(i32 2)
  ret i32 %r
}
attributes #0 = { "sdrad-domain"="d" }

; CHECK: declare i32 @elsewhere(i32)
; CHECK: call i32 @elsewhere(i32 2)
; CHECK-NOT: __sdrad
