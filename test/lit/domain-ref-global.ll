; One writable __sdrad_domain_ref per domain per module: handle 0, the
; domain's name, the policy (integrity = 0) and SDRAD_ABI_VERSION (1).
; RUN: %opt_sdrad %s | FileCheck %s

; CHECK: %struct.__sdrad_domain_ref = type { i64, ptr, i32, i32 }
; CHECK: @__sdrad_domain_name.parser = private unnamed_addr constant [7 x i8] c"parser\00", align 1
; CHECK: @__sdrad_domain_ref.parser = internal global %struct.__sdrad_domain_ref { i64 0, ptr @__sdrad_domain_name.parser, i32 0, i32 1 }, align 8

define void @f() #0 {
entry:
  ret void
}
attributes #0 = { "sdrad-domain"="parser" "sdrad-policy"="integrity" }
