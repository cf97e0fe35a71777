; A struct returned in memory (sret): the body writes the block's slot, the
; thunk copies it to the caller's sret pointer on success and zeroes it on a
; fault.
; RUN: %opt_sdrad %s | FileCheck %s

%struct.big = type { [6 x i64] }

define void @make(ptr sret(%struct.big) align 8 %r, i64 %x) #0 {
entry:
  ret void
}
attributes #0 = { "sdrad-domain"="d" }

; CHECK: %make.sdrad_block = type { %struct.big, i64 }
; CHECK-LABEL: define void @make(ptr sret(%struct.big) align 8 %r, i64 %x)
; CHECK:       success:
; CHECK-NEXT:    %[[S:[0-9]+]] = [[STRUCT_GEP]] %make.sdrad_block, ptr %blk, i32 0, i32 0
; CHECK-NEXT:    call void @llvm.memcpy.p0.p0.i64(ptr align 8 %r, ptr align {{[0-9]+}} %[[S]], i64 48, i1 false)
; CHECK:       fail:
; CHECK-NEXT:    call void @llvm.memset.p0.i64(ptr align 8 %r, i8 0, i64 48, i1 false)
; CHECK-NEXT:    ret void
; CHECK-LABEL: define internal void @make.sdrad_entry(
; CHECK:         %r.slot = [[STRUCT_GEP]] %make.sdrad_block, ptr %blk, i32 0, i32 0
; CHECK:         call void @make.sdrad_body(ptr sret(%struct.big) align 8 %r.slot, i64 %x)
