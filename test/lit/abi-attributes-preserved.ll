; Parameter and return ABI attributes (zeroext, signext, inreg, noundef,
; nonnull, ...) stay on the thunk and are repeated where the entry calls
; the body.
; RUN: %opt_sdrad %s | FileCheck %s

define noundef signext i8 @f(i1 noundef zeroext %b, i16 signext %s, ptr noundef nonnull "sdrad-shared" %p) #0 {
entry:
  ret i8 0
}
attributes #0 = { "sdrad-domain"="d" }

; CHECK: define noundef signext i8 @f(i1 noundef zeroext %b, i16 signext %s, ptr noundef nonnull "sdrad-shared" %p)
; CHECK: define internal noundef signext i8 @f.sdrad_body(i1 noundef zeroext %b, i16 signext %s, ptr noundef nonnull %p)
; CHECK: call noundef signext i8 @f.sdrad_body(i1 noundef zeroext %b, i16 signext %s, ptr noundef nonnull %p)
