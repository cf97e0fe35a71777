; inout(n): copied in from the caller's buffer, and back on success.
; RUN: %opt_sdrad %s | FileCheck %s

define void @scale(ptr "sdrad-inout"="8" "sdrad-elem-size"="8" %v) #0 {
entry:
  ret void
}
attributes #0 = { "sdrad-domain"="d" }

; CHECK: call ptr @__sdrad_copy_in(i64 %h, ptr %v, i64 64)
; CHECK: call i32 @__sdrad_call_with(
; CHECK: store ptr %v.copy, ptr %v.end.copy
; CHECK: store ptr %v, ptr %v.end.dst
; CHECK: store i64 64, ptr %v.end.bytes
; CHECK: call i32 @__sdrad_copies_end(i64 %h, ptr %copies, i64 1)
