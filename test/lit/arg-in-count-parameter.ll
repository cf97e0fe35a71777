; in(n) with n another parameter: bytes = n * element size (saturating, so
; that an overflow asks for an impossible size instead of a short buffer),
; copied with __sdrad_copy_in; a NULL pointer stays NULL.
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
; CHECK-NEXT:    br i1 %v.nonnull, label %v.copyin, label %v.copied
; CHECK:       v.copyin:
; CHECK-NEXT:    %[[C:[0-9]+]] = call ptr @__sdrad_copy_in(i64 %h, ptr %v, i64 %v.bytes)
; CHECK:       v.copied:
; CHECK-NEXT:    %v.copy = phi ptr [ null, %fill ], [ %[[C]], %v.copyin ]
; CHECK:         store ptr %v.copy, ptr %v.slot
