#!/usr/bin/env bash
# bench/example_server.sh - throughput of examples/server (the plugin's
# example: a thread-per-connection TCP calculator whose parser is
# [[sdrad::isolate]]d) over loopback, with its own bounded load client.
# Called by run.sh; prints R lines:
#   example.plain.{rps,cpu}    sdrad-server-plain (same code, -DSDRAD_DISABLE)
#   example.iso.{rps,cpu}      sdrad-server (parser isolated)
#   example.iso_mal.{rps,cpu}  sdrad-server while 1 % of the requests are the
#                              example's stack-smashing attack
# rps: requests/s reported by the example's load client; cpu: the server's
# user+system CPU time (from /proc) per request, ns.  Each configuration runs
# `rounds` times, interleaved; the median is kept.  example.pair.<cfg>.{rps,cpu}
# is the median over rounds of the ratio to plain *within* a round
# (throughput iso/plain, capacity plain_cpu/iso_cpu): the configurations of
# one round run back to back and see the same load from other processes.
# Builds the example with the build tree's toolchain file into
# <build>/bench-example-server (configured once, rebuilt from clean every run:
# the runtime and plugin may have changed); if that fails the lines are
# simply missing (the table prints n/a).
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
build="" smoke=0
while [ $# -gt 0 ]; do
  case "$1" in
    --build-dir) build="$2"; shift ;;
    --smoke) smoke=1 ;;
  esac
  shift
done
build=$(cd "$build" && pwd)
tc="$build/cmake/SDRaDToolchain.cmake"
ex="$build/bench-example-server"
if [ ! -f "$tc" ] || [ ! -f "$root/examples/server/CMakeLists.txt" ]; then
  echo "# example server: no toolchain file or example, skipped"
  exit 0
fi
if ! { { [ -f "$ex/build.ninja" ] ||
           cmake -S "$root/examples/server" -B "$ex" -G Ninja -DCMAKE_TOOLCHAIN_FILE="$tc" \
             -DCMAKE_BUILD_TYPE=Release; } && cmake --build "$ex" --clean-first; } >"$ex.log" 2>&1; then
  echo "# example server: build failed, see $ex.log"
  exit 0
fi
[ -x "$ex/sdrad-server" ] && [ -x "$ex/sdrad-server-plain" ] || exit 0

conns=2
if [ $smoke = 1 ]; then per_conn=2500; rounds=2; else per_conn=30000; rounds=9; fi
attacks=$(( conns * per_conn / 100 ))
pin_srv="" pin_cli=""
if command -v taskset >/dev/null && [ "$(nproc)" -ge 2 ]; then
  pin_srv="taskset -c 0" pin_cli="taskset -c 1"
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
tck=$(getconf CLK_TCK)

cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null; }

one() {  # binary key attack(0/1)
  local out="$tmp/srv.out"
  $pin_srv "$ex/$1" 0 >"$out" 2>/dev/null &
  local spid=$! port=""
  for _ in $(seq 200); do
    port=$(sed -n 's/.*127\.0\.0\.1:\([0-9]*\).*/\1/p' "$out")
    [ -n "$port" ] && break
    sleep 0.02
  done
  if [ -z "$port" ]; then
    echo "example_server.sh: $1 did not start" >&2; kill "$spid" 2>/dev/null; wait "$spid" 2>/dev/null
    return 1
  fi
  local c0 apid="" ok=1
  c0=$(cpu_ticks "$spid")
  if [ "$3" = 1 ]; then
    timeout 120 $pin_cli "$ex/sdrad-server" --attack "$port" "$attacks" >/dev/null 2>&1 &
    apid=$!
  fi
  timeout 120 $pin_cli "$ex/sdrad-server" --load "$port" "$per_conn" "$conns" >"$tmp/load.out" 2>&1 || ok=0
  [ -n "$apid" ] && { wait "$apid" || ok=0; }
  local c1
  c1=$(cpu_ticks "$spid")
  kill -0 "$spid" 2>/dev/null || ok=0   # the server must still be alive
  kill "$spid" 2>/dev/null
  wait "$spid" 2>/dev/null
  if [ $ok = 0 ] || [ -z "$c0" ] || [ -z "$c1" ]; then
    echo "example_server.sh: WARNING: round of $2 failed: $(tail -1 "$tmp/load.out")" >&2
    return 1
  fi
  local n=$(( conns * per_conn + ($3 == 1 ? attacks : 0) ))
  sed -n 's/.* \([0-9.]*\) requests\/s.*/R example.'"$2"'.rps \1 req\/s/p' "$tmp/load.out" >>"$tmp/r.$2"
  awk -v a="$c0" -v b="$c1" -v t="$tck" -v n="$n" -v k="$2" \
    'BEGIN { printf "R example.%s.cpu %.1f ns\n", k, (b - a) / t * 1e9 / n }' >>"$tmp/r.$2"
}

last() { tail -1 "$tmp/r.$1" 2>/dev/null | awk '{print $3}'; }
for r in $(seq $rounds); do
  # Alternate the order so that neither build always runs first.
  if [ $((r % 2)) = 1 ]; then order="plain iso iso_mal"; else order="iso_mal iso plain"; fi
  okr=1
  for key in $order; do
    case $key in
      plain) one sdrad-server-plain plain 0 || okr=0 ;;
      iso) one sdrad-server iso 0 || okr=0 ;;
      iso_mal) one sdrad-server iso_mal 1 || okr=0 ;;
    esac
  done
  # Paired ratios of this round (neighbours in time see the same load).
  if [ $okr = 1 ]; then
    for key in iso iso_mal; do
      for m in rps cpu; do
        grep "^R example.$key.$m " "$tmp/r.$key" | tail -1 | awk '{print $3}' >"$tmp/a"
        grep "^R example.plain.$m " "$tmp/r.plain" | tail -1 | awk '{print $3}' >"$tmp/b"
        awk -v m=$m 'NR == FNR { a = $1; next } { b = $1 } END { if (a > 0 && b > 0) print (m == "rps" ? a / b : b / a) }' \
          "$tmp/a" "$tmp/b" >>"$tmp/ratio.$key.$m"
      done
    done
  fi
done
for key in plain iso iso_mal; do
  [ -s "$tmp/r.$key" ] || continue
  for m in rps cpu; do
    grep "^R example.$key.$m " "$tmp/r.$key" | awk '{print $3}' | sort -g |
      awk -v k="example.$key.$m" -v u=$([ $m = rps ] && echo req/s || echo ns) \
        '{a[NR]=$1} END { if (NR) printf "R %s %g %s\n", k, (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2), u }'
  done
done
for key in iso iso_mal; do
  for m in rps cpu; do
    [ -s "$tmp/ratio.$key.$m" ] || continue
    sort -g "$tmp/ratio.$key.$m" | awk -v k="example.pair.$key.$m" \
      '{a[NR]=$1} END { if (NR) printf "R %s %g ratio\n", k, (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2) }'
  done
done
exit 0
