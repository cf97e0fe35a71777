; "sdrad-policy"="confidentiality" registers the domain with policy 1.
; RUN: %opt_sdrad %s | FileCheck %s

; CHECK: @__sdrad_domain_ref.secret = internal global %struct.__sdrad_domain_ref { i64 0, ptr @__sdrad_domain_name.secret, i32 1, i32 1 }

define void @f() #0 {
entry:
  ret void
}
attributes #0 = { "sdrad-domain"="secret" "sdrad-policy"="confidentiality" }
