; out(n): the domain gets a zero-filled copy (__sdrad_copy_in with a NULL
; source); it is copied back to the caller's buffer only after the call and
; every canary check succeeded.
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
; CHECK-NEXT:    %canary = call i32 @__sdrad_copy_check(i64 %h, ptr %out.copy)
; CHECK-NEXT:    %intact = icmp eq i32 %canary, 0
; CHECK-NEXT:    br i1 %intact, label %success, label %fail
; CHECK:       success:
; CHECK-NEXT:    %ret.slot = getelementptr
; CHECK-NEXT:    %ret = load i32, ptr %ret.slot
; CHECK-NEXT:    %[[NN:out.nonnull[0-9]*]] = icmp ne ptr %out, null
; CHECK-NEXT:    br i1 %[[NN]], label %out.copyout, label %out.copyout.done
; CHECK:       out.copyout:
; CHECK-NEXT:    call void @__sdrad_copy_out(i64 %h, ptr %out, ptr %out.copy, i64 %out.bytes)
; CHECK:       fail:
; CHECK-NOT:     __sdrad_copy_out
; CHECK:         ret i32 0
