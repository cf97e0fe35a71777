#!/usr/bin/env bash
# lane-selftest.sh - the PKU lane's harness on programs that used to break
# it (ctest: pku_lane_harness):
#   nul_output    prints a NUL byte (the console log was then "binary" to
#                 grep, and every test was reported missing)
#   stdin_fed     reads its stdin from a file named in the manifest
#                 (SDRAD_PKU_STDIN=<file>)
#   tmp_library   lives in a temporary directory under /tmp and needs a
#                 shared library from there (the guest mounted an empty
#                 tmpfs over /tmp)
#
#   lane-selftest.sh <cc> <run-pku-lane.sh> <init> <work-dir>
# Exit: that of run-pku-lane.sh (0 pass, 77 skipped, 1 fail).
set -eu
CC=$1 LANE=$2 INIT=$3 WORK=$4
mkdir -p "$WORK"
WORK=$(cd "$WORK" && pwd)
TMP=$(mktemp -d /tmp/sdrad-lane-selftest.XXXXXX)
trap 'rm -rf "$TMP"' EXIT

cat >"$TMP/nul.c" <<'C'
#include <stdio.h>
int main(void) { fwrite("before\0after\n", 1, 13, stdout); return 0; }
C
cat >"$TMP/stdin.c" <<'C'
#include <stdio.h>
#include <string.h>
int main(void) {
  char buf[64] = {0};
  size_t n = fread(buf, 1, sizeof buf - 1, stdin);
  if (n != 14 || strcmp(buf, "from the host\n") != 0) {
    fprintf(stderr, "stdin: got %zu bytes '%s'\n", n, buf);
    return 1;
  }
  return 0;
}
C
cat >"$TMP/lib.c" <<'C'
int lane_selftest_answer(void) { return 42; }
C
cat >"$TMP/uselib.c" <<'C'
int lane_selftest_answer(void);
int main(void) { return lane_selftest_answer() == 42 ? 0 : 1; }
C
printf 'from the host\n' >"$TMP/input.txt"
"$CC" -O1 -o "$TMP/nul_output" "$TMP/nul.c"
"$CC" -O1 -o "$TMP/stdin_fed" "$TMP/stdin.c"
"$CC" -O1 -shared -fPIC -o "$TMP/liblaneselftest.so" "$TMP/lib.c"
"$CC" -O1 -o "$TMP/tmp_library" "$TMP/uselib.c" -L"$TMP" -llaneselftest -Wl,-rpath,"$TMP"

cat >"$WORK/selftest.manifest" <<M
nul_output 30 $TMP/nul_output
stdin_fed 30 SDRAD_PKU_STDIN=$TMP/input.txt $TMP/stdin_fed
tmp_library 30 $TMP/tmp_library
M
rc=0
bash "$LANE" --init "$INIT" --manifest "$WORK/selftest.manifest" \
  --work "$WORK/lane" --timeout 240 --host || rc=$?
exit $rc
