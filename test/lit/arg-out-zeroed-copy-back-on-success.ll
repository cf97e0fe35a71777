; out(n): the domain gets a zero-filled copy (__sdrad_copy_in with a NULL
; source); __sdrad_copies_end copies it back to the caller's buffer after a
; successful call, once every canary is intact (the runtime checks first).
; RUN: %opt_sdrad %s | FileCheck %s

define i32 @fill(ptr "sdrad-out"="arg1" "sdrad-elem-size"="2" %out, i64 %n) #0 {
entry:
  ret i32 0
}
attributes #0 = { "sdrad-domain"="d" }

; CHECK-LABEL: define i32 @fill(
; CHECK:       out.copyin:
; CHECK-NEXT:    call ptr @__sdrad_copy_in(i64 %h, ptr null, i64 %out.bytes)
; CHECK:       call:
; CHECK-NEXT:    %status = call i32 @__sdrad_call_with(
; CHECK:       check:
; CHECK-NEXT:    %ret.slot = getelementptr
; CHECK-NEXT:    %ret = load i32, ptr %ret.slot
; CHECK:         store ptr %out.copy, ptr %out.end.copy
; CHECK:         store ptr %out, ptr %out.end.dst
; CHECK:         store i64 %out.bytes, ptr %out.end.bytes
; CHECK-NEXT:    %canary = call i32 @__sdrad_copies_end(i64 %h, ptr %copies, i64 1)
; CHECK-NEXT:    %intact = icmp eq i32 %canary, 0
; CHECK-NEXT:    br i1 %intact, label %success, label %fail
; CHECK:       success:
; CHECK-NEXT:    ret i32 %ret
; CHECK:       fail:
; CHECK-NOT:     __sdrad_copies_end
; CHECK:         ret i32 0
