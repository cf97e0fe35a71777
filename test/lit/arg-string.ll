; string: measured with strnlen up to the block's limit; carried in the
; block when it fits (its NUL and the canary word after it, whose first byte
; is NUL too), else __sdrad_copy_string; NULL stays NULL; never copied back.
; RUN: %opt_sdrad %s | FileCheck %s

define i64 @len(ptr "sdrad-string" %s) #0 {
entry:
  ret i64 0
}
attributes #0 = { "sdrad-domain"="d" }

; CHECK-LABEL: define i64 @len(
; CHECK:      s.measure:
; CHECK-NEXT: %s.strlen = call i64 @strnlen(ptr %s, i64 4096)
; CHECK-NEXT: %s.bytes = add i64 %s.strlen, 1
; CHECK-NEXT: %s.small = icmp ule i64 %s.bytes, 4096
; CHECK:      s.carry:
; CHECK-NEXT: %s.inblock = getelementptr inbounds i8, ptr %blk, i64 16
; CHECK-NEXT: call void @llvm.memcpy.p0.p0.i64(ptr align 16 %s.inblock, ptr align 1 %s, i64 %s.bytes, i1 false)
; CHECK:      s.copyin:
; CHECK-NEXT: %s.made = call ptr @__sdrad_copy_string(i64 %h, ptr %s)
; CHECK:      s.placed:
; CHECK:      %s.field = phi ptr [ null, %fill ], [ %s.tag, %s.carry ], [ %s.made, %s.copyin ]
; CHECK:      store ptr %s.field, ptr %s.slot
; CHECK-NEXT: %s.given = icmp ne ptr %s, null
; CHECK-NEXT: %s.none = icmp eq ptr %s.field, null
; CHECK-NEXT: %s.lost = and i1 %s.given, %s.none
; CHECK:      store ptr %s.copy, ptr %s.end.copy
; CHECK-NEXT: %s.end.dst = getelementptr
; CHECK-NEXT: store ptr null, ptr %s.end.dst
; CHECK:      call i32 @__sdrad_copies_end(i64 %h, ptr %copies, i64 1)
; CHECK-NOT:  s.copyback
; CHECK:      fail:
