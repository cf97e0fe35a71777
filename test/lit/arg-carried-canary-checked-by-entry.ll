; A buffer carried in the block: its field holds (offset << 32 | bytes << 1
; | 1), a copy's field the copy itself (bit 0 clear). The entry, in the
; domain, passes the body a pointer into its own block, and after the body
; returns checks the canary word right after the buffer: a changed word (the
; body wrote past the buffer) is __sdrad_copy_fault, a canary fault of the
; domain, before anything goes back to the caller.
; RUN: %opt_sdrad %s | FileCheck %s

define i32 @fill(ptr "sdrad-out"="8" %out) #0 {
entry:
  ret i32 0
}
attributes #0 = { "sdrad-domain"="d" }

; The thunk: 8 bytes at offset 16 (the block is 16 bytes), the canary, then
; zeroed padding; 16 + 16 bytes go to __sdrad_call_with.
; CHECK-LABEL: define i32 @fill(
; CHECK:       out.carry:
; CHECK-NEXT:    %out.inblock = getelementptr inbounds i8, ptr %blk, i64 16
; CHECK-NEXT:    call void @llvm.memset.p0.i64(ptr align 16 %out.inblock, i8 0, i64 8, i1 false)
; CHECK-NEXT:    %out.guard = getelementptr inbounds i8, ptr %out.inblock, i64 8
; CHECK-NEXT:    store i64 6722414919663943168, ptr %out.guard, align 1
; CHECK:         %out.field = phi ptr [ null, %fill ], [ inttoptr (i64 68719476753 to ptr), %out.carry ], [ %out.made, %out.copyin ]
; CHECK:         %tail = phi i64 [ 16, %fill ], [ 32, %out.carry ], [ 16, %out.copyin ]
; CHECK:         call i32 @__sdrad_call_with(i64 %h, ptr @fill.sdrad_entry, ptr %blk, i64 %tail)
; CHECK:       declare void @__sdrad_copy_fault() #[[NR:[0-9]+]]

; CHECK-LABEL: define internal void @fill.sdrad_entry(ptr nonnull align 16 %blk)
; CHECK:         %out.field = load ptr, ptr %out.slot, align 8
; CHECK-NEXT:    %out.bits = ptrtoint ptr %out.field to i64
; CHECK-NEXT:    %out.carried = trunc i64 %out.bits to i1
; CHECK-NEXT:    %out.at = lshr i64 %out.bits, 32
; CHECK-NEXT:    %out.inblock = getelementptr i8, ptr %blk, i64 %out.at
; CHECK-NEXT:    %[[B:[0-9]+]] = lshr i64 %out.bits, 1
; CHECK-NEXT:    %out.size = and i64 %[[B]], 2147483647
; CHECK-NEXT:    %out.guard = getelementptr i8, ptr %out.inblock, i64 %out.size
; CHECK-NEXT:    %out = select i1 %out.carried, ptr %out.inblock, ptr %out.field
; CHECK-NEXT:    %[[R:[0-9]+]] = call i32 @fill.sdrad_body(ptr %out)
; CHECK-NEXT:    br i1 %out.carried, label %check.carried, label %intact
; CHECK:       check.carried:
; CHECK-NEXT:    %out.guard.word = load i64, ptr %out.guard, align 1
; CHECK-NEXT:    %broken = icmp ne i64 %out.guard.word, 6722414919663943168
; CHECK-NEXT:    br i1 %broken, label %overrun, label %intact
; CHECK:       overrun:
; CHECK-NEXT:    call void @__sdrad_copy_fault()
; CHECK-NEXT:    unreachable
; CHECK:       intact:
; CHECK-NEXT:    %ret.slot = [[STRUCT_GEP]] %fill.sdrad_block, ptr %blk, i32 0, i32 0
; CHECK-NEXT:    store i32 %[[R]], ptr %ret.slot
; CHECK:       attributes #[[NR]] = { noreturn nounwind }
