; The function's DISubprogram moves with the body, so debuggers and fault
; reports see the user's code; the thunk has no debug info of its own.
; RUN: %opt_sdrad %s | FileCheck %s

define i32 @f(i32 %x) #0 !dbg !5 {
entry:
  ret i32 %x, !dbg !8
}
attributes #0 = { "sdrad-domain"="d" }

!llvm.dbg.cu = !{!0}
!llvm.module.flags = !{!3}
!0 = distinct !DICompileUnit(language: DW_LANG_C11, file: !1, producer: "t", isOptimized: false, runtimeVersion: 0, emissionKind: FullDebug)
!1 = !DIFile(filename: "t.c", directory: "/tmp")
!3 = !{i32 2, !"Debug Info Version", i32 3}
!5 = distinct !DISubprogram(name: "f", scope: !1, file: !1, line: 1, type: !6, spFlags: DISPFlagDefinition, unit: !0)
!6 = !DISubroutineType(types: !7)
!7 = !{null}
!8 = !DILocation(line: 2, column: 3, scope: !5)

; CHECK: define i32 @f(i32 %x) #{{[0-9]+}} {
; CHECK: define internal i32 @f.sdrad_body(i32 %x) unnamed_addr #{{[0-9]+}} !dbg ![[SP:[0-9]+]] {
; CHECK-NEXT: entry:
; CHECK-NEXT: ret i32 %x, !dbg
; CHECK: ![[SP]] = distinct !DISubprogram(name: "f"
