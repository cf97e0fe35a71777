; in(n) with n another parameter: bytes = n * element size (saturating, so
; that an overflow asks for an impossible size instead of a short buffer),
; copied by __sdrad_copies_begin (a NULL source stays NULL there).
; RUN: %opt_sdrad %s | FileCheck %s

define i32 @sum(ptr "sdrad-in"="arg1" "sdrad-elem-size"="4" %v, i32 %n) #0 {
entry:
  ret i32 0
}
attributes #0 = { "sdrad-domain"="d" }

; CHECK-LABEL: define i32 @sum(
; CHECK:       fill:
; CHECK-NEXT:    %count = zext i32 %n to i64
; CHECK-NEXT:    %[[M:[0-9]+]] = call { i64, i1 } @llvm.umul.with.overflow.i64(i64 %count, i64 4)
; CHECK-NEXT:    %[[O:[0-9]+]] = extractvalue { i64, i1 } %[[M]], 1
; CHECK-NEXT:    %[[P:[0-9]+]] = extractvalue { i64, i1 } %[[M]], 0
; CHECK-NEXT:    %v.bytes = select i1 %[[O]], i64 -1, i64 %[[P]]
; CHECK:         store ptr %v, ptr %v.begin.src
; CHECK:         store i64 %v.bytes, ptr %v.begin.bytes
; CHECK:         store i64 0, ptr %v.begin.kind
; CHECK-NEXT:    %copied = call i32 @__sdrad_copies_begin(i64 %h, ptr %made, i64 1)
; CHECK:       copies.made:
; CHECK-NEXT:    %v.begin.copy = getelementptr
; CHECK-NEXT:    %v.copy = load ptr, ptr %v.begin.copy
; CHECK-NEXT:    %v.slot = [[STRUCT_GEP]] %sum.sdrad_block, ptr %blk, i32 0, i32 1
; CHECK-NEXT:    store ptr %v.copy, ptr %v.slot
