; Key switching is the runtime's job (inside __sdrad_call): the thunk has no
; inline assembly, so no WRPKRU.
; RUN: %opt_sdrad %s | FileCheck %s

define i32 @f(i32 %x) #0 {
entry:
  ret i32 %x
}
attributes #0 = { "sdrad-domain"="d" }

; CHECK-NOT: asm
; CHECK-NOT: wrpkru
