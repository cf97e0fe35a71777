#!/usr/bin/env bash
# run.sh - memcached 1.6.18 (Debian bookworm's source) retrofitted with
# SDRaD-C++: fetch, patch, build plain and isolated, run memcached's own test
# suite, a side-by-side load, and the CVE-2020-10931 request under load.
# README.md next to this script explains what is isolated and why.
#
#   run.sh [--sdrad-build DIR] [--work DIR] STEP...
#
# Steps (in the order given; "all" = build suite cve; the benchmark is
# bench/memcached.sh, which builds without the bug patches):
#   build      apt-get source memcached (adds a deb-src entry for the
#              configured Debian mirror if there is none), install its build
#              dependency libevent-dev, apply memcached-sdrad.patch and
#              memcached-cve-2020-10931.patch and the two test-only
#              fault patches (memcached-fault-*.patch; not with MC_BUGS=0,
#              as bench/memcached.sh builds), build WORK/plain/memcached
#              (-DSDRAD_DISABLE, no plugin) and WORK/isolated/memcached
#              (pkg-config sdrad: the plugin and the runtime) with the same
#              clang-19 and flags (and memcached-debug of each, for the
#              suite), and WORK/mcload.
#   suite      memcached's t/*.t (prove) against the isolated binary and the
#              plain one; every test run must pass on both (the tests that
#              need a TLS, proxy or git build skip themselves).
#              T="t/a.t t/b.t" picks tests (default: all).
#   cve        under load (4 connections, 90/10 get/set), the malicious
#              requests against each binary (mcload attack: bin =
#              CVE-2020-10931 in mc_bin; text, getmulti = the injected
#              tokenizer fault in mc_text; num = the injected safe_strtoull
#              fault in mc_num; and, with -Y, authline and authpass =
#              the tokenizer fault in the ASCII authentication's
#              tokenizing), twice each: isolated must close that
#              connection (bin) or answer it with the fallback's error and
#              keep serving it (the others), log a recovered fault in the
#              right domain, keep every other answer right and keep the
#              cache; plain must die on each.  Prints the recovery figures.
#   bench      ROUNDS (default 10) rounds of SECONDS_PER_ROUND (default 5)
#              of load against plain, isolated and isolated with
#              SDRAD_CONFINEMENT=0 (MC_BENCH_NC=0: not that one), order
#              alternating; prints the paired-ratio table with its spread,
#              the geometric mean of the per-round ratios with a 95 % t
#              interval and whether it includes the target (throughput
#              0.97, p99 1.05, CPU per request 1/0.97), the load average and CPU steal during the rounds, and the
#              plain server's restart + re-warm time.
#   cobench    ROUNDS rounds of SECONDS_PER_ROUND s with plain and
#              isolated serving at the same time on one CPU (each its own
#              client on the other): the ratio of what each served in the
#              same seconds, its 95 % t interval and the targets, as bench
#              (both servers share every disturbance of the machine).
#   path       pathbench (built by the build step): the tokenizer's
#              isolated call timed in ns inside a request-like loop (a
#              loopback TCP round trip per iteration) and without one,
#              against the same tokenizer in root and against a no-op
#              isolated call; MC_PATH_BLOCKS (200), MC_PATH_ITERS (2000).
#   cost       counts instead of times (background load does not move
#              them): user-space instructions and isolated calls per set
#              and per get (callgrind; needs valgrind and the SDRaD build's
#              bench/vg_shrink.so), and the plain server's system calls per
#              request (strace, if installed).
#   cache      L1 misses per get (cachegrind, user space only, this
#              machine's cache sizes): instruction, data read and data
#              write misses of plain and isolated, same server set-up as
#              `cost`.  MC_CACHE_OPTS adds cachegrind options (e.g.
#              --I1=32768,64,64: the same size, 64-way, to tell capacity
#              misses from set conflicts, which move with code layout).
#
# Environment: SDRAD_BUILD (= --sdrad-build, default <repo>/build),
# MC_WORK (= --work, default <sdrad-build>/memcached), MC_THREADS (memcached
# -t, default 4), MC_CONNS (load connections, default 4).
# Exit: 0 when every step passed; 1 with a line "MEMCACHED FAIL: ..." when
# one did (including: the source could not be fetched).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
SDRAD_BUILD=${SDRAD_BUILD:-$repo/build}
WORK=${MC_WORK:-}
THREADS=${MC_THREADS:-4}
CONNS=${MC_CONNS:-4}
VERSION=1.6.18
fail() { echo "MEMCACHED FAIL: $*" >&2; exit 1; }
note() { echo "memcached: $*" >&2; }

steps=()
while [ $# -gt 0 ]; do
  case $1 in
    --sdrad-build) SDRAD_BUILD=$2; shift 2 ;;
    --work) WORK=$2; shift 2 ;;
    -h|--help) sed -n '2,68p' "$0"; exit 0 ;;
    all) steps+=(build suite cve); shift ;;
    build|suite|cve|bench|cobench|path|cost|cache) steps+=("$1"); shift ;;
    *) fail "unknown argument '$1' (see --help)" ;;
  esac
done
[ ${#steps[@]} -gt 0 ] || { sed -n '2,68p' "$0"; exit 2; }
SDRAD_BUILD=$(cd "$SDRAD_BUILD" && pwd) || fail "no SDRaD build tree at '$SDRAD_BUILD'"
WORK=${WORK:-$SDRAD_BUILD/memcached}
mkdir -p "$WORK"
WORK=$(cd "$WORK" && pwd)
export PKG_CONFIG_PATH=$SDRAD_BUILD/cmake${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}

# --- build ------------------------------------------------------------------
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"

ensure_deb_src() {
  if grep -rqsE '^(Types:.*deb-src|deb-src )' /etc/apt/sources.list /etc/apt/sources.list.d/; then
    return 0
  fi
  # The first "deb" stanza of the configured deb822 sources, as deb-src.
  local src=/etc/apt/sources.list.d/debian.sources uri suite
  if [ -r "$src" ]; then
    uri=$(awk '/^URIs:/ {print $2; exit}' "$src")
    suite=$(awk '/^Suites:/ {print $2; exit}' "$src")
  elif [ -r /etc/apt/sources.list ]; then
    read -r uri suite < <(awk '$1 == "deb" && $2 !~ /security/ {print $2, $3; exit}' /etc/apt/sources.list)
  fi
  [ -n "${uri:-}" ] && [ -n "${suite:-}" ] || fail "no Debian mirror configured in $src or /etc/apt/sources.list to add a deb-src entry for"
  note "adding deb-src $uri $suite main (/etc/apt/sources.list.d/sdrad-deb-src.sources)"
  printf 'Types: deb-src\nURIs: %s\nSuites: %s\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
    "$uri" "$suite" | $SUDO tee /etc/apt/sources.list.d/sdrad-deb-src.sources >/dev/null
  $SUDO apt-get update -q >"$WORK/apt-update.log" 2>&1 || fail "apt-get update failed after adding deb-src (see $WORK/apt-update.log)"
}

fetch_source() {
  local tree=$WORK/src/memcached-$VERSION
  if [ -f "$tree/memcached.c" ] && [ -f "$WORK/src/.complete" ]; then return 0; fi
  command -v apt-get >/dev/null || fail "apt-get is needed to fetch the memcached source"
  ensure_deb_src
  rm -rf "$WORK/src"; mkdir -p "$WORK/src"
  if ! (cd "$WORK/src" && apt-get source -q -o APT::Sandbox::User=root "memcached=$VERSION-1") >"$WORK/apt-source.log" 2>&1; then
    if ! (cd "$WORK/src" && apt-get source -q -o APT::Sandbox::User=root memcached) >>"$WORK/apt-source.log" 2>&1; then
      tail -5 "$WORK/apt-source.log" >&2
      fail "cannot fetch the memcached source with apt-get source (no Debian source mirror reachable?); log: $WORK/apt-source.log"
    fi
  fi
  [ -f "$tree/memcached.c" ] || fail "apt-get source did not give memcached $VERSION (found: $(ls "$WORK/src" | tr '\n' ' '))"
  touch "$WORK/src/.complete"
}

install_build_deps() {
  local p missing=()
  for p in libevent-dev dpkg-dev perl; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  note "installing ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}" >"$WORK/apt-install.log" 2>&1 ||
    { $SUDO apt-get update -q >>"$WORK/apt-install.log" 2>&1 &&
      DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}" >>"$WORK/apt-install.log" 2>&1; } ||
    fail "cannot install ${missing[*]} (see $WORK/apt-install.log)"
}

# build_variant <name> <extra CFLAGS> <extra LIBS>: an out-of-tree build of
# the patched tree with memcached's own configure and Makefile.
build_variant() {
  local name=$1 cflags=$2 libs=$3 dir=$WORK/$1 cf
  rm -rf "$dir"; mkdir -p "$dir"
  (cd "$dir" && "$WORK/tree/configure" --disable-coverage CC=clang-19 CFLAGS="-O2 -g" >configure.log 2>&1) ||
    fail "configure of the $name build failed (see $dir/configure.log)"
  cf=$(sed -n 's/^CFLAGS = //p' "$dir/Makefile")
  (cd "$dir" && nice make -j2 memcached memcached-debug timedrun CFLAGS="$cf $cflags" LIBS="-levent $libs" >make.log 2>&1) ||
    { tail -20 "$dir/make.log" >&2; fail "the $name build failed (see $dir/make.log)"; }
  note "built $dir/memcached"
}

step_build() {
  command -v clang-19 >/dev/null || fail "clang-19 is missing (scripts/install-deps.sh)"
  pkg-config --exists sdrad || fail "pkg-config cannot find sdrad.pc in $SDRAD_BUILD/cmake (build SDRaD-C++ first)"
  [ -f "$(pkg-config --variable=plugin sdrad)" ] || fail "the plugin $(pkg-config --variable=plugin sdrad) is not built"
  install_build_deps
  fetch_source
  rm -rf "$WORK/tree"
  cp -a "$WORK/src/memcached-$VERSION" "$WORK/tree"
  local p bugs=(memcached-cve-2020-10931.patch memcached-fault-tokenizer.patch memcached-fault-strtoull.patch)
  [ "${MC_BUGS:-1}" != 0 ] || bugs=()
  rm -f "$WORK/bugs.applied"
  for p in memcached-sdrad.patch ${bugs[@]+"${bugs[@]}"}; do
    (cd "$WORK/tree" && patch -p1 --forward --no-backup-if-mismatch <"$here/$p" >/dev/null) ||
      fail "$p does not apply to memcached $VERSION"
  done
  [ ${#bugs[@]} = 0 ] || echo "${bugs[*]}" >"$WORK/bugs.applied"
  build_variant plain "$(pkg-config --cflags-only-I sdrad) -DSDRAD_DISABLE" ""
  build_variant isolated "$(pkg-config --cflags sdrad)" "$(pkg-config --libs sdrad)"
  # runtime: no annotation (-DSDRAD_DISABLE) but linked with the runtime,
  # for the bench's split of the cost (its allocator, thread start-up and
  # confinement without any isolated call).  Only in the bench's tree.
  [ "${MC_BUGS:-1}" != 0 ] || build_variant runtime "$(pkg-config --cflags-only-I sdrad) -DSDRAD_DISABLE" "$(pkg-config --libs sdrad)"
  local b
  for b in memcached memcached-debug; do
    [ "$(nm "$WORK/isolated/$b" | grep -c '\.sdrad_body$')" -ge 8 ] ||
      fail "the isolated $b has no domain entry thunks (plugin not applied?)"
  done
  clang-19 -O2 -Wall -o "$WORK/mcload" "$here/mcload.c" -lpthread || fail "cannot build mcload"
  # shellcheck disable=SC2046
  clang-19 -O2 -Wall $(pkg-config --cflags sdrad) -o "$WORK/pathbench" "$here/pathbench.c" $(pkg-config --libs sdrad) ||
    fail "cannot build pathbench"
  # For the PKU lane (test/pku, test memcached.pku_lane): mcload selftest in
  # the guest; the lane copies file arguments into the guest, which is how
  # memcached and its shared libraries get there.
  echo "memcached_cve 300 SDRAD_LOG=1 $WORK/mcload selftest $WORK/isolated/memcached $(ldd "$WORK/isolated/memcached" |
    awk '{ for (i = 1; i <= NF; i++) if ($i ~ /^\//) print $i }' | tr '\n' ' ')" >"$WORK/pku.manifest"
  # Retrofit size: lines added or changed in memcached by the SDRaD patch.
  local added removed
  added=$(grep -c '^+[^+]' "$here/memcached-sdrad.patch" || true)
  removed=$(grep -c '^-[^-]' "$here/memcached-sdrad.patch" || true)
  echo "retrofit: memcached-sdrad.patch adds or changes $added lines (replacing $removed) in $(grep -c '^+++ ' "$here/memcached-sdrad.patch") files"
}

need_built() {
  [ -x "$WORK/plain/memcached" ] && [ -x "$WORK/isolated/memcached" ] && [ -x "$WORK/mcload" ] ||
    fail "binaries missing in $WORK: run the build step first"
}

# --- suite ------------------------------------------------------------------
# memcached's tests run from a build directory holding ./memcached-debug (the
# same sources with -DMEMCACHED_DEBUG, as memcached's Makefile builds it),
# ./timedrun and t/ (t/lib/MemcachedTest.pm); one such directory per binary.
suite_dir() {
  local name=$1 d=$WORK/suite-$1
  rm -rf "$d"; mkdir -p "$d"
  ln -s "$WORK/$name/memcached-debug" "$d/memcached-debug"
  ln -s "$WORK/$name/timedrun" "$d/timedrun"
  cp -a "$WORK/tree/t" "$d/t"
  ln -s "$WORK/tree/doc" "$d/doc"   # t/line-lengths.t reads doc/protocol.txt
  echo "$d"
}

suite_tests=()
pick_tests() {
  local t
  if [ -n "${T:-}" ]; then
    read -r -a suite_tests <<<"$T"
  else
    for t in "$WORK"/tree/t/*.t; do suite_tests+=("t/$(basename "$t")"); done
  fi
}

run_suite() {
  local name=$1 d
  d=$(suite_dir "$name")
  (cd "$d" && timeout 1200 prove -j2 "${suite_tests[@]}") >"$WORK/suite-$name.log" 2>&1
}

step_suite() {
  need_built
  command -v prove >/dev/null || fail "prove (perl) is missing"
  local rc_plain=0 rc_iso=0
  pick_tests
  run_suite plain || rc_plain=$?
  run_suite isolated || rc_iso=$?
  grep -E '^(Result|Files=)' "$WORK/suite-plain.log" | sed 's/^/suite plain:    /'
  grep -E '^(Result|Files=)' "$WORK/suite-isolated.log" | sed 's/^/suite isolated: /'
  # Every test run must pass on both.
  local failed_iso failed_plain
  failed_iso=$(sed -n 's/^\(t\/[^ ]*\.t\) .*(Wstat.*/\1/p' "$WORK/suite-isolated.log" | sort -u | tr '\n' ' ')
  failed_plain=$(sed -n 's/^\(t\/[^ ]*\.t\) .*(Wstat.*/\1/p' "$WORK/suite-plain.log" | sort -u | tr '\n' ' ')
  [ -z "$failed_plain" ] || note "failing on plain: $failed_plain(see $WORK/suite-plain.log)"
  [ -z "$failed_iso" ] || fail "failing on isolated: $failed_iso(see $WORK/suite-isolated.log)"
  [ "$rc_iso" -eq 0 ] || fail "prove failed on the isolated binary (see $WORK/suite-isolated.log)"
  [ "$rc_plain" -eq 0 ] || fail "prove failed on the plain binary (see $WORK/suite-plain.log)"
  echo "suite: all ${#suite_tests[@]} test files pass on plain and on isolated"
}

# --- servers ----------------------------------------------------------------
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# start_server <variant> [extra args]: sets srv_pid, srv_port; the server's
# environment gets srv_env (VAR=VALUE ...) in addition.
srv_env=()
start_server() {
  local name=$1; shift
  srv_port=$(free_port)
  env ${srv_env[@]+"${srv_env[@]}"} "$WORK/$name/memcached" -l 127.0.0.1 -p "$srv_port" -U 0 -t "$THREADS" -m 512 -u root "$@" \
    >"$WORK/server-$name.log" 2>&1 &
  srv_pid=$!
  local i
  for i in $(seq 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$srv_port") 2>/dev/null && return 0
    kill -0 "$srv_pid" 2>/dev/null || fail "$name memcached exited at start (see $WORK/server-$name.log)"
    sleep 0.05
  done
  fail "$name memcached did not listen on port $srv_port"
}

stop_server() {
  kill "$srv_pid" 2>/dev/null || true
  wait "$srv_pid" 2>/dev/null || true
}

# --- cve --------------------------------------------------------------------
KEYS=${MC_KEYS:-10000}

ATTACKS=(bin text getmulti num)
# The domain each attack's fault is in (README.md, "The bugs").
attack_domain() { case $1 in bin) echo mc_bin ;; text|getmulti) echo mc_text ;; num) echo mc_num ;; esac; }

# The plain server must die of an attack within 2 s: else stop it and fail
# with $1.  Sets the caller's status to the server's exit status.
plain_server_died() {
  local i
  for i in $(seq 40); do kill -0 "$srv_pid" 2>/dev/null || break; sleep 0.05; done
  if kill -0 "$srv_pid" 2>/dev/null; then
    stop_server
    fail "$1"
  fi
  status=0
  wait "$srv_pid" 2>/dev/null || status=$?
}

# The tokenizer of ASCII authentication (-Y), in mc_text: the auth line and
# the "user pass" payload of a client that has not authenticated yet, each
# attack twice while authenticated load runs (isolated), or once each
# against a fresh server (plain, which must die).
AUTH_ATTACKS=(authline authpass)
cve_auth() {
  local v=$1 ml=$WORK/mcload kind i out load faults status
  printf 'sdrad:secret\n' >"$WORK/auth.users"
  export MCLOAD_AUTH="sdrad secret"
  if [ "$v" = isolated ]; then
    SDRAD_LOG=1 start_server isolated -Y "$WORK/auth.users"
    "$ml" warm "$srv_port" 2000 >/dev/null || { stop_server; fail "isolated -Y: warming the cache (authenticated) failed"; }
    "$ml" load "$srv_port" "$CONNS" 3 2000 >"$WORK/cve-auth-load.out" 2>&1 & load=$!
    sleep 0.3
    for i in 1 2; do
      for kind in "${AUTH_ATTACKS[@]}"; do
        out=$("$ml" attack "$srv_port" "$kind") ||
          { stop_server; fail "isolated memcached -Y: the $kind attack did not end in the fallback's answer and a right answer after authenticating ($out)"; }
        echo "isolated -Y: $out"
        sleep 0.2
      done
    done
    wait "$load" || { cat "$WORK/cve-auth-load.out" >&2; stop_server; fail "isolated -Y: a load client got a wrong answer or lost its connection during the auth attacks"; }
    kill -0 "$srv_pid" 2>/dev/null || fail "the isolated memcached -Y died"
    "$ml" verify "$srv_port" 2000 >/dev/null || { stop_server; fail "isolated -Y: the cache lost or changed keys written before the auth attacks"; }
    stop_server
    faults=$(grep -c "fault in domain 'mc_text'" "$WORK/server-isolated.log" || true)
    [ "$faults" -ge 4 ] || fail "isolated -Y: the runtime logged $faults recovered faults in mc_text for 4 auth attacks (see $WORK/server-isolated.log)"
    echo "isolated -Y: alive, load right, 2000 keys intact; $faults recovered faults in mc_text"
  else
    for kind in "${AUTH_ATTACKS[@]}"; do
      start_server plain -Y "$WORK/auth.users"
      "$ml" warm "$srv_port" 500 >/dev/null || fail "plain -Y: warming failed"
      out=$("$ml" attack "$srv_port" "$kind" 2>&1) || true
      plain_server_died "the plain memcached -Y survived the $kind attack ($out; fault not injected?)"
      echo "plain -Y: $kind: $out; memcached died (exit status $status)"
    done
  fi
  unset MCLOAD_AUTH
}

step_cve() {
  need_built
  [ -f "$WORK/bugs.applied" ] || fail "$WORK was built without the bug patches (MC_BUGS=0): the cve step needs them"
  local ml=$WORK/mcload kind i out times=()
  # Isolated: every attack, twice, arrives while load runs.
  SDRAD_LOG=1 start_server isolated
  "$ml" warm "$srv_port" "$KEYS" >/dev/null || fail "isolated: warming the cache failed"
  "$ml" load "$srv_port" "$CONNS" 4 "$KEYS" >"$WORK/cve-load.out" 2>&1 & local load=$!
  sleep 0.5
  for i in 1 2; do
    for kind in "${ATTACKS[@]}"; do
      out=$("$ml" attack "$srv_port" "$kind") ||
        { stop_server; fail "isolated memcached: the $kind attack did not end in a closed connection (bin) or the fallback answer and a right answer after it ($out)"; }
      echo "isolated: $out"
      times+=("$kind:$(echo "$out" | sed -n 's/.*_after_us=\([0-9]*\).*/\1/p')")
      sleep 0.2
    done
  done
  wait "$load" || { cat "$WORK/cve-load.out" >&2; stop_server; fail "a load client got a wrong answer or lost its connection during the attacks"; }
  echo "isolated: load during the attacks: $(cat "$WORK/cve-load.out")"
  kill -0 "$srv_pid" 2>/dev/null || fail "the isolated memcached died"
  "$ml" verify "$srv_port" "$KEYS" >/dev/null || { stop_server; fail "isolated: the cache lost or changed keys written before the attacks"; }
  echo "isolated: alive; all $KEYS keys written before the attacks are intact"
  stop_server
  # Each attack must have been a fault in its domain, recovered.
  local d faults
  for d in mc_bin mc_text mc_num; do
    faults=$(grep -c "fault in domain '$d'" "$WORK/server-isolated.log" || true)
    grep -m1 "fault in domain '$d'" "$WORK/server-isolated.log" | sed 's/^/isolated: runtime: /' || true
    case $d in mc_text) want=4 ;; *) want=2 ;; esac
    [ "$faults" -ge "$want" ] || fail "the runtime logged $faults recovered faults in $d for $want attacks on it (see $WORK/server-isolated.log)"
  done
  echo "isolated: attack -> connection closed (bin) or answered (others), us, client-side, incl. loopback: ${times[*]}"
  cve_auth isolated

  # Plain: each request kills the server.
  local status
  for kind in "${ATTACKS[@]}"; do
    start_server plain
    "$ml" warm "$srv_port" 1000 >/dev/null || fail "plain: warming the cache failed"
    "$ml" load "$srv_port" "$CONNS" 2 1000 >"$WORK/cve-load-plain.out" 2>&1 & load=$!
    sleep 0.3
    out=$("$ml" attack "$srv_port" "$kind" 2>&1) || true
    wait "$load" 2>/dev/null || true
    plain_server_died "the plain memcached survived the $kind attack ($out; bug not re-introduced?)"
    echo "plain: $kind: $out; memcached died (exit status $status, $( [ $status -gt 128 ] && kill -l $((status - 128)) || echo '?')); its clients lost their connections"
  done
  cve_auth plain
  # What the plain server's restart costs: start + re-warm the same keys.
  local t0 t1
  t0=$(date +%s.%N)
  start_server plain
  "$ml" warm "$srv_port" "$KEYS" >/dev/null
  t1=$(date +%s.%N)
  stop_server
  awk -v a="$t0" -v b="$t1" -v k="$KEYS" 'BEGIN { printf "plain: restart + re-warm %d keys of 32 B over one connection: %.3f s\n", k, b - a }'
  echo "cve: PASS"
}

# --- bench ------------------------------------------------------------------
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
# The server's minor page faults, and its threads' context switches
# (voluntary + involuntary), so far.
min_faults() { awk '{ print $10 }' "/proc/$1/stat"; }
ctx_switches() { cat /proc/"$1"/task/*/status 2>/dev/null | awk '/^(non)?voluntary_ctxt_switches/ { n += $2 } END { print n + 0 }'; }
# Its anonymous memory in transparent huge pages, KiB.
huge_kib() { awk '/^AnonHugePages:/ { print $2; exit }' "/proc/$1/smaps_rollup" 2>/dev/null || echo 0; }
# /proc/stat's first line: total and steal ticks of all CPUs.
stat_ticks() { awk '/^cpu / { t = 0; for (i = 2; i <= NF; i++) t += $i; print t, $9; exit }' /proc/stat; }

# The paired statistic both load steps print (bench, cobench), as awk
# functions: over d[1..np] (per-round ln(variant/plain)), paired_ci sets the
# mean mn, a 95 % t interval lo..hi of exp(mean) and nneed, the rounds this
# spread would need for +-1 %; verdict says where target t lies (k 1: higher
# is better).
PAIRED_STATS_AWK='
function tq(df,   t) { split("12.706 4.303 3.182 2.776 2.571 2.447 2.365 2.306 2.262 2.228 2.201 2.179 2.160 2.145 2.131 2.120 2.110 2.101 2.093 2.086 2.080 2.074 2.069 2.064 2.060 2.056 2.052 2.048 2.045 2.042", t, " "); return df <= 30 ? t[df] + 0 : (df <= 60 ? 2.000 : (df <= 120 ? 1.980 : 1.960)) }
function paired_ci(np,   i, sm, ss, h) {
  sm = 0; ss = 0
  for (i = 1; i <= np; i++) sm += d[i]
  mn = sm / np; for (i = 1; i <= np; i++) ss += (d[i] - mn) ^ 2
  h = tq(np - 1) * sqrt(ss / (np - 1) / np); lo = exp(mn - h); hi = exp(mn + h)
  nneed = int((1.96 * sqrt(ss / (np - 1)) / 0.01) ^ 2) + 1
}
function verdict(k, t) {
  return (t >= lo && t <= hi) ? "inside the CI (undecided at this n)" : ((k == 1 ? lo > t : hi < t) ? "met (whole CI on the good side)" : "missed (whole CI on the bad side)")
}'

# bench_round <round> <variant> <label> [env...]: one round of load against a
# fresh server; appends one line to bench.raw.
bench_round() {
  local r=$1 v=$2 label=$3; shift 3
  local line t0 t1 cpu s0 s1 l0 f0 f1 c0 c1 hp
  srv_env=("$@")
  start_server "$v"
  [ "$pin" = 0 ] || taskset -a -p -c 0 "$srv_pid" >/dev/null
  "$WORK/mcload" warm "$srv_port" "$KEYS" >/dev/null || fail "$label: warming failed"
  read -r -a s0 < <(stat_ticks)
  l0=$(cut -d' ' -f1 /proc/loadavg)
  t0=$(cpu_ticks "$srv_pid") f0=$(min_faults "$srv_pid") c0=$(ctx_switches "$srv_pid")
  line=$("${pin_cli[@]}" "$WORK/mcload" load "$srv_port" "$CONNS" "$secs" "$KEYS") || { stop_server; fail "$label: wrong answers under load: $line"; }
  t1=$(cpu_ticks "$srv_pid") f1=$(min_faults "$srv_pid") c1=$(ctx_switches "$srv_pid") hp=$(huge_kib "$srv_pid")
  read -r -a s1 < <(stat_ticks)
  stop_server
  srv_env=()
  # The server's CPU time (user + system) per request: what one core would
  # sustain, less disturbed by other load than wall-clock rates.
  cpu=$(echo "$line" | awk -v d=$((t1 - t0)) -v hz="$(getconf CLK_TCK)" '{ split($2, o, "="); printf "%.2f", d / hz * 1e6 / o[2] }')
  echo "round=$r $label ${line#LOAD } cpu_us_per_op=$cpu minflt=$((f1 - f0)) ctxsw=$((c1 - c0)) huge_kib=$hp load1=$l0 steal_pct=$(awk -v a="${s1[0]}" -v b="${s0[0]}" -v c="${s1[1]}" -v d="${s0[1]}" 'BEGIN { printf "%.1f", (a > b) ? 100 * (c - d) / (a - b) : 0 }')" |
    tee -a "$WORK/bench.raw"
}

step_bench() {
  need_built
  [ ! -f "$WORK/bugs.applied" ] || note "WARNING: $WORK was built with the bug patches ($(cat "$WORK/bugs.applied")); bench/memcached.sh builds without them (MC_BUGS=0)"
  local rounds=${ROUNDS:-10} r v
  secs=${SECONDS_PER_ROUND:-5}
  # Server on one CPU, load client on the other (when there are two).
  pin=0 pin_cli=()
  if command -v taskset >/dev/null && [ "$(nproc)" -ge 2 ]; then
    pin=1 pin_cli=(taskset -c 1)
  fi
  # isolated-nc: the isolated binary with SDRAD_CONFINEMENT=0 (no Syscall
  # User Dispatch), to split the cost between the isolated calls and the
  # confinement's slower system calls.  MC_BENCH_NC=0 leaves it out.
  local variants=(plain isolated)
  [ "${MC_BENCH_NC:-1}" = 0 ] || variants+=(isolated-nc)
  # runtime: the binary without isolated calls but with the runtime linked
  # (built in the bench's tree only; MC_BENCH_RT=0: not that one).
  [ "${MC_BENCH_RT:-1}" = 0 ] || [ ! -x "$WORK/runtime/memcached" ] || variants+=(runtime)
  : >"$WORK/bench.raw"
  local load0 head
  load0=$(cut -d' ' -f1,2,3 /proc/loadavg)
  for r in $(seq "$rounds"); do
    # Alternate the order within a round (ABC, CBA, ...) so that a drift
    # in background load does not always favour the same binary.
    local order=("${variants[@]}")
    if [ $((r % 2)) = 0 ]; then order=(); for ((v = ${#variants[@]} - 1; v >= 0; v--)); do order+=("${variants[v]}"); done; fi
    for v in "${order[@]}"; do
      case $v in
        plain) bench_round "$r" plain plain ;;
        isolated) bench_round "$r" isolated isolated ;;
        isolated-nc) bench_round "$r" isolated isolated-nc SDRAD_CONFINEMENT=0 ;;
        runtime) bench_round "$r" runtime runtime ;;
      esac
    done
  done
  head="$(date -u '+%Y-%m-%d %H:%M UTC'); $(nproc) cpu $(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //'); backend $(SDRAD_LOG=1 "$WORK/isolated/memcached" -h 2>&1 >/dev/null | sed -n 's/^sdrad: backend \([a-z]*\).*/\1/p' | head -1); commit $(git -C "$here" rev-parse --short HEAD 2>/dev/null || echo '?')"
  echo "$head"
  echo "load average (1/5/15 min) $load0 at start, $(cut -d' ' -f1,2,3 /proc/loadavg) at end"
  awk -v rounds="$rounds" -v secs="$secs" -v conns="$CONNS" -v threads="$THREADS" -v keys="$KEYS" -v pin="$pin" "$PAIRED_STATS_AWK"'
    function sort(a, n,   i, j, t) { for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t } }
    function q(a, n, f,   k) { k = 1 + f * (n - 1); return a[int(k)] + (k - int(k)) * (a[int(k) + 1] - a[int(k)]) }
    { split($1, rr, "="); r = rr[2]; v = $2; n[v] = r > n[v] ? r : n[v]
      for (i = 3; i <= NF; i++) { split($i, kv, "="); x[v, kv[1], r] = kv[2] } }
    END {
      printf "memcached 1.6.18, %d rounds x %d s per binary, order alternating (ABC, CBA, ...); %d connections, -t %d, %d keys of 32 B, 90/10 get/set; %s\n", rounds, secs, conns, threads, keys, pin ? "server on CPU 0, client on CPU 1" : "not pinned"
      printf "%-14s %-11s %9s %9s %8s %17s %17s\n", "metric", "variant", "plain", "variant", "paired", "pairs p25..p75", "pairs min..max"
      split("ops_per_s p50_us p99_us cpu_us_per_op", m, " ")
      split("isolated isolated-nc runtime", vs, " ")
      for (k = 1; k <= 4; k++) for (w = 1; w <= 3; w++) {
        v = vs[w]; if (!n[v]) continue
        np = 0
        for (i = 1; i <= n[v]; i++) { np++; p[np] = x["plain", m[k], i]; b[np] = x[v, m[k], i]; rt[np] = b[np] / p[np] }
        sort(p, np); sort(b, np); sort(rt, np)
        printf "%-14s %-11s %9.1f %9.1f %7.3fx %8.3f..%-8.3f %8.3f..%-8.3f\n", m[k], v, q(p, np, .5), q(b, np, .5), q(rt, np, .5), q(rt, np, .25), q(rt, np, .75), rt[1], rt[np]
      }
      # The paired statistic: per round, ln(variant / plain); their mean with a
      # 95 % t interval, back as ratios (geometric mean of the per-round
      # ratios).  Rounds are paired and alternate the order, so a drift in the
      # load of other processes cancels within a round.  The target, as ratios:
      # throughput 0.97 (cpu_us_per_op 1/0.97: a server whose CPU is the
      # bottleneck), p99 1.05.
      printf "%-14s %-11s %8s %19s %7s %8s %s\n", "metric", "variant", "geomean", "95% CI (t, paired)", "worse", "n(+-1%)", "target: CI includes it?"
      split("ops_per_s p99_us cpu_us_per_op", cm, " "); split("0.97 1.05 1.0309", tg, " ")
      for (k = 1; k <= 3; k++) for (w = 1; w <= 3; w++) {
        v = vs[w]; if (!n[v]) continue
        np = 0; worse = 0
        for (i = 1; i <= n[v]; i++) { if (x["plain", cm[k], i] <= 0 || x[v, cm[k], i] <= 0) continue
          np++; d[np] = log(x[v, cm[k], i] / x["plain", cm[k], i])
          worse += (k == 1) ? (d[np] < 0) : (d[np] > 0) }
        if (np < 2) continue
        paired_ci(np)
        printf "%-14s %-11s %7.3fx %8.3f..%-8.3f %3d/%-3d %8d %s %.3f: %s\n", cm[k], v, exp(mn), lo, hi, worse, np, nneed, k == 1 ? ">=" : "<=", tg[k], verdict(k, tg[k])
      }
      print "geomean: exp(mean over rounds of ln(variant/plain)); 95% CI: mean +- t(n-1) x sd/sqrt(n) of those logs; worse: rounds where the variant was worse than plain;"
      print "n(+-1%): rounds this spread (sd of those logs) would need for a 95% CI of +-1% (1.96 sd / 0.01, squared)"
      # The rounds of each variant alone: a bimodal variant shows here, and so does
      # how far the same binary moves from round to round on this machine.
      for (w = 0; w <= 3; w++) {
        v = w ? vs[w] : "plain"; if (!n[v]) continue
        for (i = 1; i <= n[v]; i++) { o[i] = x[v, "ops_per_s", i]; mf[i] = x[v, "minflt", i]; cs[i] = x[v, "ctxsw", i] / x[v, "ops", i] }
        sort(o, n[v]); sort(mf, n[v]); sort(cs, n[v])
        printf "rounds of %-11s ops_per_s min %.0f p25 %.0f median %.0f p75 %.0f max %.0f; minor faults %d..%d; context switches per request %.2f..%.2f\n", v, o[1], q(o, n[v], .25), q(o, n[v], .5), q(o, n[v], .75), o[n[v]], mf[1], mf[n[v]], cs[1], cs[n[v]]
      }
      for (i = 1; i <= rounds; i++) for (v in n) { if (x[v, "load1", i] == "") continue; nl++; l[nl] = x[v, "load1", i]; ns++; st[ns] = x[v, "steal_pct", i] }
      sort(l, nl); sort(st, ns)
      printf "background during the rounds: load average (1 min) %.2f..%.2f (median %.2f); CPU steal %.1f..%.1f %% (median %.1f %%)\n", l[1], l[nl], q(l, nl, .5), st[1], st[ns], q(st, ns, .5)
      print "plain/variant: medians over rounds; paired: median over rounds of variant / plain within the round; pairs: spread of those per-round ratios"
      if (n["isolated-nc"]) print "isolated-nc: the isolated binary with SDRAD_CONFINEMENT=0 (no Syscall User Dispatch)"
      if (n["runtime"]) print "runtime: no isolated call (-DSDRAD_DISABLE) but the runtime linked (its malloc, thread start-up, confinement)"
    }' "$WORK/bench.raw"
  # What a crash costs the plain server: restart, then re-warm a cache of
  # REWARM_KEYS values of 4000 B over one connection.
  local keys=${REWARM_KEYS:-50000} t0 t1
  t0=$(date +%s.%N)
  start_server plain
  "$WORK/mcload" warm "$srv_port" "$keys" 4000 >/dev/null || fail "re-warm failed"
  t1=$(date +%s.%N)
  "$WORK/mcload" verify "$srv_port" "$keys" 4000 >/dev/null || fail "re-warmed cache is wrong (too small for $keys x 4000 B?)"
  stop_server
  awk -v a="$t0" -v b="$t1" -v k="$keys" 'BEGIN { mb = k * 4000 / 1e6; s = b - a
    printf "plain restart + re-warm of %.0f MB (%d x 4000 B, one connection): %.2f s = %.0f MB/s; at that rate 10 GB take %.0f s\n", mb, k, s, mb / s, 10000 / (mb / s) }'
}

# --- cobench -----------------------------------------------------------------
# The plain and the isolated server at the same time, both on CPU 0 (each
# with its own client, both clients on CPU 1), for ROUNDS rounds of
# SECONDS_PER_ROUND s.  Sequential rounds compare two windows of time, and
# on a VM the rounds move by +-20 % (CPU steal, other guests): the spread
# hides a 3 % difference.  Run together, the two servers share every
# disturbance, and the one CPU they share is the bottleneck (a server's
# CPU is ~100 % busy in the sequential rounds already): the kernel's
# scheduler gives runnable threads equal time, so the ratio of the
# requests served in the same seconds is the ratio of their capacities.
# Who starts and is warmed first alternates per round.
cobench_round() {
  local r=$1 first=$2 second=$3 v pid port
  declare -A pids=() ports=() t0=() t1=() lines=()
  for v in "$first" "$second"; do
    # the variant's binary and environment (as bench_round's callers)
    case $v in
      isolated-nc) srv_env=(SDRAD_CONFINEMENT=0); start_server isolated ;;
      *) srv_env=(); start_server "$v" ;;
    esac
    srv_env=()
    pids[$v]=$srv_pid ports[$v]=$srv_port
    [ "$pin" = 0 ] || taskset -a -p -c 0 "$srv_pid" >/dev/null
  done
  for v in "$first" "$second"; do
    "$WORK/mcload" warm "${ports[$v]}" "$KEYS" >/dev/null || fail "cobench: warming $v failed"
  done
  for v in "$first" "$second"; do t0[$v]=$(cpu_ticks "${pids[$v]}"); done
  local clients=() ok=1
  for v in "$first" "$second"; do
    "${pin_cli[@]}" "$WORK/mcload" load "${ports[$v]}" "$CONNS" "$secs" "$KEYS" >"$WORK/cobench.$v.out" &
    clients+=($!)
  done
  for pid in "${clients[@]}"; do wait "$pid" || ok=0; done
  for v in "$first" "$second"; do t1[$v]=$(cpu_ticks "${pids[$v]}"); done
  for v in "$first" "$second"; do srv_pid=${pids[$v]}; stop_server; done
  [ "$ok" = 1 ] || fail "cobench: wrong answers under load ($(cat "$WORK"/cobench.*.out))"
  for v in "$first" "$second"; do
    line=$(cat "$WORK/cobench.$v.out")
    echo "round=$r $v ${line#LOAD } cpu_us_per_op=$(echo "$line" | awk -v d=$((t1[$v] - t0[$v])) -v hz="$(getconf CLK_TCK)" '{ split($2, o, "="); printf "%.2f", d / hz * 1e6 / o[2] }')" |
      tee -a "$WORK/cobench.raw"
  done
}

step_cobench() {
  need_built
  local rounds=${ROUNDS:-10} r
  secs=${SECONDS_PER_ROUND:-5}
  pin=0 pin_cli=()
  if command -v taskset >/dev/null && [ "$(nproc)" -ge 2 ]; then
    pin=1 pin_cli=(taskset -c 1)
  fi
  : >"$WORK/cobench.raw"
  local load0
  load0=$(cut -d' ' -f1,2,3 /proc/loadavg)
  # MC_COBENCH_VARIANT: what runs against plain (isolated, isolated-nc or runtime)
  local cv=${MC_COBENCH_VARIANT:-isolated}
  case $cv in isolated|isolated-nc|runtime) ;; *) fail "MC_COBENCH_VARIANT=$cv: isolated, isolated-nc or runtime" ;; esac
  for r in $(seq "$rounds"); do
    if [ $((r % 2)) = 1 ]; then cobench_round "$r" plain "$cv"; else cobench_round "$r" "$cv" plain; fi
  done
  echo "load average (1/5/15 min) $load0 at start, $(cut -d' ' -f1,2,3 /proc/loadavg) at end"
  awk -v rounds="$rounds" -v secs="$secs" -v conns="$CONNS" -v threads="$THREADS" -v keys="$KEYS" -v pin="$pin" -v cv="$cv" "$PAIRED_STATS_AWK"'
    { split($1, rr, "="); r = rr[2]; v = $2; n = r > n ? r : n
      for (i = 3; i <= NF; i++) { split($i, kv, "="); x[v, kv[1], r] = kv[2] } }
    END {
      printf "concurrent: plain and %s at the same time, %d rounds x %d s; each %d connections, -t %d, %d keys of 32 B, 90/10 get/set; %s\n", cv, rounds, secs, conns, threads, keys, pin ? "both servers on CPU 0, both clients on CPU 1" : "not pinned"
      printf "%-14s %10s %10s %8s %19s %7s %8s %s\n", "metric", "plain", cv, "geomean", "95% CI (t, paired)", "worse", "n(+-1%)", "target: CI includes it?"
      split("ops_per_s p99_us cpu_us_per_op", cm, " "); split("0.97 1.05 1.0309", tg, " ")
      for (k = 1; k <= 3; k++) {
        np = 0; worse = 0; sp = 0; si = 0
        for (i = 1; i <= n; i++) { if (x["plain", cm[k], i] <= 0 || x[cv, cm[k], i] <= 0) continue
          np++; d[np] = log(x[cv, cm[k], i] / x["plain", cm[k], i])
          sp += x["plain", cm[k], i]; si += x[cv, cm[k], i]
          worse += (k == 1) ? (d[np] < 0) : (d[np] > 0) }
        if (np < 2) continue
        paired_ci(np)
        printf "%-14s %10.1f %10.1f %7.3fx %8.3f..%-8.3f %3d/%-3d %8d %s %.3f: %s\n", cm[k], sp / np, si / np, exp(mn), lo, hi, worse, np, nneed, k == 1 ? ">=" : "<=", tg[k], verdict(k, tg[k])
      }
      print "plain, variant: means over rounds; geomean: exp(mean over rounds of ln(variant/plain)) of the two servers in the same seconds; 95% CI: mean +- t(n-1) x sd/sqrt(n) of those logs"
    }' "$WORK/cobench.raw"
}

# --- path -------------------------------------------------------------------
step_path() {
  need_built
  [ -x "$WORK/pathbench" ] || fail "$WORK/pathbench is missing: run the build step again"
  local pin=()
  command -v taskset >/dev/null && pin=(taskset -c 0)
  "${pin[@]}" "$WORK/pathbench" "${MC_PATH_BLOCKS:-200}" "${MC_PATH_ITERS:-2000}" || fail "pathbench failed"
}

# --- cost -------------------------------------------------------------------
# Where the isolated server's extra time goes, counted instead of timed (so
# background load does not move it): user-space instructions per request
# (callgrind, memcached -t 1, one connection) and isolated calls per request
# (calls into the *.sdrad_body functions), for a set and for a get; and the
# plain server's system calls per request (strace -c), which the isolated
# server makes on threads with Syscall User Dispatch on.
# vg_serve <tool> <out> <variant> <mcload step:keys>...: runs the server
# under valgrind --tool=<tool> (out file <out>), drives the mcload steps,
# stops it.  valgrind 3.19 cannot read clang-19's DWARF 5: it runs a copy
# without debug info.  valgrind's file limit is the hard limit less its own,
# and memcached sets both limits to -c; valgrind gives a client < 64 GiB of
# address space (vg_shrink.so and the smaller heaps, as bench/run.sh does).
vg_serve() {
  local tool=$1 out=$2 v=$3 dir port pid c; shift 3
  dir=$(dirname "$out")
  local opts=(--tool="$tool" --"$tool"-out-file="$out")
  [ "$tool" = cachegrind ] && opts+=(--cache-sim=yes ${MC_CACHE_OPTS:-})
  port=$(free_port)
  [ -x "$dir/$v" ] || objcopy --strip-debug "$WORK/$v/memcached" "$dir/$v"
  ( ulimit -n 4096
    exec env SDRAD_BINARY_SCAN=0 SDRAD_CONFINEMENT=0 SDRAD_ROOT_HEAP_SIZE=$((1 << 30)) SDRAD_HEAP_SIZE=$((16 << 20)) SDRAD_MAX_INSTANCES=16 \
      LD_PRELOAD="$SDRAD_BUILD/bench/vg_shrink.so" valgrind "${opts[@]}" \
      "$dir/$v" -l 127.0.0.1 -p "$port" -U 0 -t 1 -m 64 -c 4084 -u root -o no_lru_crawler,no_lru_maintainer ) >"$out.log" 2>&1 &
  pid=$!
  for c in $(seq 600); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; kill -0 $pid 2>/dev/null || break; sleep 0.1; done
  for c in "$@"; do "$WORK/mcload" "${c%%:*}" "$port" "${c##*:}" >/dev/null || { kill $pid; fail "$tool: mcload $c against $v failed (see $out.log)"; }; done
  kill -TERM $pid; wait $pid || true
  [ -s "$out" ] || fail "$tool wrote nothing (see $out.log)"
}

cg_run() {  # cg_run <variant> <tag> <mcload step:keys>...: "Ir calls"
  local v=$1 out=$WORK/cost/cg.$1.$2; shift 2
  vg_serve callgrind "$out" "$v" "$@"
  echo "$(awk '/^(summary|totals):/ { print $2; exit }' "$out") $(awk '
    /^c?fn=/ { s = $0; sub(/^c?fn=/, "", s); name = s
      if (match(s, /^\([0-9]+\)/)) { id = substr(s, 2, RLENGTH - 2); rest = substr(s, RLENGTH + 2); if (rest != "") nm[id] = rest; name = nm[id] }
      if ($0 ~ /^cfn=/) body = (name ~ /sdrad_body/) }
    /^calls=/ && body { split($1, a, "="); n += a[2]; body = 0 } END { print n + 0 }' "$out")"
}

step_cost() {
  need_built
  command -v valgrind >/dev/null || fail "cost: valgrind is missing (scripts/install-deps.sh)"
  [ -f "$SDRAD_BUILD/bench/vg_shrink.so" ] || fail "cost: $SDRAD_BUILD/bench/vg_shrink.so is not built"
  rm -rf "$WORK/cost"; mkdir -p "$WORK/cost"
  local v a b c
  declare -A ir calls
  for v in plain isolated; do
    # sets: 2000 vs 6000 keys warmed; gets: 3 x 2000 verified after 2000 warmed
    read -r a calls[$v.w2] < <(cg_run "$v" w2 warm:2000); ir[$v.w2]=$a
    read -r a calls[$v.w6] < <(cg_run "$v" w6 warm:6000); ir[$v.w6]=$a
    read -r a calls[$v.g6] < <(cg_run "$v" g6 warm:2000 verify:2000 verify:2000 verify:2000); ir[$v.g6]=$a
  done
  local sys="not counted (no strace)"
  if command -v strace >/dev/null; then
    start_server plain
    local spid=$srv_pid
    strace -f -c -o "$WORK/cost/strace.plain" -p "$spid" 2>/dev/null & local st=$!
    sleep 0.5
    "$WORK/mcload" warm "$srv_port" 2000 >/dev/null
    "$WORK/mcload" load "$srv_port" "$CONNS" 2 2000 >"$WORK/cost/strace.load" || true
    kill -INT $st; wait $st 2>/dev/null || true
    stop_server
    local nreq
    nreq=$(( 2000 + $(sed -n 's/^LOAD ops=\([0-9]*\).*/\1/p' "$WORK/cost/strace.load") ))
    sys=$(awk -v n="$nreq" '$NF ~ /^(read|sendmsg|epoll_wait|recvfrom|writev|write)$/ { c += $4 } END { printf "%.2f per request (read, sendmsg, epoll_wait of the workers; %d requests, strace -f -c, under strace)", c / n, n }' "$WORK/cost/strace.plain")
  fi
  awk -v pw2="${ir[plain.w2]}" -v pw6="${ir[plain.w6]}" -v pg6="${ir[plain.g6]}" \
      -v iw2="${ir[isolated.w2]}" -v iw6="${ir[isolated.w6]}" -v ig6="${ir[isolated.g6]}" \
      -v cw2="${calls[isolated.w2]}" -v cw6="${calls[isolated.w6]}" -v cg6="${calls[isolated.g6]}" -v sys="$sys" 'BEGIN {
    ps = (pw6 - pw2) / 4000; is = (iw6 - iw2) / 4000; cs = (cw6 - cw2) / 4000
    pg = (pg6 - pw2) / 6000; ig = (ig6 - iw2) / 6000; cgg = (cg6 - cw2) / 6000
    printf "user-space instructions per request (callgrind, memcached -t 1 -o no_lru_crawler,no_lru_maintainer, one connection, SDRAD_CONFINEMENT=0):\n"
    printf "%-18s %9s %9s %9s %15s %14s\n", "request", "plain", "isolated", "extra", "isolated calls", "extra / call"
    printf "%-18s %9.0f %9.0f %9.0f %15.2f %14.0f\n", "set (32 B)", ps, is, is - ps, cs, (is - ps) / cs
    printf "%-18s %9.0f %9.0f %9.0f %15.2f %14.0f\n", "get (hit)", pg, ig, ig - pg, cgg, (ig - pg) / cgg
    mp = .9 * pg + .1 * ps; mi = .9 * ig + .1 * is; mc = .9 * cgg + .1 * cs
    printf "%-18s %9.0f %9.0f %9.0f %15.2f %14.0f\n", "90/10 get/set mix", mp, mi, mi - mp, mc, (mi - mp) / mc
    printf "system calls of the plain server: %s\n", sys
  }'
}

# --- cache ------------------------------------------------------------------
# The server under cachegrind (vg_serve); prints "I1mr D1mr D1mw" totals.
cache_run() {  # cache_run <variant> <tag> <mcload step:keys>...
  local v=$1 out=$WORK/cache/cg.$1.$2; shift 2
  vg_serve cachegrind "$out" "$v" "$@"
  # events: Ir I1mr ILmr Dr D1mr DLmr Dw D1mw DLmw
  awk '/^summary:/ { print $3, $6, $9; exit }' "$out"
}
step_cache() {
  need_built
  command -v valgrind >/dev/null || fail "cache: valgrind is missing (scripts/install-deps.sh)"
  [ -f "$SDRAD_BUILD/bench/vg_shrink.so" ] || fail "cache: $SDRAD_BUILD/bench/vg_shrink.so is not built"
  rm -rf "$WORK/cache"; mkdir -p "$WORK/cache"
  local v w g
  printf 'L1 misses per get (cachegrind --cache-sim=yes, user space only; 3 x 2000 verified gets after 2000 sets, less the sets alone):\n'
  printf '%-10s %10s %15s %16s\n' variant "I1 misses" "D1 read misses" "D1 write misses"
  for v in plain isolated; do
    w=$(cache_run "$v" w2 warm:2000); g=$(cache_run "$v" g6 warm:2000 verify:2000 verify:2000 verify:2000)
    awk -v v="$v" -v w="$w" -v g="$g" 'BEGIN { split(w, a, " "); split(g, b, " ")
      printf "%-10s %10.2f %15.2f %16.2f\n", v, (b[1] - a[1]) / 6000, (b[2] - a[2]) / 6000, (b[3] - a[3]) / 6000 }'
  done
  grep -h '^desc: I1' "$WORK/cache/cg.plain.w2" | sed 's/^desc: /simulated /'
}

for s in "${steps[@]}"; do
  echo "== $s"
  "step_$s"
done
