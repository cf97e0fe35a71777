#!/usr/bin/env bash
# bench/run.sh - builds (if needed) and runs the whole SDRaD-C++ performance
# suite, then prints one table of ratios measured in this one run.
#
#   bench/run.sh                 full run (a few minutes)
#   bench/run.sh --smoke         quick run for CI (under a minute)
#   options: --build-dir DIR     build tree to use (default: build-bench)
#            --no-build          do not configure/build, use DIR as it is
#            --out FILE          also write the table to FILE
#            --keep DIR          keep raw results (R lines, callgrind files)
#            --alloc-only        only the allocator programs (section 3)
#            --pc-only           of those, only producer/consumer and the
#                                program alone (the peak-memory rows)
#            --rounds N          allocator rounds (default 5; 1 with --smoke)
#
# Targets are printed as "pass" / "short" (falls short); the script never
# fails because a target is missed, only when a benchmark fails to run.
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
smoke=0
build="$root/build-bench"
do_build=1
out_file=""
keep=""
alloc_only=0
pc_only=0
rounds=""
while [ $# -gt 0 ]; do
  case "$1" in
    --smoke) smoke=1 ;;
    --build-dir) build="$2"; shift ;;
    --no-build) do_build=0 ;;
    --out) out_file="$2"; shift ;;
    --keep) keep="$2"; shift ;;
    --alloc-only) alloc_only=1 ;;
    --pc-only) alloc_only=1; pc_only=1 ;;
    --rounds) rounds="$2"; shift ;;
    -h|--help) sed -n '2,18p' "$0"; exit 0 ;;
    *) echo "run.sh: unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
flag=""
[ $smoke = 1 ] && flag="--smoke"

if [ $do_build = 1 ]; then
  mkdir -p "$build"
  if [ ! -f "$build/build.ninja" ]; then
    cmake -S "$root" -B "$build" -G Ninja -DCMAKE_C_COMPILER=clang-19 \
      -DCMAKE_CXX_COMPILER=clang++-19 -DCMAKE_BUILD_TYPE=Release >"$build/bench-run.cmake.log" 2>&1 ||
      { echo "run.sh: cmake failed, see $build/bench-run.cmake.log" >&2; exit 1; }
  fi
  ninja -C "$build" bench_all >"$build/bench-run.ninja.log" 2>&1 ||
    { echo "run.sh: build failed, see $build/bench-run.ninja.log" >&2; tail -20 "$build/bench-run.ninja.log" >&2; exit 1; }
  # Optional: bench_call with plugin-generated thunks as well.
  # The same for the stand-in server (bench/server.sh's `pl` rows).
  for t in bench_call_plugin bench_server_plugin; do
    if ninja -C "$build" -t targets all 2>/dev/null | grep -q "^$t:"; then
      ninja -C "$build" $t >"$build/bench-run.$t.log" 2>&1 ||
        { echo "run.sh: $t did not build (see $build/bench-run.$t.log); hand thunks only" >&2
          rm -f "$build/bench/$t"; }
    fi
  done
fi
bin="$build/bench"
call_bin="$bin/bench_call"
[ -x "$bin/bench_call_plugin" ] && call_bin="$bin/bench_call_plugin"
if [ -n "$keep" ]; then
  raw="$keep"; mkdir -p "$raw"
else
  raw=$(mktemp -d); trap 'rm -rf "$raw"' EXIT
fi
: >"$raw/results.txt"
failed=0

# run NAME CMD... : runs one benchmark program, appends its R lines.
run() {
  local name=$1; shift
  if [ ! -x "$1" ]; then
    echo "run.sh: $name: not built ($1)" >&2
    failed=1
    return
  fi
  local t0=$(date +%s.%N)
  if "$@" >"$raw/$name.out" 2>"$raw/$name.err"; then
    grep '^R ' "$raw/$name.out" >>"$raw/results.txt"
  elif [ "${retry:-1}" = 1 ] && cp "$raw/$name.err" "$raw/$name.err.1" &&
       "$@" >"$raw/$name.out" 2>"$raw/$name.err"; then
    # A crash is reported, and the program is given one more run so that a
    # rare runtime bug does not make the smoke test flaky.
    echo "run.sh: WARNING: $name crashed once, second run succeeded: $(grep -v 'protection keys are not available' "$raw/$name.err.1" | tail -1)" | tee -a "$raw/warnings.txt" >&2
    grep '^R ' "$raw/$name.out" >>"$raw/results.txt"
  else
    echo "run.sh: $name failed (exit $?):" >&2
    tail -5 "$raw/$name.err" >&2
    grep '^R ' "$raw/$name.out" >>"$raw/results.txt"
    failed=1
  fi
  grep '^# ' "$raw/$name.out" >>"$raw/notes.txt" 2>/dev/null
  awk -v a="$t0" -v b="$(date +%s.%N)" -v n="$name" 'BEGIN { printf "  %-16s %6.1f s\n", n, b - a }' >&2
}

load0=$(cut -d' ' -f1 /proc/loadavg)
echo "running benchmarks$([ $smoke = 1 ] && echo ' (smoke)') ..." >&2
if [ $alloc_only = 0 ]; then
run call      "$call_bin" $flag
run syscall   "$bin/bench_syscall" $flag
# The same with Syscall User Dispatch on only during confined calls (names *.per_call).
SDRAD_CONFINEMENT=per-call run syscall_pc "$bin/bench_syscall" $flag
# The 1 GiB heap case needs a domain heap larger than 1 GiB.
SDRAD_HEAP_SIZE=$((3 << 30)) run recovery "$bin/bench_recovery" $flag
run proc      "$bin/bench_proc" $flag
fi
# Allocators: glibc, the runtime (sdrad) and mimalloc (when built) take
# turns, program by program, 5 rounds in a full run (1 in smoke mode); the
# table shows the median of the per-round ratios and their quartiles
# (table.awk), so that one noisy round does not decide.  bench_alloc: the
# churn loop; bench_malloc_load: the 1M-entry std::map and producer/consumer
# workloads, one process per figure (its peak RSS is the workload's).
allocs="glibc sdrad"
[ -x "$bin/bench_alloc_mimalloc" ] && [ -x "$bin/bench_malloc_load_mimalloc" ] && allocs="$allocs mimalloc"
[ -n "$rounds" ] || rounds=$([ $smoke = 1 ] && echo 1 || echo 5)
case "$rounds" in ''|*[!0-9]*|0) echo "run.sh: --rounds wants a positive number, not '$rounds'" >&2; exit 2 ;; esac
for i in $(seq "$rounds"); do
  [ $pc_only = 0 ] &&
  for a in $allocs; do run alloc_$a "$bin/bench_alloc_$a" $flag; done
  [ $pc_only = 0 ] &&
  for t in 1 2 4; do
    for a in $allocs; do run map${t}_$a "$bin/bench_malloc_load_$a" --map $t $flag; done
  done
  for t in 2 4; do
    for a in $allocs; do run pc${t}_$a "$bin/bench_malloc_load_$a" --pc $t $flag; done
  done
done
for a in $allocs; do run none_$a "$bin/bench_malloc_load_$a" --none; done
if [ $alloc_only = 0 ] && [ -x "$here/server.sh" ]; then
  run server "$here/server.sh" --build-dir "$build" $flag
fi
if [ $alloc_only = 0 ] && [ -x "$here/example_server.sh" ]; then
  run example "$here/example_server.sh" --build-dir "$build" $flag
fi

# --- callgrind: instructions per no-arg call ------------------------------
cg_count() {  # which n -> total Ir inside cg_loop_<which>
  local f="$raw/cg.$1.$2"
  # valgrind gives a client < 64 GiB of address space: shrink the runtime's
  # reservations (root heap, domain heap, instance slots).  No start-up
  # binary scan: it reads every executable mapping, valgrind's translation
  # cache included, which can end the run with SIGSEGV (off the measured loop)
  SDRAD_BINARY_SCAN=0 SDRAD_CONFINEMENT=0 SDRAD_ROOT_HEAP_SIZE=$((1 << 30)) SDRAD_HEAP_SIZE=$((16 << 20)) SDRAD_MAX_INSTANCES=16 \
  LD_PRELOAD="$vg_preload" valgrind --tool=callgrind --callgrind-out-file="$f" --collect-atstart=no \
    --toggle-collect="cg_loop_$1" "$cg_bin" --cg "$1" "$2" >/dev/null 2>"$f.log" || return 1
  awk '/^(summary|totals):/ { print $2; exit }' "$f"
}
if [ $alloc_only = 0 ] && command -v valgrind >/dev/null && [ -x "$call_bin" ]; then
  t0=$(date +%s)
  # valgrind 3.19 gives up on clang-19's DWARF 5 (the runtime is built with
  # the project's -g): profile a copy without debug info; symbols stay.
  cg_bin="$raw/bench_call.nodebug"
  objcopy --strip-debug "$call_bin" "$cg_bin" 2>/dev/null || cp "$call_bin" "$cg_bin"
  # the runtime's up-front arena reservation is larger than valgrind allows
  vg_preload=""
  [ -f "$bin/vg_shrink.so" ] && vg_preload="$bin/vg_shrink.so"
  # Per-call instructions of each kind: R cg.KIND.SUFFIX.
  cg_calls() {
    local suffix=$1 k a b
    shift
    for k in "$@"; do
      a=$(cg_count $k 1000); b=$(cg_count $k 3000)
      if [ -n "$a" ] && [ -n "$b" ] && [ "$a" -gt 0 ] && [ "$b" -gt "$a" ]; then
        echo "R cg.$k.$suffix $(( (b - a) / 2000 )).$(( ((b - a) % 2000) * 1000 / 2000 )) Ir" >>"$raw/results.txt"
      else
        echo "run.sh: callgrind ($k) failed, see $raw/cg.$k.*.log" >&2
      fi
    done
  }
  kinds="plain iso isoblk"
  "$call_bin" --cg plugin 1 >/dev/null 2>&1 && kinds="$kinds plugin"
  cg_calls noarg $kinds
  # Calls with buffers: the hand thunks (bench/thunk.h) pass them as
  # copies in the argument arena; the plugin's carry them in the block.
  kinds="buf64 str mc mcplain"
  "$call_bin" --cg pluginmc 1 >/dev/null 2>&1 && kinds="$kinds pluginbuf64 pluginstr pluginmc"
  cg_calls call $kinds
  # User-space instructions of one fault (fault, rewind, discard, error).
  if [ -x "$bin/bench_recovery" ]; then
    cg_rbin="$raw/bench_recovery.nodebug"
    objcopy --strip-debug "$bin/bench_recovery" "$cg_rbin" 2>/dev/null || cp "$bin/bench_recovery" "$cg_rbin"
    for n in 100 300; do
      SDRAD_BINARY_SCAN=0 SDRAD_CONFINEMENT=0 SDRAD_ROOT_HEAP_SIZE=$((1 << 30)) SDRAD_HEAP_SIZE=$((16 << 20)) SDRAD_MAX_INSTANCES=16 \
      LD_PRELOAD="$vg_preload" valgrind --tool=callgrind --callgrind-out-file="$raw/cg.fault.$n" --collect-atstart=no \
        --toggle-collect=cg_loop_fault "$cg_rbin" --cg fault $n >/dev/null 2>"$raw/cg.fault.$n.log" || true
    done
    a=$(awk '/^(summary|totals):/ { print $2; exit }' "$raw/cg.fault.100" 2>/dev/null)
    b=$(awk '/^(summary|totals):/ { print $2; exit }' "$raw/cg.fault.300" 2>/dev/null)
    if [ -n "$a" ] && [ -n "$b" ] && [ "$a" -gt 0 ] && [ "$b" -gt "$a" ]; then
      echo "R cg.fault $(( (b - a) / 200 )) Ir" >>"$raw/results.txt"
      # memset / memcpy inside it (wiping the used stack and heap)
      callgrind_annotate --inclusive=no "$raw/cg.fault.300" 2>/dev/null | awk '
        /^ *[0-9,]+ .*:__mem(set|cpy|move)/ { n = $1; gsub(/,/, "", n); t += n }
        END { printf "R cg.fault_memfill %.0f Ir\n", t / 300 }' >>"$raw/results.txt"
    fi
  fi
  # Where the isolated call's instructions go: inclusive cost of each thunk
  # ABI entry point per call (the loop ran 3000 calls).
  if [ -f "$raw/cg.iso.3000" ] && command -v callgrind_annotate >/dev/null; then
    callgrind_annotate --inclusive=yes "$raw/cg.iso.3000" 2>/dev/null | awk '
      /^ *[0-9,]+ .*:(__sdrad_[a-z_]+|iso_noarg|entry_noarg)/ {
        n = $1; gsub(/,/, "", n)
        f = $0; sub(/.*:/, "", f); sub(/[ (\[].*/, "", f)
        if (!(f in seen)) { seen[f] = 1; printf "R cgpart.%s %.1f Ir\n", f, n / 3000 }
      }' >>"$raw/results.txt"
  fi
  # WRPKRUs cannot execute here (no PKU): count them statically in the
  # runtime's gate code linked into bench_call.
  if command -v objdump >/dev/null; then
    objdump -d --no-show-raw-insn "$call_bin" | awk '
      /^[0-9a-f]+ <.*>:$/ { fn = $2; gsub(/[<>:]/, "", fn) }
      /\trdpkru/ { if (!(fn in n)) rd[fn] = 1 }
      /\twrpkru/ { n[fn]++ }
      END { for (f in n) printf "R wrpkru.%s %d insn\n", f, n[f]
            # an RDPKRU ahead of the WRPKRU: skipped when PKRU is already right
            for (f in rd) if (f in n) printf "R wrpkru_guarded.%s 1 flag\n", f }' >>"$raw/results.txt"
  fi
  printf '  %-16s %6d s\n' callgrind $(( $(date +%s) - t0 )) >&2
fi

# A run that produced (almost) nothing has failed, whatever the exit codes.
if [ "$(grep -c '^R ' "$raw/results.txt")" -lt $([ $pc_only = 1 ] && echo 10 || echo 30) ]; then
  echo "run.sh: too few results ($(grep -c '^R ' "$raw/results.txt")); see the errors above" >&2
  failed=1
fi

# --- the table --------------------------------------------------------------
backend=$(sed -n 's/^# backend //p' "$raw/notes.txt" 2>/dev/null | head -1)
cpu=$(awk -F: '/model name/ { gsub(/^ +/, "", $2); print $2; exit }' /proc/cpuinfo)
{
echo "SDRaD-C++ benchmark table  ($(date -u '+%Y-%m-%d %H:%M UTC'); $(nproc) cpu $cpu; backend ${backend:-?}; load avg $(cut -d' ' -f1 /proc/loadavg) at start ${load0};$([ $smoke = 1 ] && echo ' SMOKE MODE: few repetitions,' ) commit $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo none)$([ -n "$(git -C "$root" status --porcelain runtime 2>/dev/null)" ] && echo ' + uncommitted runtime changes'))"
awk -f "$here/table.awk" "$raw/results.txt"
} | tee "$raw/table.txt"
[ -n "$out_file" ] && cp "$raw/table.txt" "$out_file"
[ -f "$raw/warnings.txt" ] && cat "$raw/warnings.txt"
if grep -q '^R wrpkru' "$raw/results.txt"; then
  echo "WRPKRU instructions per function (static; API gates skip theirs when called from root):" $(sed -n 's/^R wrpkru\.\([^ ]*\) \([0-9]*\).*/\1=\2/p' "$raw/results.txt")
fi
exit $failed
