; in(n) with n another parameter: bytes = n * element size (saturating, so
; that an overflow asks for an impossible size instead of a short buffer);
; carried in the block when the bytes, the canary word and the padding fit
; in its 4096 bytes, else copied with __sdrad_copy_in; NULL stays NULL.
; RUN: %opt_sdrad %s | FileCheck %s

define i32 @sum(ptr "sdrad-in"="arg1" "sdrad-elem-size"="4" %v, i32 %n) #0 {
entry:
  ret i32 0
}
attributes #0 = { "sdrad-domain"="d" }

; CHECK-LABEL: define i32 @sum(
; CHECK:       fill:
; CHECK:         %v.slot = [[STRUCT_GEP]] %sum.sdrad_block, ptr %blk, i32 0, i32 1
; CHECK-NEXT:    %count = zext i32 %n to i64
; CHECK-NEXT:    %[[M:[0-9]+]] = call { i64, i1 } @llvm.umul.with.overflow.i64(i64 %count, i64 4)
; CHECK-NEXT:    %[[O:[0-9]+]] = extractvalue { i64, i1 } %[[M]], 1
; CHECK-NEXT:    %[[P:[0-9]+]] = extractvalue { i64, i1 } %[[M]], 0
; CHECK-NEXT:    %v.bytes = select i1 %[[O]], i64 -1, i64 %[[P]]
; CHECK-NEXT:    %v.nonnull = icmp ne ptr %v, null
; CHECK-NEXT:    br i1 %v.nonnull, label %v.measure, label %v.placed
; CHECK:       v.measure:
; CHECK-NEXT:    %v.small = icmp ule i64 %v.bytes, 4096
; CHECK-NEXT:    %v.clamped = select i1 %v.small, i64 %v.bytes, i64 4096
; CHECK-NEXT:    %[[S:[0-9]+]] = add i64 %v.clamped, 23
; CHECK-NEXT:    %v.span = and i64 %[[S]], -16
; CHECK-NEXT:    %v.next = add i64 32, %v.span
; CHECK-NEXT:    %v.room = icmp ule i64 %v.next, 4096
; CHECK-NEXT:    %v.fits = and i1 %v.small, %v.room
; CHECK-NEXT:    br i1 %v.fits, label %v.carry, label %v.copyin
; CHECK:       v.carry:
; CHECK-NEXT:    %v.inblock = getelementptr inbounds i8, ptr %blk, i64 32
; CHECK-NEXT:    call void @llvm.memcpy.p0.p0.i64(ptr align 16 %v.inblock, ptr align 1 %v, i64 %v.bytes, i1 false)
; CHECK:         %v.tag = inttoptr i64 %v.carry.bits to ptr
; CHECK:       v.copyin:
; CHECK-NEXT:    %v.made = call ptr @__sdrad_copy_in(i64 %h, ptr %v, i64 %v.bytes)
; CHECK:       v.placed:
; CHECK-NEXT:    %v.field = phi ptr [ null, %fill ], [ %v.tag, %v.carry ], [ %v.made, %v.copyin ]
; CHECK-NEXT:    %v.copy = phi ptr [ null, %fill ], [ null, %v.carry ], [ %v.made, %v.copyin ]
; CHECK:         store ptr %v.field, ptr %v.slot
; CHECK:         call i32 @__sdrad_call_with(i64 %h, ptr @sum.sdrad_entry, ptr %blk, i64 %tail)
