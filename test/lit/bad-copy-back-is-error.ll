; if-ok without "sdrad-ok-if", returned without an integer result, an
; unknown option: errors.
; RUN: split-file %s %t
; RUN: not %opt_sdrad %t/ifok.ll -o /dev/null 2>&1 | FileCheck %s --check-prefix=IFOK
; RUN: not %opt_sdrad %t/ret.ll -o /dev/null 2>&1 | FileCheck %s --check-prefix=RET
; RUN: not %opt_sdrad %t/okif.ll -o /dev/null 2>&1 | FileCheck %s --check-prefix=OKIF
; IFOK: error: {{.*}}sdrad-isolate: parameter 0 is copied back if-ok, but the function has no sdrad-ok-if
; RET: error: {{.*}}sdrad-isolate: parameter 0 is copied back as returned, but the function does not return an integer
; OKIF: error: {{.*}}sdrad-isolate: bad sdrad-ok-if 'slt null' for return type ptr

;--- ifok.ll
define i32 @f(ptr "sdrad-out"="4" "sdrad-copy-back"="if-ok" %p) #0 {
  ret i32 0
}
attributes #0 = { "sdrad-domain"="d" }
;--- ret.ll
define void @f(ptr "sdrad-out"="4" "sdrad-copy-back"="returned" %p) #0 {
  ret void
}
attributes #0 = { "sdrad-domain"="d" }
;--- okif.ll
define ptr @f(ptr "sdrad-out"="4" %p) #0 {
  ret ptr null
}
attributes #0 = { "sdrad-domain"="d" "sdrad-ok-if"="slt null" }
