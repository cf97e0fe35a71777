; inout(n): copied in from the caller's buffer, and back on success.
; RUN: %opt_sdrad %s | FileCheck %s

define void @scale(ptr "sdrad-inout"="8" "sdrad-elem-size"="8" %v) #0 {
entry:
  ret void
}
attributes #0 = { "sdrad-domain"="d" }

; CHECK: store ptr %v, ptr %v.begin.src
; CHECK: store i64 64, ptr %v.begin.bytes
; CHECK: store i64 0, ptr %v.begin.kind
; CHECK: call i32 @__sdrad_copies_begin(i64 %h, ptr %made, i64 1)
; CHECK: call i32 @__sdrad_call_with(
; CHECK: store ptr %v.copy, ptr %v.end.copy
; CHECK: store ptr %v, ptr %v.end.dst
; CHECK: store i64 64, ptr %v.end.bytes
; CHECK: call i32 @__sdrad_copies_end(i64 %h, ptr %copies, i64 1)
