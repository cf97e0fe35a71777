#!/usr/bin/env bash
# bench/server.sh - server throughput over loopback, bounded request counts.
# Called by run.sh; prints R lines:
#   server.plain.rps     stand-in server, not linked with the runtime
#   server.rt.rps        linked with the runtime, parser not isolated
#   server.iso.rps       parser isolated (domain thunk)
#   server.pl.rps        parser isolated by the plugin (bench_server_plugin,
#                        when run.sh could build it)
#   server.iso_mal.rps   parser isolated, 1 % malicious requests
#   server.iso_pc.rps    parser isolated, SDRAD_CONFINEMENT=per-call
#   server.iso_nc.rps    parser isolated, SDRAD_CONFINEMENT=0 (no confinement)
#   server.<cfg>.cpu     server CPU time (user+sys) per request, ns
#   server.<cfg>.parse   time in the parser call (isolated or not) per
#                        request, ns (clock read around the call)
# Each configuration runs `rounds` times, interleaved; the median is kept.
#   server.pair.<cfg>.{cpu,rps}  median over rounds of the ratio to plain
#                        within one round (capacity plain/x, throughput x/plain)
set -u
build=""
smoke=0
while [ $# -gt 0 ]; do
  case "$1" in
    --build-dir) build="$2"; shift ;;
    --smoke) smoke=1 ;;
  esac
  shift
done
bin="$build/bench"
conns=2
if [ $smoke = 1 ]; then requests=5000; rounds=2; else requests=60000; rounds=9; fi
# Server on one CPU, client on the other (when there are two): less
# scheduler noise between the configurations being compared.
pin_srv="" pin_cli=""
if command -v taskset >/dev/null && [ "$(nproc)" -ge 2 ]; then
  pin_srv="taskset -c 0" pin_cli="taskset -c 1"
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

one() {  # server-binary key permille [VAR=value]
  local pf="$tmp/port.$2" out="$tmp/srv.$2.out"
  rm -f "$pf"
  env ${4:-} $pin_srv "$bin/$1" --port-file "$pf" --conns $conns >"$out" 2>"$tmp/srv.$2.err" &
  local spid=$!
  for _ in $(seq 200); do [ -s "$pf" ] && break; sleep 0.02; done
  if [ ! -s "$pf" ]; then
    echo "server.sh: $1 did not start" >&2; kill "$spid" 2>/dev/null; return 1
  fi
  local ok=1
  timeout 120 $pin_cli "$bin/bench_loadgen" --port "$(cat "$pf")" --conns $conns \
    --requests $requests --evil-permille "$3" --key "server.$2" >"$tmp/lg1" || ok=0
  # The server exits by itself once both connections are closed.
  for _ in $(seq 250); do kill -0 "$spid" 2>/dev/null || break; sleep 0.02; done
  kill "$spid" 2>/dev/null
  wait "$spid" 2>/dev/null || ok=0
  if [ $ok = 0 ]; then
    # One bad round (e.g. a crash) is reported and left out of the medians.
    echo "server.sh: WARNING: round of $2 failed: $(tail -1 "$tmp/srv.$2.err")" >&2
    return 1
  fi
  sed -n 's/^# server: /# server.'"$2"': /p' "$out"
  cat "$tmp/lg1" >>"$tmp/lg.$2"
  sed -n 's/^cpu_ns_per_req /R server.'"$2"'.cpu /p; s/^parse_ns_per_req /R server.'"$2"'.parse /p' "$out" >>"$tmp/lg.$2"
}

configs="plain:bench_server_plain:0 rt:bench_server_rt:0 iso:bench_server_iso:0 pl:bench_server_plugin:0 iso_mal:bench_server_iso:10
  iso_pc:bench_server_iso:0:SDRAD_CONFINEMENT=per-call iso_nc:bench_server_iso:0:SDRAD_CONFINEMENT=0"
rc=0
lastv() { grep "^R server.$1.$2 " "$tmp/lg.$1" 2>/dev/null | tail -1 | awk '{print $3}'; }
for r in $(seq $rounds); do
  okr=1
  for c in $configs; do
    IFS=: read -r key exe pm envv <<<"$c"
    [ -x "$bin/$exe" ] || continue
    one "$exe" "$key" "$pm" "$envv" || okr=0
  done
  # Paired ratios within the round (back-to-back runs see the same load):
  # capacity plain_cpu / x_cpu, throughput x_rps / plain_rps.
  if [ $okr = 1 ] && [ -s "$tmp/lg.plain" ]; then
    for key in rt iso pl iso_mal iso_pc iso_nc; do
      [ -s "$tmp/lg.$key" ] || continue
      awk -v a="$(lastv plain cpu)" -v b="$(lastv $key cpu)" 'BEGIN { if (a > 0 && b > 0) print a / b }' >>"$tmp/pair.$key.cpu"
      awk -v a="$(lastv $key rps)" -v b="$(lastv plain rps)" 'BEGIN { if (a > 0 && b > 0) print a / b }' >>"$tmp/pair.$key.rps"
    done
  fi
done
for key in rt iso pl iso_mal iso_pc iso_nc; do
  for m in cpu rps; do
    [ -s "$tmp/pair.$key.$m" ] || continue
    sort -g "$tmp/pair.$key.$m" | awk -v k="server.pair.$key.$m" \
      '{a[NR]=$1} END { if (NR) printf "R %s %g ratio\n", k, (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2) }'
  done
done
for c in $configs; do
  IFS=: read -r key exe pm envv <<<"$c"
  [ -x "$bin/$exe" ] || continue
  # fails only when a configuration has no good round at all
  [ -s "$tmp/lg.$key" ] || { echo "server.sh: no good round of $key" >&2; rc=1; continue; }
  for m in rps cpu parse; do
    grep "^R server.$key.$m " "$tmp/lg.$key" | awk '{print $3}' | sort -g |
      awk -v k="server.$key.$m" -v u=$([ $m = rps ] && echo req/s || echo ns) '{a[NR]=$1} END { if (NR) printf "R %s %g %s\n", k, (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2), u }'
  done
  grep "^R server.$key.rejected " "$tmp/lg.$key" | tail -1
done
exit $rc
