; A class parameter passed by value and deep-copied in ("byvalue=1") whose
; bytes the pass finds neither as registers stored into its slot nor as a
; byval argument (here: the slot is filled by a memcpy) is an error at the
; function that says what to write instead; so is a byval one aligned to
; more than the 16 bytes of the domain's object storage.  Never passed as
; is.
; RUN: split-file %s %t
; RUN: not %opt_sdrad %t/memcpy.ll -o /dev/null 2>&1 | FileCheck %s --check-prefix=LAYOUT
; RUN: not %opt_sdrad %t/align.ll -o /dev/null 2>&1 | FileCheck %s --check-prefix=ALIGN
; LAYOUT: error: {{.*}}in function f {{.*}}: sdrad-isolate: cannot find the IR arguments of a class parameter passed by value (sdrad.in;count=1;deep=1;byvalue=1): neither registers stored into its slot nor a byval argument; pass it as a const reference instead (deep-copied in the same way)
; ALIGN: error: {{.*}}in function f {{.*}}: sdrad-isolate: byval parameter 0 with sdrad-in-deep: needs sdrad-in, no sdrad-in-parts, an sdrad-elem-size of at least its 32 bytes and an alignment of at most 16

;--- memcpy.ll
@.str = private unnamed_addr constant [34 x i8] c"sdrad.in;count=1;deep=1;byvalue=1\00", section "llvm.metadata"
@.file = private unnamed_addr constant [4 x i8] c"x.c\00", section "llvm.metadata"
@.args = private unnamed_addr constant { i64, ptr, ptr, ptr, ptr } { i64 16, ptr @sz, ptr @pk, ptr @mk, ptr @de }, section "llvm.metadata"
define i32 @f([2 x i64] %v.coerce) #0 {
entry:
  %tmp = alloca [2 x i64]
  store [2 x i64] %v.coerce, ptr %tmp
  %v = alloca { ptr, i64 }, align 8
  call void @llvm.memcpy.p0.p0.i64(ptr %v, ptr %tmp, i64 16, i1 false)
  call void @llvm.var.annotation.p0.p0(ptr %v, ptr @.str, ptr @.file, i32 1, ptr @.args)
  ret i32 0
}
declare i64 @sz(ptr)
declare i32 @pk(ptr, ptr, i64)
declare void @mk(ptr, ptr, i64)
declare void @de(ptr)
declare void @llvm.memcpy.p0.p0.i64(ptr, ptr, i64, i1)
declare void @llvm.var.annotation.p0.p0(ptr, ptr, ptr, i32, ptr)
attributes #0 = { "sdrad-domain"="d" }
;--- align.ll
define i32 @f(ptr byval({ ptr, i64, [16 x i8] }) align 32 "sdrad-in"="1" "sdrad-elem-size"="32" "sdrad-in-deep"="sz;pk;mk;de" %v) #0 {
  ret i32 0
}
declare i64 @sz(ptr)
declare i32 @pk(ptr, ptr, i64)
declare void @mk(ptr, ptr, i64)
declare void @de(ptr)
attributes #0 = { "sdrad-domain"="d" }
