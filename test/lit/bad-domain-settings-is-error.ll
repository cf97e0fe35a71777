; Per-domain settings that are not what the IR contract says are errors,
; never ignored: a value that is not a decimal integer > 0 (timeout_ms at
; most 2^32-1), a hook that is not void(void) or has no name, and two
; functions of one domain giving different values.
; RUN: split-file %s %t
; RUN: not %opt_sdrad %t/zero.ll -o /dev/null 2>&1 | FileCheck %s --check-prefix=ZERO
; RUN: not %opt_sdrad %t/big.ll -o /dev/null 2>&1 | FileCheck %s --check-prefix=BIG
; RUN: not %opt_sdrad %t/text.ll -o /dev/null 2>&1 | FileCheck %s --check-prefix=TEXT
; RUN: not %opt_sdrad %t/hook.ll -o /dev/null 2>&1 | FileCheck %s --check-prefix=HOOK
; RUN: not %opt_sdrad %t/empty.ll -o /dev/null 2>&1 | FileCheck %s --check-prefix=EMPTY
; RUN: not %opt_sdrad %t/conflict.ll -o /dev/null 2>&1 | FileCheck %s --check-prefix=CONFLICT
; ZERO: error: {{.*}}in function f {{.*}}: sdrad-isolate: bad sdrad-timeout-ms '0': expected a decimal integer from 1 to 4294967295
; BIG: error: {{.*}}in function f {{.*}}: sdrad-isolate: bad sdrad-timeout-ms '4294967296': expected a decimal integer from 1 to 4294967295
; TEXT: error: {{.*}}in function f {{.*}}: sdrad-isolate: bad sdrad-heap-limit '8M': expected a decimal integer
; HOOK: error: {{.*}}in function f {{.*}}: sdrad-isolate: sdrad-init 'not_void' must name a function of type void(void)
; EMPTY: error: {{.*}}in function f {{.*}}: sdrad-isolate: sdrad-on-discard '' must name a function of type void(void)
; CONFLICT: error: {{.*}}in function second {{.*}}: sdrad-isolate: conflicting sdrad-timeout-ms for a domain it shares with an earlier function of this module

;--- zero.ll
define i32 @f(i32 %x) #0 {
  ret i32 %x
}
attributes #0 = { "sdrad-domain"="a" "sdrad-timeout-ms"="0" }
;--- big.ll
define i32 @f(i32 %x) #0 {
  ret i32 %x
}
attributes #0 = { "sdrad-domain"="a" "sdrad-timeout-ms"="4294967296" }
;--- text.ll
define i32 @f(i32 %x) #0 {
  ret i32 %x
}
attributes #0 = { "sdrad-domain"="a" "sdrad-heap-limit"="8M" }
;--- hook.ll
declare i32 @not_void()
define i32 @f(i32 %x) #0 {
  ret i32 %x
}
attributes #0 = { "sdrad-domain"="a" "sdrad-init"="not_void" }
;--- empty.ll
define i32 @f(i32 %x) #0 {
  ret i32 %x
}
attributes #0 = { "sdrad-domain"="a" "sdrad-on-discard"="" }
;--- conflict.ll
define i32 @first(i32 %x) #0 {
  ret i32 %x
}
define i32 @second(i32 %x) #1 {
  ret i32 %x
}
attributes #0 = { "sdrad-domain"="shared" "sdrad-timeout-ms"="100" }
attributes #1 = { "sdrad-domain"="shared" "sdrad-timeout-ms"="200" }
