; string: a SDRAD_COPY_STRING entry of __sdrad_copies_begin (the runtime
; measures it; NULL in, NULL out); checked, not copied back.
; RUN: %opt_sdrad %s | FileCheck %s

define i64 @len(ptr "sdrad-string" %s) #0 {
entry:
  ret i64 0
}
attributes #0 = { "sdrad-domain"="d" }

; CHECK:      store ptr %s, ptr %s.begin.src
; CHECK:      store i64 0, ptr %s.begin.bytes
; CHECK:      store i64 2, ptr %s.begin.kind
; CHECK-NEXT: call i32 @__sdrad_copies_begin(i64 %h, ptr %made, i64 1)
; CHECK:      %s.copy = load ptr, ptr %s.begin.copy
; CHECK:      store ptr %s.copy, ptr %s.slot
; CHECK:      store ptr %s.copy, ptr %s.end.copy
; CHECK-NEXT: %s.end.dst = getelementptr
; CHECK-NEXT: store ptr null, ptr %s.end.dst
; CHECK:      call i32 @__sdrad_copies_end(i64 %h, ptr %copies, i64 1)
; CHECK:      fail:
