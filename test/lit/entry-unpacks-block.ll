; The generated entry function takes the block, loads every argument from
; it, calls the body and stores the result in the block's return slot.
; RUN: %opt_sdrad %s | FileCheck %s

define i64 @sum(i64 %a, i64 %b) #0 {
entry:
  %s = add i64 %a, %b
  ret i64 %s
}
attributes #0 = { "sdrad-domain"="math" }

; CHECK-LABEL: define internal void @sum.sdrad_entry(ptr nonnull align 16 %blk)
; CHECK-SAME:    #[[ENTRY:[0-9]+]]
; CHECK-NEXT:  entry:
; CHECK-NEXT:    %a.slot = [[STRUCT_GEP]] %sum.sdrad_block, ptr %blk, i32 0, i32 1
; CHECK-NEXT:    %a = load i64, ptr %a.slot
; CHECK-NEXT:    %b.slot = [[STRUCT_GEP]] %sum.sdrad_block, ptr %blk, i32 0, i32 2
; CHECK-NEXT:    %b = load i64, ptr %b.slot
; CHECK-NEXT:    %[[R:[0-9]+]] = call i64 @sum.sdrad_body(i64 %a, i64 %b)
; CHECK-NEXT:    %ret.slot = [[STRUCT_GEP]] %sum.sdrad_block, ptr %blk, i32 0, i32 0
; CHECK-NEXT:    store i64 %[[R]], ptr %ret.slot
; CHECK-NEXT:    ret void
; CHECK: attributes #[[ENTRY]] = { "sdrad-entry" }
