#!/usr/bin/env bash
# run-demo.sh <dir with sdrad-server> - start the isolated server on a free
# loopback port, attack it while load clients run, check that the attacker
# gets errors, every other answer is right and the server is still alive;
# then show that the unisolated build dies on the same request.
set -euo pipefail
bin=${1:?usage: run-demo.sh <build dir>}
out=$(mktemp); trap 'rm -f "$out"; kill $pid 2>/dev/null || true' EXIT

"$bin/sdrad-server" 0 >"$out" 2>/dev/null & pid=$!
for _ in $(seq 100); do grep -q listening "$out" && break; sleep 0.05; done
port=$(sed -n 's/.*127.0.0.1:\([0-9]*\).*/\1/p' "$out")
[ -n "$port" ] || { echo "server did not start"; exit 1; }
echo "isolated server on port $port"

"$bin/sdrad-server" --load "$port" 2000 4 & load=$!
"$bin/sdrad-server" --attack "$port" 20
wait $load
kill -0 $pid || { echo "FAIL: the isolated server died"; exit 1; }
"$bin/sdrad-server" --load "$port" 500 2
kill $pid; wait $pid 2>/dev/null || true

if [ -x "$bin/sdrad-server-plain" ]; then
  "$bin/sdrad-server-plain" 0 >"$out" 2>/dev/null & pid=$!
  for _ in $(seq 100); do grep -q listening "$out" && break; sleep 0.05; done
  port=$(sed -n 's/.*127.0.0.1:\([0-9]*\).*/\1/p' "$out")
  "$bin/sdrad-server" --attack "$port" 1 >/dev/null 2>&1 || true
  sleep 0.2
  if kill -0 $pid 2>/dev/null; then
    kill $pid
    echo "FAIL: the unisolated server survived the attack (bug not triggered?)"
    exit 1
  fi
  wait $pid 2>/dev/null || true
  echo "unisolated server: killed by the same request, as expected"
fi
echo "PASS"
