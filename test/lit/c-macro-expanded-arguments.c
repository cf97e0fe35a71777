// Macro arguments are expanded before they reach the attributes: constant
// counts, domain names and fallback values from macros work.
// RUN: %clang_sdrad -O0 -S -emit-llvm -o - %s | FileCheck %s
#include <sdrad/isolate.h>
#include <stddef.h>

#define MAX_ITEMS (16u)
#define PARSER_DOMAIN "parser"
#define PARSE_ERROR (-3)

SDRAD_ISOLATE(PARSER_DOMAIN, fallback_value(PARSE_ERROR))
int parse(SDRAD_IN(MAX_ITEMS) const int *items, SDRAD_OUT(n) char *out, size_t n) { return 0; }

SDRAD_ISOLATE(shared, fallback_value(NULL))
char *find(SDRAD_STRING const char *s) { return 0; }

// CHECK: @__sdrad_domain_ref.parser = internal global
// CHECK: define dso_local i32 @parse(ptr noundef "sdrad-elem-size"="4" "sdrad-in"="16" %0, ptr noundef "sdrad-elem-size"="1" "sdrad-out"="arg2" %1, i64 noundef %2)
// CHECK: ret i32 -3
// CHECK-LABEL: define dso_local ptr @find(
// CHECK: ret ptr null
