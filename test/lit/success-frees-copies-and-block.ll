; On success the result is read from the block before the copies are given
; back with __sdrad_block_free (the block itself is in the thunk's frame).
; RUN: %opt_sdrad %s | FileCheck %s

define i32 @f(ptr "sdrad-in"="4" %a) #0 {
entry:
  ret i32 0
}
attributes #0 = { "sdrad-domain"="d" }

; CHECK:      success:
; CHECK-NEXT: %ret.slot = [[STRUCT_GEP]] %f.sdrad_block, ptr %blk, i32 0, i32 0
; CHECK-NEXT: %ret = load i32, ptr %ret.slot
; CHECK:      call void @__sdrad_block_free(i64 %h, ptr %a.copy)
; CHECK-NOT:  @__sdrad_block_free(i64 %h, ptr %blk)
; CHECK:      ret i32 %ret
