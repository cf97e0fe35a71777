; A block larger than SDRAD_MAX_INLINE_BLOCK (4096 bytes: here a 5000-byte
; by-value struct) cannot travel on the domain stack: it is allocated in the
; domain with __sdrad_block_alloc, passed to __sdrad_call, and freed on
; success and when the call never happened.
; RUN: %opt_sdrad %s | FileCheck %s
target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-i128:128-f80:128-n8:16:32:64-S128"

%struct.big = type { [5000 x i8] }

define i32 @f(ptr byval(%struct.big) align 8 %s) #0 {
entry:
  ret i32 0
}
attributes #0 = { "sdrad-domain"="d" }

; CHECK-LABEL: define i32 @f(ptr byval(%struct.big) align 8 %s)
; CHECK-NOT:   alloca
; CHECK:       %blk = call ptr @__sdrad_block_alloc(i64 %h, i64 {{50[0-9][0-9]}})
; CHECK-NEXT:  %no.block = icmp eq ptr %blk, null
; CHECK:       %status = call i32 @__sdrad_call(i64 %h, ptr @f.sdrad_entry, ptr %blk)
; CHECK:       success:
; CHECK:       call void @__sdrad_block_free(i64 %h, ptr %blk)
; CHECK-NOT:   __sdrad_call_with
