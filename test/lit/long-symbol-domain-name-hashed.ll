; The runtime keeps domain names under 64 bytes: a longer default name (a
; long C++ symbol) is shortened to a prefix and a hash of the whole.
; RUN: %opt_sdrad %s | FileCheck %s

; CHECK: private unnamed_addr constant [64 x i8] c"_ZN9namespace5inner6parserINS_7requestEE5parse#{{[0-9a-f]+}}\00"

define void @_ZN9namespace5inner6parserINS_7requestEE5parseERKNS_6bufferEmPNS_6resultE() #0 {
entry:
  ret void
}
attributes #0 = { "sdrad-domain" }
