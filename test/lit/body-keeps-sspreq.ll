; A body that already asks for the strongest stack protector keeps it.
; RUN: %opt_sdrad %s | FileCheck %s

define void @f() #0 {
entry:
  ret void
}
attributes #0 = { sspreq "sdrad-domain"="d" }

; CHECK: define internal void @f.sdrad_body() unnamed_addr #[[BODY:[0-9]+]]
; CHECK: attributes #[[BODY]] = { noinline sspreq "sdrad-body" }
