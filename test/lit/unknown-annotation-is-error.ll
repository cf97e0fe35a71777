; An "sdrad." annotation the pass does not know, on a function or on a
; parameter, is an error (a frontend of another version, a typo in
; hand-written IR), never dropped.
; RUN: split-file %s %t
; RUN: not %opt_sdrad %t/function.ll -o /dev/null 2>&1 | FileCheck %s --check-prefix=FUNCTION
; RUN: not %opt_sdrad %t/parameter.ll -o /dev/null 2>&1 | FileCheck %s --check-prefix=PARAMETER
; FUNCTION: error: {{.*}}in function f {{.*}}: sdrad-isolate: unknown annotation 'sdrad.isolat;domain=d'
; PARAMETER: error: {{.*}}in function g {{.*}}: sdrad-isolate: unknown annotation 'sdrad.inn' on parameter 0

;--- function.ll
@.str = private unnamed_addr constant [22 x i8] c"sdrad.isolat;domain=d\00", section "llvm.metadata"
@.file = private unnamed_addr constant [4 x i8] c"x.c\00", section "llvm.metadata"
@llvm.global.annotations = appending global [1 x { ptr, ptr, ptr, i32, ptr }] [{ ptr, ptr, ptr, i32, ptr } { ptr @f, ptr @.str, ptr @.file, i32 1, ptr null }], section "llvm.metadata"
define i32 @f(i32 %x) {
  ret i32 %x
}
;--- parameter.ll
@.str = private unnamed_addr constant [18 x i8] c"sdrad.inn;count=1\00", section "llvm.metadata"
@.file = private unnamed_addr constant [4 x i8] c"x.c\00", section "llvm.metadata"
define i32 @g(ptr %p) #0 {
entry:
  %p.addr = alloca ptr
  store ptr %p, ptr %p.addr
  call void @llvm.var.annotation.p0.p0(ptr %p.addr, ptr @.str, ptr @.file, i32 1, ptr null)
  ret i32 0
}
declare void @llvm.var.annotation.p0.p0(ptr, ptr, ptr, i32, ptr)
attributes #0 = { "sdrad-domain"="d" }
