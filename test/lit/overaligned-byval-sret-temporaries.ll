; A byval argument or sret result aligned beyond what the argument block
; guarantees (16) goes through an aligned temporary on the domain stack.
; RUN: %opt_sdrad %s | FileCheck %s
target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-i128:128-f80:128-n8:16:32:64-S128"

%struct.Wide = type { [8 x float] }

define float @take(ptr byval(%struct.Wide) align 32 %w) #0 {
entry:
  ret float 0.0
}
define void @make(ptr sret(%struct.Wide) align 32 %r) #0 {
entry:
  ret void
}
attributes #0 = { "sdrad-domain"="d" }

; CHECK-LABEL: define internal void @take.sdrad_entry(
; CHECK:         %w.slot = [[STRUCT_GEP]] %take.sdrad_block, ptr %blk, i32 0, i32 1
; CHECK-NEXT:    %w.aligned = alloca %struct.Wide, align 32
; CHECK-NEXT:    call void @llvm.memcpy.p0.p0.i64(ptr align 32 %w.aligned, ptr align 4 %w.slot, i64 32, i1 false)
; CHECK-NEXT:    call float @take.sdrad_body(ptr byval(%struct.Wide) align 32 %w.aligned)
; CHECK-LABEL: define internal void @make.sdrad_entry(
; CHECK:         %r.aligned = alloca %struct.Wide, align 32
; CHECK-NEXT:    call void @make.sdrad_body(ptr sret(%struct.Wide) align 32 %r.aligned)
; CHECK-NEXT:    call void @llvm.memcpy.p0.p0.i64(ptr align 1 %r.slot, ptr align 32 %r.aligned, i64 32, i1 false)
