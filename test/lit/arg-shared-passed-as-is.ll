; shared (and unannotated) pointers are stored in the block as they are.
; RUN: %opt_sdrad %s | FileCheck %s

define void @f(ptr "sdrad-shared" %ctx, ptr %raw) #0 {
entry:
  ret void
}
attributes #0 = { "sdrad-domain"="d" }

; CHECK-LABEL: define void @f(
; CHECK-NOT: call {{.*}}@__sdrad_copy
; CHECK:     store ptr %ctx, ptr %ctx.slot
; CHECK:     store ptr %raw, ptr %raw.slot
; CHECK-NOT: call {{.*}}@__sdrad_copy
; CHECK:     ret void
