; string: __sdrad_copy_string (NULL in, NULL out); checked, not copied back.
; RUN: %opt_sdrad %s | FileCheck %s

define i64 @len(ptr "sdrad-string" %s) #0 {
entry:
  ret i64 0
}
attributes #0 = { "sdrad-domain"="d" }

; CHECK:      %s.copy = call ptr @__sdrad_copy_string(i64 %h, ptr %s)
; CHECK-NEXT: %s.given = icmp ne ptr %s, null
; CHECK-NEXT: %s.none = icmp eq ptr %s.copy, null
; CHECK-NEXT: %s.lost = and i1 %s.given, %s.none
; CHECK-NEXT: store ptr %s.copy, ptr %s.slot
; CHECK:      store ptr %s.copy, ptr %s.end.copy
; CHECK-NEXT: %s.end.dst = getelementptr
; CHECK-NEXT: store ptr null, ptr %s.end.dst
; CHECK:      call i32 @__sdrad_copies_end(i64 %h, ptr %copies, i64 1)
; CHECK:      fail:
