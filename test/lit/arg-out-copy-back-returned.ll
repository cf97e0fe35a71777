; out with "sdrad-copy-back"="returned": copies back as many elements as
; the function returned, none if negative, at most the copy's count.
; RUN: %opt_sdrad %s | FileCheck %s

define i64 @read(ptr "sdrad-out"="arg1" "sdrad-elem-size"="4" "sdrad-copy-back"="returned" %buf, i64 %cap) #0 {
entry:
  ret i64 2
}
attributes #0 = { "sdrad-domain"="d" }

; CHECK-LABEL: define i64 @read(
; CHECK:       check:
; CHECK:         %ret = load i64, ptr %ret.slot
; CHECK:         %[[NEG:[0-9]+]] = icmp slt i64 %ret, 0
; CHECK-NEXT:    %[[N:[0-9]+]] = select i1 %[[NEG]], i64 0, i64 %ret
; CHECK-NEXT:    %[[CAP:cap[0-9]*]] = udiv i64 %buf.bytes, 4
; CHECK-NEXT:    %[[LT:[0-9]+]] = icmp ult i64 %[[N]], %[[CAP]]
; CHECK-NEXT:    %copy.count = select i1 %[[LT]], i64 %[[N]], i64 %[[CAP]]
; CHECK-NEXT:    %copy.bytes = mul i64 %copy.count, 4
; Carried in the block: that many bytes copied back from it; a copy (the
; buffer did not fit): the same count in its __sdrad_copies_end entry.
; CHECK:         store ptr %buf, ptr %buf.end.dst
; CHECK-NEXT:    %buf.end.bytes = getelementptr
; CHECK-NEXT:    store i64 %copy.bytes, ptr %buf.end.bytes
; CHECK-NEXT:    call i32 @__sdrad_copies_end(i64 %h, ptr %copies, i64 1)
; CHECK:       copies.done:
; CHECK:         %buf.back = and i1 %buf.carried, %buf.to
; CHECK:       buf.copyback:
; CHECK-NEXT:    %buf.from = getelementptr inbounds i8, ptr %blk, i64 32
; CHECK-NEXT:    call void @llvm.memcpy.p0.p0.i64(ptr align 1 %buf, ptr align 16 %buf.from, i64 %copy.bytes, i1 false)
