; Annotations and attributes the pass cannot use as they are, which it used
; to drop or replace with a default: errors at the function.  A parameter
; annotation on something that is not a parameter (it would have been
; passed as is), a copy without its element size (1 byte per element), a
; fallback value that does not fit the return type (zero), a `this`
; annotation with an unknown mode (in).
; RUN: split-file %s %t
; RUN: not %opt_sdrad %t/notparam.ll -o /dev/null 2>&1 | FileCheck %s --check-prefix=NOTPARAM
; RUN: not %opt_sdrad %t/noelem.ll -o /dev/null 2>&1 | FileCheck %s --check-prefix=NOELEM
; RUN: not %opt_sdrad %t/value.ll -o /dev/null 2>&1 | FileCheck %s --check-prefix=VALUE
; RUN: not %opt_sdrad %t/this.ll -o /dev/null 2>&1 | FileCheck %s --check-prefix=THIS
; NOTPARAM: error: {{.*}}in function f {{.*}}: sdrad-isolate: annotation 'sdrad.in;count=4' on something that is not a parameter
; NOELEM: error: {{.*}}in function f {{.*}}: sdrad-isolate: annotation 'sdrad.in;count=4' without its element size
; VALUE: error: {{.*}}in function f {{.*}}: sdrad-isolate: bad sdrad-fallback-value 'abc' for return type i32
; THIS: error: {{.*}}in function f {{.*}}: sdrad-isolate: bad sdrad.this annotation (mode 'out'): needs a pointer first argument and mode in, inout or shared

;--- notparam.ll
@.str = private unnamed_addr constant [17 x i8] c"sdrad.in;count=4\00", section "llvm.metadata"
@.file = private unnamed_addr constant [4 x i8] c"x.c\00", section "llvm.metadata"
define i32 @f(ptr %p) #0 {
entry:
  %local = alloca ptr
  call void @llvm.var.annotation.p0.p0(ptr %local, ptr @.str, ptr @.file, i32 1, ptr null)
  ret i32 0
}
declare void @llvm.var.annotation.p0.p0(ptr, ptr, ptr, i32, ptr)
attributes #0 = { "sdrad-domain"="d" }
;--- noelem.ll
@.str = private unnamed_addr constant [17 x i8] c"sdrad.in;count=4\00", section "llvm.metadata"
@.file = private unnamed_addr constant [4 x i8] c"x.c\00", section "llvm.metadata"
define i32 @f(ptr %p) #0 {
entry:
  %p.addr = alloca ptr
  store ptr %p, ptr %p.addr
  call void @llvm.var.annotation.p0.p0(ptr %p.addr, ptr @.str, ptr @.file, i32 1, ptr null)
  ret i32 0
}
declare void @llvm.var.annotation.p0.p0(ptr, ptr, ptr, i32, ptr)
attributes #0 = { "sdrad-domain"="d" }
;--- value.ll
define i32 @f(i32 %x) #0 {
  ret i32 %x
}
attributes #0 = { "sdrad-domain"="d" "sdrad-fallback-value"="abc" }
;--- this.ll
@.str = private unnamed_addr constant [28 x i8] c"sdrad.this;mode=out;size=16\00", section "llvm.metadata"
@.file = private unnamed_addr constant [4 x i8] c"x.c\00", section "llvm.metadata"
@llvm.global.annotations = appending global [1 x { ptr, ptr, ptr, i32, ptr }] [{ ptr, ptr, ptr, i32, ptr } { ptr @f, ptr @.str, ptr @.file, i32 1, ptr null }], section "llvm.metadata"
define i32 @f(ptr %this) #0 {
  ret i32 0
}
attributes #0 = { "sdrad-domain"="d" }
