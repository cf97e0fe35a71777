; in(16) on a pointer to 8-byte elements: a constant 128-byte copy.
; RUN: %opt_sdrad %s | FileCheck %s

define void @f(ptr "sdrad-in"="16" "sdrad-elem-size"="8" %p) #0 {
entry:
  ret void
}
attributes #0 = { "sdrad-domain"="d" }

; CHECK-NOT: umul.with.overflow
; CHECK: store ptr %p, ptr %p.begin.src
; CHECK-NEXT: %p.begin.bytes = getelementptr
; CHECK-NEXT: store i64 128, ptr %p.begin.bytes
; CHECK: call i32 @__sdrad_copies_begin(i64 %h, ptr %made, i64 1)
