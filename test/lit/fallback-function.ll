; "sdrad-fallback": on any failure the thunk returns the fallback's result
; for the same arguments (declared with the thunk's ABI attributes if the
; module does not define it).
; RUN: %opt_sdrad %s | FileCheck %s

define i32 @parse(ptr "sdrad-in"="arg1" %buf, i64 %n, i8 zeroext %flag) #0 {
entry:
  ret i32 1
}
attributes #0 = { "sdrad-domain"="parser" "sdrad-fallback"="parse_failed" }

; CHECK:      fail:
; CHECK-NEXT: %[[R:[0-9]+]] = call i32 @parse_failed(ptr %buf, i64 %n, i8 zeroext %flag)
; CHECK-NEXT: ret i32 %[[R]]
; CHECK: declare i32 @parse_failed(ptr, i64, i8 zeroext)
