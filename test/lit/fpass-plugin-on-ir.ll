; The same shared object works as a plain pass plugin on IR that follows
; the contract: clang -fpass-plugin= at -O2 runs the pass.
; RUN: %clang -fpass-plugin=%plugin -O2 -x ir -S -emit-llvm -o - %s | FileCheck %s
target triple = "x86_64-pc-linux-gnu"

define i32 @f(i32 %x) #0 {
entry:
  %y = mul i32 %x, 5
  ret i32 %y
}
attributes #0 = { noinline "sdrad-domain"="ir" }

; CHECK: call i32 @__sdrad_call_with(i64 %{{.*}}, ptr nonnull @f.sdrad_entry,
