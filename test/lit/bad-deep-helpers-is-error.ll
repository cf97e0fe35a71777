; The deep-copy contract is checked: helpers that are not in the module, an
; out-deep on an in parameter, inout without both halves, a count other
; than 1, 'returned' on an object, parts past the object: errors, never a
; byte copy.
; RUN: split-file %s %t
; RUN: not %opt_sdrad %t/missing.ll -o /dev/null 2>&1 | FileCheck %s --check-prefix=BAD
; RUN: not %opt_sdrad %t/outonin.ll -o /dev/null 2>&1 | FileCheck %s --check-prefix=BAD
; RUN: not %opt_sdrad %t/half.ll -o /dev/null 2>&1 | FileCheck %s --check-prefix=BAD
; RUN: not %opt_sdrad %t/count.ll -o /dev/null 2>&1 | FileCheck %s --check-prefix=BAD
; RUN: not %opt_sdrad %t/returned.ll -o /dev/null 2>&1 | FileCheck %s --check-prefix=BAD
; RUN: not %opt_sdrad %t/parts.ll -o /dev/null 2>&1 | FileCheck %s --check-prefix=PARTS
; BAD: error: {{.*}}sdrad-isolate: bad sdrad-in-deep/sdrad-out-deep on parameter 0
; PARTS: error: {{.*}}sdrad-isolate: sdrad-in-parts on parameter 0 reach past the object's 8 bytes

;--- missing.ll
define i32 @f(ptr "sdrad-out"="1" "sdrad-elem-size"="32" "sdrad-out-deep"="mk;as;nothere" %p) #0 {
  ret i32 0
}
declare void @mk(ptr)
declare void @as(ptr, ptr)
attributes #0 = { "sdrad-domain"="d" }
;--- outonin.ll
define i32 @f(ptr "sdrad-in"="1" "sdrad-elem-size"="32" "sdrad-out-deep"="mk;as;de" %p) #0 {
  ret i32 0
}
declare void @mk(ptr)
declare void @as(ptr, ptr)
declare void @de(ptr)
attributes #0 = { "sdrad-domain"="d" }
;--- half.ll
define i32 @f(ptr "sdrad-inout"="1" "sdrad-elem-size"="32" "sdrad-out-deep"="mk;as;de" %p) #0 {
  ret i32 0
}
declare void @mk(ptr)
declare void @as(ptr, ptr)
declare void @de(ptr)
attributes #0 = { "sdrad-domain"="d" }
;--- count.ll
define i32 @f(ptr "sdrad-out"="2" "sdrad-elem-size"="32" "sdrad-out-deep"="mk;as;de" %p) #0 {
  ret i32 0
}
declare void @mk(ptr)
declare void @as(ptr, ptr)
declare void @de(ptr)
attributes #0 = { "sdrad-domain"="d" }
;--- returned.ll
define i32 @f(ptr "sdrad-out"="1" "sdrad-elem-size"="32" "sdrad-copy-back"="returned" "sdrad-out-deep"="mk;as;de" %p) #0 {
  ret i32 0
}
declare void @mk(ptr)
declare void @as(ptr, ptr)
declare void @de(ptr)
attributes #0 = { "sdrad-domain"="d" }
;--- parts.ll
define i32 @f(i64 "sdrad-in"="1" "sdrad-elem-size"="8" "sdrad-in-deep"="sz;pk;mk;de" "sdrad-in-parts"="0@0,1@8" %a, ptr "sdrad-in-part" %b) #0 {
  ret i32 0
}
declare i64 @sz(ptr)
declare i32 @pk(ptr, ptr, i64)
declare void @mk(ptr, ptr, i64)
declare void @de(ptr)
attributes #0 = { "sdrad-domain"="d" }
