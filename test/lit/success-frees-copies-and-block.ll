; On success the result is read from the block, then __sdrad_copies_end
; checks and gives back the copies, if any was made (a buffer carried in
; the block needs none); the block itself is in the thunk's frame: never
; freed.
; RUN: %opt_sdrad %s | FileCheck %s

define i32 @f(ptr "sdrad-in"="4" %a) #0 {
entry:
  ret i32 0
}
attributes #0 = { "sdrad-domain"="d" }

; CHECK:      check:
; CHECK-NEXT: %ret.slot = [[STRUCT_GEP]] %f.sdrad_block, ptr %blk, i32 0, i32 0
; CHECK-NEXT: %ret = load i32, ptr %ret.slot
; CHECK-NEXT: %a.copy.made = icmp ne ptr %a.copy, null
; CHECK-NEXT: br i1 %a.copy.made, label %copies.end, label %success
; CHECK:      copies.end:
; CHECK:      call i32 @__sdrad_copies_end(i64 %h, ptr %copies, i64 1)
; CHECK:      success:
; CHECK-NOT:  @__sdrad_block_free
; CHECK:      ret i32 %ret
