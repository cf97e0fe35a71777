; out with "sdrad-copy-back"="if-ok": copied back only if the result
; satisfies "sdrad-ok-if" (here: == 0); without it (the inout) on every
; successful call.
; RUN: %opt_sdrad %s | FileCheck %s

define i32 @decode(ptr "sdrad-out"="arg1" "sdrad-elem-size"="1" "sdrad-copy-back"="if-ok" %out, i64 %cap, ptr "sdrad-inout"="1" "sdrad-elem-size"="4" %st) #0 {
entry:
  ret i32 1
}
attributes #0 = { "sdrad-domain"="d" "sdrad-ok-if"="eq 0" }

; CHECK-LABEL: define i32 @decode(
; CHECK:       success:
; CHECK:         %ret = load i32, ptr %ret.slot
; CHECK-NEXT:    %ok.if = icmp eq i32 %ret, 0
; CHECK-NEXT:    %[[NN:out.nonnull[0-9]*]] = icmp ne ptr %out, null
; CHECK-NEXT:    %out.ok = and i1 %[[NN]], %ok.if
; CHECK-NEXT:    br i1 %out.ok, label %out.copyout, label %out.copyout.done
; CHECK:       out.copyout:
; CHECK-NEXT:    call void @__sdrad_copy_out(i64 %h, ptr %out, ptr %out.copy, i64 %cap)
; CHECK:       out.copyout.done:
; CHECK-NEXT:    %[[SN:st.nonnull[0-9]*]] = icmp ne ptr %st, null
; CHECK-NEXT:    br i1 %[[SN]], label %st.copyout, label %st.copyout.done
; CHECK-NOT:   "sdrad-ok-if"
