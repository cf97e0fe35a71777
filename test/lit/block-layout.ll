; The argument block holds the return slot first, then every argument (or,
; for a buffer, where it is), in order; the thunk zeroes it up to the
; first carried buffer.
; Buffers carried in the block follow from the next multiple of 16 (here
; the 4-byte in buffer: 4 bytes, the canary word, padding to 16), and the
; size handed to __sdrad_call_with is the block's with them.
; RUN: %opt_sdrad %s | FileCheck %s
target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-i128:128-f80:128-n8:16:32:64-S128"

; CHECK: %f.sdrad_block = type { double, i8, ptr, i64, float }
define double @f(i8 %a, ptr "sdrad-in"="4" %p, i64 %b, float %c) #0 {
entry:
  ret double 0.0
}
attributes #0 = { "sdrad-domain"="d" }

; The 40 bytes and the 8 up to the first carried buffer: never the caller's
; stack in the domain.
; CHECK: call void @llvm.memset.p0.i64(ptr align 16 %blk, i8 0, i64 48, i1 false)
; CHECK: %p.inblock = getelementptr inbounds i8, ptr %blk, i64 48
; CHECK: %tail = phi i64 [ 48, %fill ], [ 64, %p.carry ], [ 48, %p.copyin ]
; CHECK: call i32 @__sdrad_call_with(i64 %h, ptr @f.sdrad_entry, ptr %blk, i64 %tail)
