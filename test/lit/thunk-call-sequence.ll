; The thunk of a scalar function, in the order of the contract in
; sdrad/abi.h: cached handle, registration on first use, argument block in
; the thunk's own frame (zeroed), arguments stored, __sdrad_call_with (the
; block travels on the domain stack and comes back), result read.
; RUN: %opt_sdrad %s | FileCheck %s

define i32 @parse(i32 %x, i64 %y) #0 {
entry:
  %r = add i32 %x, 1
  ret i32 %r
}
attributes #0 = { "sdrad-domain"="parser" }

; CHECK-LABEL: define i32 @parse(i32 %x, i64 %y)
; CHECK:       entry:
; CHECK-NEXT:    %blk = alloca %parse.sdrad_block, align 16
; CHECK-NEXT:    %handle = load atomic i64, ptr @__sdrad_domain_ref.parser monotonic, align 8
; CHECK-NEXT:    %unregistered = icmp sle i64 %handle, 0
; CHECK-NEXT:    br i1 %unregistered, label %register, label %ready
; CHECK:       register:
; CHECK-NEXT:    %handle.new = call i64 @__sdrad_domain_handle(ptr @__sdrad_domain_ref.parser)
; CHECK-NEXT:    br label %ready
; CHECK:       ready:
; CHECK-NEXT:    %h = phi i64 [ %handle, %entry ], [ %handle.new, %register ]
; CHECK-NEXT:    %bad.handle = icmp slt i64 %h, 0
; CHECK-NEXT:    br i1 %bad.handle, label %fail, label %alloc
; CHECK:       alloc:
; CHECK-NEXT:    call void @llvm.memset.p0.i64(ptr align 16 %blk, i8 0, i64 16, i1 false)
; CHECK-NEXT:    br label %fill
; CHECK:       fill:
; CHECK-NEXT:    %x.slot = [[STRUCT_GEP]] %parse.sdrad_block, ptr %blk, i32 0, i32 1
; CHECK-NEXT:    store i32 %x, ptr %x.slot
; CHECK-NEXT:    %y.slot = [[STRUCT_GEP]] %parse.sdrad_block, ptr %blk, i32 0, i32 2
; CHECK-NEXT:    store i64 %y, ptr %y.slot
; CHECK-NEXT:    br label %call
; CHECK:       call:
; CHECK-NEXT:    %status = call i32 @__sdrad_call_with(i64 %h, ptr @parse.sdrad_entry, ptr %blk, i64 16)
; CHECK-NEXT:    %ok = icmp eq i32 %status, 0
; CHECK-NEXT:    br i1 %ok, label %success, label %fail
; CHECK:       success:
; CHECK-NEXT:    %ret.slot = [[STRUCT_GEP]] %parse.sdrad_block, ptr %blk, i32 0, i32 0
; CHECK-NEXT:    %ret = load i32, ptr %ret.slot
; CHECK-NEXT:    ret i32 %ret
; CHECK:       fail:
; CHECK-NEXT:    ret i32 0
