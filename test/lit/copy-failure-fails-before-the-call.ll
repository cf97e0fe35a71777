; All buffer copies are made by one __sdrad_copies_begin (one gate
; crossing): a non-zero status (a non-NULL input whose copy could not be
; made: domain memory exhausted, or a size that saturated) means no call:
; the runtime has given back the copies it made, so the thunk frees nothing
; (the block is in its own frame) and runs the alternate action.
; RUN: %opt_sdrad %s | FileCheck %s

define i32 @f(ptr "sdrad-in"="4" %a, ptr "sdrad-string" %b) #0 {
entry:
  ret i32 0
}
attributes #0 = { "sdrad-domain"="d" "sdrad-fallback-value"="-7" }

; CHECK-LABEL: define i32 @f(
; CHECK:       store i64 0, ptr %a.begin.kind
; CHECK:       store ptr %b, ptr %b.begin.src
; CHECK:       store i64 2, ptr %b.begin.kind
; CHECK-NEXT:  %copied = call i32 @__sdrad_copies_begin(i64 %h, ptr %made, i64 2)
; CHECK-NEXT:  %all.copied = icmp eq i32 %copied, 0
; CHECK-NEXT:  br i1 %all.copied, label %copies.made, label %fail
; CHECK-NOT:   @__sdrad_copy_in
; CHECK-NOT:   @__sdrad_block_free
; CHECK:       fail:
; CHECK-NEXT:    ret i32 -7
