; A count naming a parameter that is not an integer is rejected.
; RUN: not %opt_sdrad %s -o /dev/null 2>&1 | FileCheck %s

define void @f(ptr "sdrad-in"="arg1" %p, ptr %q) #0 {
entry:
  ret void
}
attributes #0 = { "sdrad-domain"="d" }

; CHECK: error: {{.*}}in function f {{.*}}: sdrad-isolate: bad count 'arg1' on parameter 0
