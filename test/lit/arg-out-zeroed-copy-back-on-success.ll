; out(n): the domain gets zero-filled memory: in the block itself when it
; fits (memset, then the canary word and zeroed padding; its field says where
; and how long), else a zero-filled copy (__sdrad_copy_in with a NULL source).
; After a successful call it goes back to the caller's buffer: from the block,
; or by __sdrad_copies_end once every copy's canary is intact.
; RUN: %opt_sdrad %s | FileCheck %s

define i32 @fill(ptr "sdrad-out"="arg1" "sdrad-elem-size"="2" %out, i64 %n) #0 {
entry:
  ret i32 0
}
attributes #0 = { "sdrad-domain"="d" }

; CHECK-LABEL: define i32 @fill(
; CHECK:       out.carry:
; CHECK-NEXT:    %out.inblock = getelementptr inbounds i8, ptr %blk, i64 32
; CHECK-NEXT:    call void @llvm.memset.p0.i64(ptr align 16 %out.inblock, i8 0, i64 %out.bytes, i1 false)
; CHECK-NEXT:    %out.guard = getelementptr inbounds i8, ptr %out.inblock, i64 %out.bytes
; CHECK-NEXT:    store i64 6722414919663943168, ptr %out.guard, align 1
; CHECK-NEXT:    %out.pad = getelementptr inbounds i8, ptr %out.guard, i64 8
; CHECK-NEXT:    call void @llvm.memset.p0.i64(ptr align 1 %out.pad, i8 0, i64 16, i1 false)
; CHECK:       out.copyin:
; CHECK-NEXT:    %out.made = call ptr @__sdrad_copy_in(i64 %h, ptr null, i64 %out.bytes)
; CHECK:       call:
; CHECK-NEXT:    %status = call i32 @__sdrad_call_with(i64 %h, ptr @fill.sdrad_entry, ptr %blk, i64 %tail)
; CHECK:       check:
; CHECK-NEXT:    %ret.slot = getelementptr
; CHECK-NEXT:    %ret = load i32, ptr %ret.slot
; CHECK-NEXT:    %out.copy.made = icmp ne ptr %out.copy, null
; CHECK-NEXT:    br i1 %out.copy.made, label %copies.end, label %copies.done
; CHECK:       copies.end:
; CHECK:         store ptr %out.copy, ptr %out.end.copy
; CHECK:         store ptr %out, ptr %out.end.dst
; CHECK:         store i64 %out.bytes, ptr %out.end.bytes
; CHECK-NEXT:    %canary = call i32 @__sdrad_copies_end(i64 %h, ptr %copies, i64 1)
; CHECK-NEXT:    %intact = icmp eq i32 %canary, 0
; CHECK-NEXT:    br i1 %intact, label %copies.done, label %fail
; CHECK:       out.copyback:
; CHECK-NEXT:    %out.from = getelementptr inbounds i8, ptr %blk, i64 32
; CHECK-NEXT:    call void @llvm.memcpy.p0.p0.i64(ptr align 1 %out, ptr align 16 %out.from, i64 %out.bytes, i1 false)
; CHECK:       success:
; CHECK-NEXT:    ret i32 %ret
; CHECK:       fail:
; CHECK-NOT:     __sdrad_copies_end
; CHECK:         ret i32 0
