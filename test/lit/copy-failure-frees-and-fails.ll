; A non-NULL input whose copy could not be made (domain memory exhausted)
; means no call: the copies made so far are freed (the block is in the
; thunk's own frame), and the alternate action runs.
; RUN: %opt_sdrad %s | FileCheck %s

define i32 @f(ptr "sdrad-in"="4" %a, ptr "sdrad-string" %b) #0 {
entry:
  ret i32 0
}
attributes #0 = { "sdrad-domain"="d" "sdrad-fallback-value"="-7" }

; CHECK:       %lost = or i1 %a.lost, %b.lost
; CHECK:       br i1 %lost, label %cleanup, label %call
; CHECK:       cleanup:
; CHECK:         call void @__sdrad_block_free(i64 %h, ptr %a.copy)
; CHECK:         call void @__sdrad_block_free(i64 %h, ptr %b.copy)
; CHECK-NOT:     @__sdrad_block_free(i64 %h, ptr %blk)
; CHECK:         br label %fail
; CHECK:       fail:
; CHECK-NEXT:    ret i32 -7
