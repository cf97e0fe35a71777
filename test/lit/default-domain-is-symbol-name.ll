; Without a domain name each function gets its own domain, named after its
; symbol (for a local symbol, qualified with the source file name).
; RUN: %opt_sdrad %s | FileCheck %s
source_filename = "dir/parser.c"

; CHECK-DAG: c"_Z5parsePKc\00"
; CHECK-DAG: c"helper@parser.c\00"

define i32 @_Z5parsePKc(ptr "sdrad-shared" %s) #0 {
entry:
  ret i32 0
}
define internal i32 @helper() #0 {
entry:
  ret i32 0
}
attributes #0 = { "sdrad-domain" }

; CHECK: define i32 @_Z5parsePKc(ptr "sdrad-shared" %s) #[[T:[0-9]+]]
; CHECK: attributes #[[T]] = { "sdrad-thunk"="_Z5parsePKc" }
