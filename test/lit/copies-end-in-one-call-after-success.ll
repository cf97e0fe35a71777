; After a successful __sdrad_call every copy ends in one __sdrad_copies_end
; (one gate crossing), made only if some buffer was copied rather than
; carried in the block: an entry per copy with the caller's buffer for
; out/inout (NULL for in) and the bytes to copy back; the runtime checks all
; canaries before it copies anything back. Then the carried out/inout
; buffers go back from the block (their canaries were checked by the entry,
; in the domain). A non-zero status goes to the alternate action (the
; instance has been discarded: nothing is freed or copied back); no per-copy
; __sdrad_copy_check/_copy_out/_block_free is left.
; RUN: %opt_sdrad %s | FileCheck %s

define void @f(ptr "sdrad-in"="1" %a, ptr "sdrad-out"="1" %b, ptr "sdrad-inout"="1" %c) #0 {
entry:
  ret void
}
attributes #0 = { "sdrad-domain"="d" }

; CHECK-LABEL: define void @f(
; CHECK:      %copies = alloca [3 x %struct.__sdrad_copy_end]
; CHECK:      %status = call i32 @__sdrad_call_with(i64 %h, ptr @f.sdrad_entry, ptr %blk, i64 %tail2)
; CHECK-NEXT: %ok = icmp eq i32 %status, 0
; CHECK-NEXT: br i1 %ok, label %check, label %fail
; CHECK:      check:
; CHECK:      %copies.any8 = or i1 %copies.any, %c.copy.made
; CHECK-NEXT: br i1 %copies.any8, label %copies.end, label %copies.done
; CHECK:      copies.end:
; CHECK:      store ptr %a.copy, ptr %a.end.copy
; CHECK-NEXT: %a.end.dst = getelementptr
; CHECK-NEXT: store ptr null, ptr %a.end.dst
; CHECK-NEXT: %a.end.bytes = getelementptr
; CHECK-NEXT: store i64 0, ptr %a.end.bytes
; CHECK:      store ptr %b.copy, ptr %b.end.copy
; CHECK-NEXT: %b.end.dst = getelementptr
; CHECK-NEXT: store ptr %b, ptr %b.end.dst
; CHECK-NEXT: %b.end.bytes = getelementptr
; CHECK-NEXT: store i64 1, ptr %b.end.bytes
; CHECK:      store ptr %c.copy, ptr %c.end.copy
; CHECK-NEXT: %c.end.dst = getelementptr
; CHECK-NEXT: store ptr %c, ptr %c.end.dst
; CHECK-NEXT: %c.end.bytes = getelementptr
; CHECK-NEXT: store i64 1, ptr %c.end.bytes
; CHECK-NEXT: %canary = call i32 @__sdrad_copies_end(i64 %h, ptr %copies, i64 3)
; CHECK-NEXT: %intact = icmp eq i32 %canary, 0
; CHECK-NEXT: br i1 %intact, label %copies.done, label %fail
; CHECK:      copies.done:
; CHECK:      %b.back = and i1 %b.carried, %b.to
; CHECK:      b.copyback:
; CHECK:      call void @llvm.memcpy.p0.p0.i64(ptr align 1 %b, ptr align 16 %b.from, i64 1, i1 false)
; CHECK:      c.copyback:
; CHECK:      call void @llvm.memcpy.p0.p0.i64(ptr align 1 %c, ptr align 16 %c.from, i64 1, i1 false)
; CHECK:      success:
; CHECK-NEXT: ret void
; CHECK:      fail:
; CHECK-NEXT: ret void
; CHECK-NOT:  @__sdrad_copy_check
; CHECK-NOT:  @__sdrad_copy_out
