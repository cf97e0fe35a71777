; A struct passed in memory (byval) is copied into the block; the entry
; passes the block's copy byval again, so the body gets its own copy on the
; domain stack.
; RUN: %opt_sdrad %s | FileCheck %s

%struct.big = type { [6 x i64] }

define i64 @f(ptr byval(%struct.big) align 8 %s) #0 {
entry:
  ret i64 0
}
attributes #0 = { "sdrad-domain"="d" }

; CHECK: %f.sdrad_block = type { i64, %struct.big }
; CHECK-LABEL: define i64 @f(ptr byval(%struct.big) align 8 %s)
; CHECK:   %s.slot = [[STRUCT_GEP]] %f.sdrad_block, ptr %blk, i32 0, i32 1
; CHECK-NEXT: call void @llvm.memcpy.p0.p0.i64(ptr align {{[0-9]+}} %s.slot, ptr align 8 %s, i64 48, i1 false)
; CHECK-LABEL: define internal void @f.sdrad_entry(
; CHECK: call i64 @f.sdrad_body(ptr byval(%struct.big) align 8 %s.slot)
