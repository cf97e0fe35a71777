; The pass runs once per function: a second run (e.g. when the plugin is
; given both as -fplugin and -fpass-plugin) changes nothing.
; RUN: %opt -load-pass-plugin=%plugin -passes=sdrad-isolate -S %s -o %t1.ll
; RUN: %opt -load-pass-plugin=%plugin -passes=sdrad-isolate,sdrad-isolate -S %s -o %t2.ll
; RUN: diff %t1.ll %t2.ll
; RUN: FileCheck %s < %t2.ll

define i32 @f(i32 %x) #0 {
entry:
  ret i32 %x
}
attributes #0 = { "sdrad-domain"="d" }

; CHECK-COUNT-1: call i32 @__sdrad_call_with(
; CHECK-NOT: f.sdrad_body.sdrad_body
