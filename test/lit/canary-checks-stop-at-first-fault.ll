; After a successful __sdrad_call every copy's canaries are checked in turn;
; the first non-zero status goes to the alternate action (the instance has
; been discarded: nothing is freed or copied back).
; RUN: %opt_sdrad %s | FileCheck %s

define void @f(ptr "sdrad-in"="1" %a, ptr "sdrad-out"="1" %b, ptr "sdrad-inout"="1" %c) #0 {
entry:
  ret void
}
attributes #0 = { "sdrad-domain"="d" }

; CHECK:      %status = call i32 @__sdrad_call_with(i64 %h, ptr @f.sdrad_entry, ptr %blk, i64 {{[0-9]+}})
; CHECK-NEXT: %ok = icmp eq i32 %status, 0
; CHECK-NEXT: br i1 %ok, label %check, label %fail
; CHECK:      check:
; CHECK-NEXT: %canary = call i32 @__sdrad_copy_check(i64 %h, ptr %a.copy
; CHECK-NEXT: %intact = icmp eq i32 %canary, 0
; CHECK-NEXT: br i1 %intact, label %[[C2:check[0-9]+]], label %fail
; CHECK:      [[C2]]:
; CHECK-NEXT: call i32 @__sdrad_copy_check(i64 %h, ptr %b.copy
; CHECK:      br i1 %{{.*}}, label %[[C3:check[0-9]+]], label %fail
; CHECK:      [[C3]]:
; CHECK-NEXT: call i32 @__sdrad_copy_check(i64 %h, ptr %c.copy
; CHECK:      br i1 %{{.*}}, label %success, label %fail
; CHECK:      fail:
; CHECK-NEXT: ret void
