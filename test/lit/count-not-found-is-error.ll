; A count annotation whose parameter the frontend did not mark is an error
; (it used to print "using 0" and copy nothing).
; RUN: not %opt_sdrad %s -o /dev/null 2>&1 | FileCheck %s
; CHECK: error: {{.*}}in function f i32 (ptr, i32): sdrad-isolate: count 'zzz' of parameter 0 not found among the parameters marked as counts

@.str = private unnamed_addr constant [19 x i8] c"sdrad.in;count=zzz\00", section "llvm.metadata"
@.file = private unnamed_addr constant [4 x i8] c"x.c\00", section "llvm.metadata"
@.args = private unnamed_addr constant { i64 } { i64 1 }, section "llvm.metadata"

define i32 @f(ptr %p, i32 %n) #0 {
entry:
  %p.addr = alloca ptr
  store ptr %p, ptr %p.addr
  call void @llvm.var.annotation.p0.p0(ptr %p.addr, ptr @.str, ptr @.file, i32 1, ptr @.args)
  ret i32 0
}
declare void @llvm.var.annotation.p0.p0(ptr, ptr, ptr, i32, ptr)
attributes #0 = { "sdrad-domain"="d" }
