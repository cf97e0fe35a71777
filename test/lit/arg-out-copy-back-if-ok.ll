; out with "sdrad-copy-back"="if-ok": copied back only if the result
; satisfies "sdrad-ok-if" (here: == 0: otherwise its __sdrad_copies_end
; entry has no destination, and a buffer carried in the block is not copied
; back); without it (the inout) on every successful call.
; RUN: %opt_sdrad %s | FileCheck %s

define i32 @decode(ptr "sdrad-out"="arg1" "sdrad-elem-size"="1" "sdrad-copy-back"="if-ok" %out, i64 %cap, ptr "sdrad-inout"="1" "sdrad-elem-size"="4" %st) #0 {
entry:
  ret i32 1
}
attributes #0 = { "sdrad-domain"="d" "sdrad-ok-if"="eq 0" }

; CHECK-LABEL: define i32 @decode(
; CHECK:       check:
; CHECK:         %ret = load i32, ptr %ret.slot
; CHECK-NEXT:    %ok.if = icmp eq i32 %ret, 0
; CHECK-NEXT:    %out.dst = select i1 %ok.if, ptr %out, ptr null
; Both buffers were carried in the block (the usual case): copied back from
; it, the out one only to %out.dst.
; CHECK:       copies.end:
; CHECK:         store ptr %out.dst, ptr %out.end.dst
; CHECK:         store i64 %cap, ptr %out.end.bytes
; CHECK:         store ptr %st, ptr %st.end.dst
; CHECK:         store i64 4, ptr %st.end.bytes
; CHECK-NEXT:    %canary = call i32 @__sdrad_copies_end(i64 %h, ptr %copies, i64 2)
; CHECK:       copies.done:
; CHECK-NEXT:    %out.to = icmp ne ptr %out.dst, null
; CHECK-NEXT:    %out.back = and i1 %out.carried, %out.to
; CHECK:       out.copyback:
; CHECK:         call void @llvm.memcpy.p0.p0.i64(ptr align 1 %out.dst, ptr align 16 %out.from, i64 %cap, i1 false)
; CHECK:       st.copyback:
; CHECK:         call void @llvm.memcpy.p0.p0.i64(ptr align 1 %st, ptr align 16 %st.from, i64 4, i1 false)
; CHECK-NOT:   "sdrad-ok-if"
