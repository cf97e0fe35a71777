; Parameters that cannot live in memory (swifterror, nest, ...) cannot go
; through the argument block: an error, not a broken thunk.
; RUN: not %opt_sdrad %s -o /dev/null 2>&1 | FileCheck %s

define void @f(ptr nest %chain) #0 {
entry:
  ret void
}
attributes #0 = { "sdrad-domain"="d" }

; CHECK: error: {{.*}}in function f {{.*}}: sdrad-isolate: parameter 0 cannot be passed through an argument block
