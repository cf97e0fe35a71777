; A policy or system-call policy the IR contract does not know is an
; error, never the default (integrity) in disguise.
; RUN: split-file %s %t
; RUN: not %opt_sdrad %t/policy.ll -o /dev/null 2>&1 | FileCheck %s --check-prefix=POLICY
; RUN: not %opt_sdrad %t/syscalls.ll -o /dev/null 2>&1 | FileCheck %s --check-prefix=SYSCALLS
; POLICY: error: {{.*}}in function f {{.*}}: sdrad-isolate: unknown sdrad-policy 'confidental'; expected 'integrity' or 'confidentiality'
; SYSCALLS: error: {{.*}}in function f {{.*}}: sdrad-isolate: unknown sdrad-syscalls 'none'; expected 'default', 'eperm' or 'any'

;--- policy.ll
define i32 @f(i32 %x) #0 {
  ret i32 %x
}
attributes #0 = { "sdrad-domain"="d" "sdrad-policy"="confidental" }
;--- syscalls.ll
define i32 @f(i32 %x) #0 {
  ret i32 %x
}
attributes #0 = { "sdrad-domain"="d" "sdrad-syscalls"="none" }
