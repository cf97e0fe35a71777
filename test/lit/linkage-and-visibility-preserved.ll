; The thunk keeps the symbol, linkage, visibility, comdat and unnamed_addr
; of the original; body and entry are internal, in the same comdat.
; RUN: %opt_sdrad %s | FileCheck %s

$inl = comdat any

define linkonce_odr hidden i32 @inl(i32 %x) #0 comdat {
entry:
  ret i32 %x
}
define protected void @prot() #0 {
entry:
  ret void
}
define internal i32 @local() #0 {
entry:
  ret i32 0
}
define weak dso_local void @weak_one() #0 {
entry:
  ret void
}
attributes #0 = { "sdrad-domain"="d" }

; CHECK: define linkonce_odr hidden i32 @inl(i32 %x) #{{[0-9]+}} comdat {
; CHECK: define protected void @prot()
; CHECK: define internal i32 @local()
; CHECK: define weak dso_local void @weak_one()
; CHECK: define internal i32 @inl.sdrad_body(i32 %x) unnamed_addr #{{[0-9]+}} comdat($inl)
; CHECK: define internal void @inl.sdrad_entry(ptr nonnull align 16 %blk) unnamed_addr #{{[0-9]+}} comdat($inl)
