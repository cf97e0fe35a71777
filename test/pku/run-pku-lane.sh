#!/usr/bin/env bash
# run-pku-lane.sh - run test binaries under real x86 protection keys in a
# QEMU guest (TCG, -cpu max), and optionally on the host (unprotected
# backend), and print one table with both.  docs/pku-lane.md explains it.
#
#   run-pku-lane.sh --init INIT --manifest FILE --work DIR [options]
#
#   --init FILE       static /init built from test/pku/init.c
#   --manifest FILE   tests, one per line:
#                       <name> <timeout-s> [VAR=VALUE ...] <host-path> [arg ...]
#                     or, to pick up programs that exist at run time:
#                       glob <dir> <shell-pattern> <timeout-s> [VAR=VALUE ...]
#                     or, every ctest test with a label (as ctest runs it):
#                       ctest <build-dir> <label> <timeout-s>
#                     or, for a GoogleTest binary, one process per test
#                     (gtest) or per test suite (gtest-suites):
#                       gtest <name> <timeout-s> [VAR=VALUE ...] <path> [arg ...]
#                     '#' comments and blank lines are ignored; no quoting.
#                     SDRAD_PKU_STDIN=<host-file> among the VAR=VALUEs
#                     feeds that file to the test's stdin (else /dev/null)
#   --work DIR        where the initramfs, console log and per-test logs go
#   --cache DIR       kernel cache (default: $SDRAD_PKU_CACHE, else
#                     ${XDG_CACHE_HOME:-$HOME/.cache}/sdrad-pku, else
#                     /var/cache/sdrad-pku, else DIR/kernel-cache)
#   --kernel FILE     use this bzImage instead of fetching one
#   --timeout SECS    host-side limit for the whole guest run (default 480);
#                     the guest's own budget for its tests is 60 s less
#   --host            also run every test on the host with
#                     SDRAD_BACKEND=unprotected (informational: a host
#                     failure is shown but does not fail the lane)
#   --smp N / --mem M QEMU CPUs (default 2) and memory (default 1G)
#
# Environment: SDRAD_PKU_KERNEL (= --kernel), SDRAD_PKU_CACHE (= --cache),
# SDRAD_PKU_KERNEL_PACKAGE (Debian package to fetch instead of the newest
# linux-image-6.1.0-*-cloud-amd64), SDRAD_PKU_NO_INSTALL=1 (never apt-get
# install qemu/cpio), SDRAD_PKU_SKIP=<reason> (skip the lane, exit 77),
# SDRAD_PKU_QEMU_CPU (QEMU -cpu model, default max; e.g. qemu64 to see the
# lane fail for want of PKU).
#
# Exit: 0 all guest tests passed with PKU present; 77 skipped on request;
# 1 otherwise (a failing test, no PKU in the guest, a hang, a missing tool
# or kernel).  Every failure prints a line starting with "PKU-LANE FAIL:".
set -u -o pipefail

die() { echo "PKU-LANE FAIL: $*" >&2; exit 1; }
note() { echo "PKU-LANE: $*" >&2; }

INIT= MANIFEST= WORK= CACHE=${SDRAD_PKU_CACHE:-} KERNEL=${SDRAD_PKU_KERNEL:-}
TIMEOUT=480 HOST_RUN=0 SMP=2 MEM=1G
while [ $# -gt 0 ]; do
  case $1 in
    --init) INIT=$2; shift 2 ;;
    --manifest) MANIFEST=$2; shift 2 ;;
    --work) WORK=$2; shift 2 ;;
    --cache) CACHE=$2; shift 2 ;;
    --kernel) KERNEL=$2; shift 2 ;;
    --timeout) TIMEOUT=$2; shift 2 ;;
    --host) HOST_RUN=1; shift ;;
    --smp) SMP=$2; shift 2 ;;
    --mem) MEM=$2; shift 2 ;;
    -h|--help) sed -n '2,37p' "$0"; exit 0 ;;
    *) die "unknown argument '$1' (see --help)" ;;
  esac
done
if [ -n "${SDRAD_PKU_SKIP:-}" ]; then
  echo "PKU-LANE SKIP: SDRAD_PKU_SKIP is set: ${SDRAD_PKU_SKIP}"
  exit 77
fi
[ -n "$INIT" ] && [ -x "$INIT" ] || die "--init '$INIT' is not an executable (build target sdrad_pku_init)"
[ -n "$MANIFEST" ] && [ -r "$MANIFEST" ] || die "--manifest '$MANIFEST' is not readable"
[ -n "$WORK" ] || die "--work is required"
mkdir -p "$WORK" || die "cannot create $WORK"
rm -f "$WORK/failures.txt"
WORK=$(cd "$WORK" && pwd)
T_START=$(date +%s.%N)
elapsed() { awk -v a="$T_START" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }

is_root() { [ "$(id -u)" = 0 ]; }

# --- tools ------------------------------------------------------------------
# Installs a Debian package when a tool is missing and we may (root, apt-get
# present, not forbidden); otherwise fails with what to install.
need_tool() {
  local tool=$1 pkg=$2
  command -v "$tool" >/dev/null 2>&1 && return 0
  if [ -z "${SDRAD_PKU_NO_INSTALL:-}" ] && is_root && command -v apt-get >/dev/null 2>&1; then
    note "$tool is missing; installing Debian package $pkg"
    if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$pkg" >"$WORK/apt-install-$pkg.log" 2>&1; then
      apt-get update -q >>"$WORK/apt-install-$pkg.log" 2>&1
      DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$pkg" >>"$WORK/apt-install-$pkg.log" 2>&1
    fi
    command -v "$tool" >/dev/null 2>&1 && return 0
    die "$tool is missing and 'apt-get install $pkg' failed (log: $WORK/apt-install-$pkg.log)"
  fi
  die "$tool is missing: install the Debian package $pkg (the PKU lane cannot run without it)"
}
need_tool qemu-system-x86_64 qemu-system-x86
need_tool cpio cpio
need_tool timeout coreutils

# --- kernel -----------------------------------------------------------------
# A Debian cloud kernel: built with CONFIG_X86_INTEL_MEMORY_PROTECTION_KEYS=y,
# small, boots under QEMU with everything the lane needs built in.
pick_cache() {
  local c
  for c in "$CACHE" "${XDG_CACHE_HOME:-${HOME:-/nonexistent}/.cache}/sdrad-pku" /var/cache/sdrad-pku "$WORK/kernel-cache"; do
    [ -n "$c" ] || continue
    if mkdir -p "$c" 2>/dev/null && [ -w "$c" ]; then echo "$c"; return 0; fi
  done
  return 1
}

newest_cached_kernel() {
  ls "$1"/vmlinuz-* 2>/dev/null | sort -V | tail -1
}

kernel_package_name() {
  if [ -n "${SDRAD_PKU_KERNEL_PACKAGE:-}" ]; then echo "$SDRAD_PKU_KERNEL_PACKAGE"; return 0; fi
  local pat='^linux-image-6\.1\.0-[0-9]+-cloud-amd64$' p
  p=$(apt-cache search --names-only "$pat" 2>/dev/null | awk '{print $1}' | sort -V | tail -1)
  if [ -z "$p" ] && is_root; then
    note "no kernel package known to apt; running apt-get update"
    apt-get update -q >"$1/apt-update.log" 2>&1 || note "apt-get update failed (see $1/apt-update.log)"
    p=$(apt-cache search --names-only "$pat" 2>/dev/null | awk '{print $1}' | sort -V | tail -1)
  fi
  [ -n "$p" ] && echo "$p"
}

fetch_kernel() {
  local cache=$1 pkg tmp deb
  command -v apt-get >/dev/null 2>&1 || die "no kernel in $cache and no apt-get to fetch one: pass --kernel FILE (a bzImage with CONFIG_X86_INTEL_MEMORY_PROTECTION_KEYS=y) or set SDRAD_PKU_KERNEL"
  pkg=$(kernel_package_name "$cache") || true
  [ -n "$pkg" ] || die "cannot find a linux-image-6.1.0-*-cloud-amd64 package with apt-cache (is the Debian archive reachable? try 'apt-get update'), or pass --kernel FILE"
  note "fetching kernel package $pkg into $cache"
  tmp=$(mktemp -d "$cache/fetch.XXXXXX") || die "cannot create a temporary directory in $cache"
  if ! (cd "$tmp" && apt-get download -q -o APT::Sandbox::User=root "$pkg") >"$tmp/download.log" 2>&1; then
    cat "$tmp/download.log" >&2
    rm -rf "$tmp"
    die "apt-get download $pkg failed (network or archive problem; see above)"
  fi
  deb=$(ls "$tmp"/*.deb 2>/dev/null | head -1)
  [ -n "$deb" ] || { rm -rf "$tmp"; die "apt-get download $pkg produced no .deb"; }
  if ! dpkg-deb --fsys-tarfile "$deb" | tar -C "$tmp" -xf - --wildcards './boot/vmlinuz-*' './boot/config-*'; then
    rm -rf "$tmp"
    die "cannot unpack the kernel from $deb"
  fi
  local vm cfg
  vm=$(ls "$tmp"/boot/vmlinuz-* | head -1)
  cfg=$(ls "$tmp"/boot/config-* | head -1)
  if ! grep -q '^CONFIG_X86_INTEL_MEMORY_PROTECTION_KEYS=y' "$cfg"; then
    rm -rf "$tmp"
    die "$pkg is not built with CONFIG_X86_INTEL_MEMORY_PROTECTION_KEYS=y"
  fi
  chmod 0644 "$vm" "$cfg"
  mv -f "$cfg" "$cache/"
  mv -f "$vm" "$cache/"
  rm -rf "$tmp"
}

if [ -z "$KERNEL" ]; then
  CACHE=$(pick_cache) || die "no writable kernel cache directory"
  exec 9>"$CACHE/.lock"
  flock 9 2>/dev/null || true   # one fetch at a time across parallel runs
  KERNEL=$(newest_cached_kernel "$CACHE")
  if [ -z "$KERNEL" ]; then
    fetch_kernel "$CACHE"
    KERNEL=$(newest_cached_kernel "$CACHE")
  fi
  exec 9>&-
  [ -n "$KERNEL" ] || die "no kernel in $CACHE after fetching"
fi
[ -r "$KERNEL" ] || die "kernel $KERNEL is not readable"
note "kernel: $KERNEL ($(elapsed) s)"

# --- the tests --------------------------------------------------------------
# TESTS[i] = name; T_TIMEOUT, T_ENV (space-separated), T_PATH, T_ARGS
# Lines "ctest <build-dir> <label> <timeout-s>" expand, before anything
# else, into one line per ctest test with that label (command, arguments
# and ENVIRONMENT as ctest has them; see ctest-to-manifest.cmake).
EXPANDED="$WORK/manifest.expanded"
: >"$EXPANDED"
while read -r -a f; do
  if [ "${f[0]:-}" = ctest ]; then
    [ ${#f[@]} -ge 4 ] || die "bad ctest line in $MANIFEST: ${f[*]}"
    json="$WORK/ctest-${f[2]}.json" part="$WORK/ctest-${f[2]}.manifest"
    if ! ctest --test-dir "${f[1]}" -N -L "^${f[2]}\$" --show-only=json-v1 >"$json" 2>"$json.err"; then
      die "ctest -N in ${f[1]} for label ${f[2]} failed: $(head -c 400 "$json.err")"
    fi
    cmake -DJSON="$json" -DOUT="$part" -DTIMEOUT="${f[3]}" -P "$(dirname "$0")/ctest-to-manifest.cmake" ||
      die "cannot turn the ctest tests with label ${f[2]} into a manifest"
    n=$(grep -vc '^#' "$part" || true)
    note "ctest label ${f[2]}: $n tests"
    grep '^#' "$part" | sed 's/^# /PKU-LANE: ctest: /' >&2 || true
    # Only the project's own test programs run in the guest: ELF
    # executables inside the build tree (not cmake, shells or scripts,
    # which the guest does not have).  Programs not built (a partial build)
    # are left out with a note; the suite's own ctest tests report them.
    bdir=$(cd "${f[1]}" && pwd -P)
    while read -r -a g; do
      [ ${#g[@]} -eq 0 ] && continue
      case ${g[0]} in \#*) continue ;; esac
      prog=""
      for x in "${g[@]:2}"; do [[ $x == /* ]] && { prog=$x; break; }; done
      if [ ! -x "$prog" ]; then note "ctest: ${g[0]}: $prog not built, left out"; continue; fi
      rp=$(readlink -f "$prog")
      case $rp in "$bdir"/*) ;; *) note "ctest: ${g[0]}: $prog is not a program of the build tree, left out"; continue ;; esac
      if [ "$(head -c 4 "$rp" | od -An -c | tr -d ' ')" != '177ELF' ]; then
        note "ctest: ${g[0]}: $prog is not an ELF executable (a script?), left out"; continue
      fi
      echo "${g[*]}" >>"$EXPANDED"
    done <"$part"
  else
    echo "${f[*]}" >>"$EXPANDED"
  fi
done <"$MANIFEST"

declare -a T_NAME T_TIMEOUT T_ENV T_PATH T_ARGS
add_test_entry() {
  local name=$1 to=$2 env=$3 path=$4 args=$5 i
  for i in "${!T_NAME[@]}"; do
    [ "${T_NAME[$i]}" = "$name" ] && die "test name '$name' appears twice in $MANIFEST"
  done
  T_NAME+=("$name"); T_TIMEOUT+=("$to"); T_ENV+=("$env"); T_PATH+=("$path"); T_ARGS+=("$args")
}
while read -r -a f; do
  [ ${#f[@]} -eq 0 ] && continue
  case ${f[0]} in \#*) continue ;; esac
  if [ "${f[0]}" = glob ]; then
    [ ${#f[@]} -ge 4 ] || die "bad glob line in $MANIFEST: ${f[*]}"
    dir=${f[1]} pat=${f[2]} to=${f[3]} env="${f[*]:4}"
    found=0
    for p in "$dir"/$pat; do
      [ -f "$p" ] && [ -x "$p" ] || continue
      add_test_entry "$(basename "$p")" "$to" "$env" "$p" ""
      found=1
    done
    [ $found = 1 ] || note "glob $dir/$pat matched no executable (nothing to add)"
    continue
  fi
  if [ "${f[0]}" = gtest ] || [ "${f[0]}" = gtest-suites ]; then
    # gtest[-suites] <name> <timeout-s> [VAR=VALUE ...] <path> [arg ...]:
    # one guest process per test (gtest) or per test suite (gtest-suites).
    # A fresh process gets fresh protection keys (a process has 15 at most),
    # and a crash takes down one test, not the rest.
    [ ${#f[@]} -ge 4 ] || die "bad gtest line in $MANIFEST: ${f[*]}"
    kind=${f[0]} base=${f[1]} to=${f[2]} env="" i=3
    while [ $i -lt ${#f[@]} ] && [[ ${f[$i]} == *=* ]] && [[ ${f[$i]} != /* ]]; do env+="${env:+ }${f[$i]}"; i=$((i + 1)); done
    [ $i -lt ${#f[@]} ] || die "no program in gtest line for $base"
    path=${f[$i]}
    [ -x "$path" ] || die "test $base: $path is not an executable (was it built?)"
    rest=("${f[@]:$((i + 1))}") other=()
    for a in "${rest[@]}"; do
      case $a in --gtest_filter=*) ;; *) other+=("$a") ;; esac
    done
    # "Suite." lines, then "  Test" lines (either may carry "  # ..." notes).
    tests=$(SDRAD_BACKEND=unprotected "$path" --gtest_list_tests "${rest[@]}" 2>/dev/null |
            awk '/^[A-Za-z_][A-Za-z0-9_\/]*\.( |$)/ { suite = $1; next }
                 /^  [A-Za-z_]/ && suite != "" { print suite $1 }') || true
    [ -n "$tests" ] || die "test $base: '$path --gtest_list_tests' listed no test"
    if [ "$kind" = gtest-suites ]; then
      for su in $(echo "$tests" | sed 's/\..*//' | uniq); do
        flt=$(echo "$tests" | grep "^$su\." | paste -sd: -)
        add_test_entry "$base.$su" "$to" "$env" "$path" "--gtest_filter=$flt ${other[*]}"
      done
    else
      for t in $tests; do
        add_test_entry "$base.$t" "$to" "$env" "$path" "--gtest_filter=$t ${other[*]}"
      done
    fi
    continue
  fi
  [ ${#f[@]} -ge 3 ] || die "bad line in $MANIFEST: ${f[*]}"
  name=${f[0]} to=${f[1]} env="" i=2
  while [ $i -lt ${#f[@]} ] && [[ ${f[$i]} == *=* ]] && [[ ${f[$i]} != /* ]]; do env+="${env:+ }${f[$i]}"; i=$((i + 1)); done
  [ $i -lt ${#f[@]} ] || die "no program in manifest line for $name"
  path=${f[$i]}
  args="${f[*]:$((i + 1))}"
  [ -x "$path" ] || die "test $name: $path is not an executable (was it built?)"
  add_test_entry "$name" "$to" "$env" "$path" "$args"
done <"$EXPANDED"
[ ${#T_NAME[@]} -gt 0 ] || die "no tests in $MANIFEST"

# --- the initramfs ----------------------------------------------------------
ROOT="$WORK/rootfs"
rm -rf "$ROOT"
mkdir -p "$ROOT"/{sdrad/bin,dev,proc,sys,tmp} || die "cannot create $ROOT"
cp "$INIT" "$ROOT/init" && chmod 0755 "$ROOT/init" || die "cannot copy $INIT"
if file "$INIT" 2>/dev/null | grep -q dynamically; then die "$INIT must be linked statically"; fi
is_root && mknod -m 0600 "$ROOT/dev/console" c 5 1 2>/dev/null

copy_with_libs() {   # <host-binary> <dest-in-root>
  local bin=$1 dest=$2 lib
  cp -L "$bin" "$ROOT$dest" || die "cannot copy $bin"
  file -L "$bin" 2>/dev/null | grep -q 'statically linked' && return 0   # no libraries
  # ldd prints "name => /path (addr)" and "/lib64/ld-linux... (addr)".
  ldd "$bin" 2>/dev/null | awk '{ for (i = 1; i <= NF; i++) if ($i ~ /^\//) print $i }' |
    while read -r lib; do
      [ -e "$ROOT$lib" ] && continue
      mkdir -p "$ROOT$(dirname "$lib")" && cp -L "$lib" "$ROOT$lib" || exit 1
    done || die "cannot copy the shared libraries of $bin"
}

GUEST_MANIFEST="$ROOT/sdrad/manifest"
: >"$GUEST_MANIFEST"
declare -A GUEST_PATH   # host path -> path in the guest (each binary once)
for i in "${!T_NAME[@]}"; do
  gpath=${GUEST_PATH[${T_PATH[$i]}]:-}
  if [ -z "$gpath" ]; then
    gpath="/sdrad/bin/${T_NAME[$i]}"
    copy_with_libs "${T_PATH[$i]}" "$gpath"
    GUEST_PATH[${T_PATH[$i]}]=$gpath
  fi
  # In the guest every test runs with real keys and insists on them, unless
  # its manifest line sets SDRAD_REQUIRE_PKU itself (GoogleTest binaries
  # whose death tests force the unprotected backend pass SDRAD_REQUIRE_PKU=0).
  req="SDRAD_REQUIRE_PKU=1"
  [[ " ${T_ENV[$i]} " == *" SDRAD_REQUIRE_PKU="* ]] && req=""
  echo "${T_NAME[$i]} ${T_TIMEOUT[$i]} $req ${T_ENV[$i]} $gpath ${T_ARGS[$i]}" | tr -s ' ' >>"$GUEST_MANIFEST"
  # Arguments naming files on the host (inputs of a test), and its stdin
  # file, are copied to the same path in the guest.
  for e in ${T_ENV[$i]}; do
    case $e in
      SDRAD_PKU_STDIN=*)
        f=${e#SDRAD_PKU_STDIN=}
        [[ $f == /* ]] && [ -f "$f" ] || die "test ${T_NAME[$i]}: SDRAD_PKU_STDIN=$f is not an absolute path to a file"
        [ -e "$ROOT$f" ] || { mkdir -p "$ROOT$(dirname "$f")" && cp -L "$f" "$ROOT$f"; } ||
          die "cannot copy $f (the stdin of ${T_NAME[$i]})" ;;
    esac
  done
  for a in ${T_ARGS[$i]}; do
    if [[ $a == /* ]] && [ -f "$a" ] && [ ! -e "$ROOT$a" ]; then
      mkdir -p "$ROOT$(dirname "$a")" && cp -L "$a" "$ROOT$a" || die "cannot copy $a (an argument of ${T_NAME[$i]})"
    fi
  done
done
# A /lib64 -> /lib link is not needed: copy_with_libs copies the loader by
# the path the binaries name.
INITRD="$WORK/initramfs.cpio.gz"
(cd "$ROOT" && find . -print0 | cpio --null -o -H newc --quiet) | gzip -1 >"$INITRD" || die "cannot build $INITRD"
note "initramfs: $INITRD ($(du -k "$INITRD" | cut -f1) KiB, ${#T_NAME[@]} tests) ($(elapsed) s)"

# --- boot -------------------------------------------------------------------
CONSOLE="$WORK/console.log"
BUDGET=$((TIMEOUT > 120 ? TIMEOUT - 60 : TIMEOUT / 2))
note "booting QEMU (TCG, -cpu ${SDRAD_PKU_QEMU_CPU:-max}, -smp $SMP, -m $MEM), host timeout ${TIMEOUT}s"
T_BOOT=$(date +%s.%N)
timeout --kill-after=10 "$TIMEOUT" qemu-system-x86_64 \
  -accel tcg -cpu "${SDRAD_PKU_QEMU_CPU:-max}" -smp "$SMP" -m "$MEM" \
  -kernel "$KERNEL" -initrd "$INITRD" \
  -append "console=ttyS0 panic=-1 quiet loglevel=3 oops=panic sdrad.budget=$BUDGET" \
  -nographic -no-reboot -nodefaults -serial stdio -monitor none </dev/null 2>"$WORK/qemu.stderr" |
  tr -d '\r' | sed -u 's/\x0/^@/g' | tee "$CONSOLE" | sed -u 's/^/guest| /'
QEMU_RC=${PIPESTATUS[0]}
T_GUEST=$(awk -v a="$T_BOOT" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
note "guest finished in ${T_GUEST} s (qemu exit $QEMU_RC)"

FAILS=()
if [ "$QEMU_RC" = 124 ] || [ "$QEMU_RC" = 137 ]; then
  FAILS+=("the guest hung: killed by the host timeout after ${TIMEOUT}s (last test started: $(grep -a "^SDRAD-PKU-START" "$CONSOLE" | tail -1 | cut -d" " -f2 | grep . || echo none))")
elif [ "$QEMU_RC" != 0 ]; then
  FAILS+=("qemu-system-x86_64 exited with $QEMU_RC: $(head -c 600 "$WORK/qemu.stderr")")
fi

# --- parse ------------------------------------------------------------------
# The console log is text: NUL bytes a test printed were turned into "^@"
# above (grep would take the whole log for binary data and match nothing);
# grep -a all the same.
cpu=$(grep -a -m1 '^SDRAD-PKU-CPU ' "$CONSOLE")
if [ -z "$cpu" ]; then
  FAILS+=("the guest printed no SDRAD-PKU-CPU line (kernel did not boot or /init failed)")
elif ! [[ $cpu =~ pku=1\ ospke=1\ pkey_alloc=[0-9]+\ fault=ok ]]; then
  FAILS+=("the guest does not report working protection keys: $cpu")
fi
grep -a -q '^SDRAD-PKU-DONE ' "$CONSOLE" || FAILS+=("the guest did not finish its tests (no SDRAD-PKU-DONE line)")

mkdir -p "$WORK/guest" "$WORK/host"
# Per-test guest output: the lines between START and RESULT.
for n in "${T_NAME[@]}"; do
  awk -v n="$n" '$0 == "SDRAD-PKU-START " n { on = 1; next }
                 on && $1 == "SDRAD-PKU-RESULT" && $2 == n { exit }
                 on { print }' "$CONSOLE" >"$WORK/guest/$n.log"
done

declare -A GUEST_RC GUEST_MS HOST_RC
for n in "${T_NAME[@]}"; do
  line=$(grep -a -m1 "^SDRAD-PKU-RESULT $n " "$CONSOLE")
  if [ -z "$line" ]; then
    GUEST_RC[$n]=missing
    FAILS+=("$n: no result from the guest")
  else
    set -- $line
    GUEST_RC[$n]=$3
    GUEST_MS[$n]=${4#ms=}
    [ "$3" = 0 ] || FAILS+=("$n: exit code $3 in the guest (output: $WORK/guest/$n.log)")
  fi
done

# --- host (unprotected backend) ---------------------------------------------
# Bounded: the host phase gets HOST_BUDGET seconds in all (default 90), each
# test at most 30 s; what does not fit is shown as "-" in the table.
if [ $HOST_RUN = 1 ]; then
  HOST_BUDGET=${SDRAD_PKU_HOST_BUDGET:-90}
  T_HOST=$(date +%s)
  for i in "${!T_NAME[@]}"; do
    n=${T_NAME[$i]}
    left=$((HOST_BUDGET - ($(date +%s) - T_HOST)))
    if [ $left -le 1 ]; then note "host phase out of time: $n and later tests not run on the host"; break; fi
    to=${T_TIMEOUT[$i]}; [ "$to" -gt 30 ] && to=30; [ "$to" -gt $left ] && to=$left
    envs=() in=/dev/null
    for e in ${T_ENV[$i]}; do
      case $e in
        SDRAD_BACKEND=*|SDRAD_REQUIRE_PKU=*) ;;
        SDRAD_PKU_STDIN=*) in=${e#SDRAD_PKU_STDIN=} ;;
        *) envs+=("$e") ;;
      esac
    done
    # shellcheck disable=SC2086
    (cd "$WORK/host" && env "${envs[@]}" SDRAD_BACKEND=unprotected \
       timeout --kill-after=5 "$to" "${T_PATH[$i]}" ${T_ARGS[$i]}) >"$WORK/host/$n.log" 2>&1 <"$in"
    HOST_RC[$n]=$?
  done
fi

# --- report -----------------------------------------------------------------
echo
echo "PKU lane: $cpu"
printf '%-40s %-14s %-10s %s\n' TEST "guest(pku)" "ms" "host(unprotected)"
: >"$WORK/results.tsv"
for n in "${T_NAME[@]}"; do
  g=${GUEST_RC[$n]}; [ "$g" = 0 ] && g=pass || g="FAIL($g)"
  h=-
  if [ $HOST_RUN = 1 ] && [ -n "${HOST_RC[$n]:-}" ]; then h=${HOST_RC[$n]}; [ "$h" = 0 ] && h=pass || h="fail($h)"; fi
  printf '%-40s %-14s %-10s %s\n' "$n" "$g" "${GUEST_MS[$n]:--}" "$h"
  printf '%s\t%s\t%s\t%s\n' "$n" "${GUEST_RC[$n]}" "${HOST_RC[$n]:--}" "${GUEST_MS[$n]:--}" >>"$WORK/results.tsv"
done
echo "guest: ${T_GUEST}s; lane total: $(elapsed)s; logs in $WORK (console.log, guest/, host/)"
if [ ${#FAILS[@]} -gt 0 ]; then
  for f in "${FAILS[@]}"; do echo "PKU-LANE FAIL: $f"; done
  # For whoever sees only the end of a long run (CI): each failure with the
  # end of its guest output; scripts/test.sh prints this file last.
  { for f in "${FAILS[@]}"; do
      echo "PKU-LANE FAIL: $f"
      n=${f%%: *}
      if [ -s "$WORK/guest/$n.log" ]; then
        # the lines that say what failed (a matrix row, a gtest failure),
        # then the end of the output
        grep -a -m 20 -E 'verdict=FAIL|^\[  FAILED|Failure$|HANG|CRASHED' "$WORK/guest/$n.log" | sed 's/^/    ! /'
        tail -n 25 "$WORK/guest/$n.log" | sed 's/^/    | /'
      fi
    done
    echo "guest: ${T_GUEST}s (budget ${BUDGET}s); last test started: $(grep -a "^SDRAD-PKU-START" "$CONSOLE" | tail -1 | cut -d" " -f2)"
  } >"$WORK/failures.txt"
  exit 1
fi
echo "PKU-LANE PASS: ${#T_NAME[@]} tests passed under protection keys"
exit 0
