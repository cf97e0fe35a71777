; The thunk keeps the symbol, so every existing use - direct calls, stored
; function pointers, aliases - reaches it; only the entry calls the body.
; RUN: %opt_sdrad %s | FileCheck %s

@table = global [1 x ptr] [ptr @f]
@f_alias = alias i32 (i32), ptr @f

define i32 @f(i32 %x) #0 {
entry:
  ret i32 %x
}
define i32 @caller() {
entry:
  %r = call i32 @f(i32 1)
  ret i32 %r
}
attributes #0 = { "sdrad-domain"="d" }

; CHECK: @table = global [1 x ptr] [ptr @f]
; CHECK: @f_alias = alias i32 (i32), ptr @f
; CHECK-LABEL: define i32 @caller()
; CHECK: call i32 @f(i32 1)
; CHECK-NOT: call i32 @f.sdrad_body
; CHECK-LABEL: define internal void @f.sdrad_entry(
; CHECK: call i32 @f.sdrad_body(
