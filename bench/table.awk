# bench/table.awk - turns the R lines of one run into the table.
#   R <key> <value> <unit>
# Columns: what is compared | measured | reference | ratio | target | result
# "result" is pass / short (falls short of the target) / n/a (not measured)
# or "-" (no target, shown for information).
function has(k) { return (k in v) }
function ns(x) {
  if (x >= 1e9) return sprintf("%.2f s", x / 1e9)
  if (x >= 1e6) return sprintf("%.2f ms", x / 1e6)
  if (x >= 1e4) return sprintf("%.1f us", x / 1e3)
  if (x >= 1e3) return sprintf("%.2f us", x / 1e3)
  if (x >= 10) return sprintf("%.1f ns", x)
  return sprintf("%.2f ns", x)
}
function gbs(bytes, t) { return sprintf("%.2f GB/s", bytes / t) }
function rat(x) {
  if (x >= 100) return sprintf("%.0fx", x)
  if (x >= 10) return sprintf("%.1fx", x)
  return sprintf("%.2fx", x)
}
function row(name, a, b, r, target, res) {
  printf "%-40s %12s %12s %9s %9s  %s\n", name, a, b, r, target, res
}
function na(name, target) { row(name, "n/a", "n/a", "n/a", target, "n/a") }
function verdict(ok) { return ok ? "pass" : "short" }
function section(s) { printf "-- %s\n", s }
# ratio of two measured times; `want` "le" or "ge" against limit, or "" (info)
function cmp(name, ka, kb, want, limit, tlabel,   a, b, r) {
  if (!has(ka) || !has(kb) || v[kb] == 0) { na(name, tlabel); return }
  a = v[ka]; b = v[kb]; r = a / b
  if (want == "le") row(name, ns(a), ns(b), rat(r), tlabel, verdict(r <= limit))
  else if (want == "ge") row(name, ns(a), ns(b), rat(r), tlabel, verdict(r >= limit))
  else row(name, ns(a), ns(b), rat(r), "-", "-")
}
# A key seen more than once (the allocator programs run several times,
# alternating): the median of the allocator figures, the last one otherwise.
$1 == "R" {
  if ($2 ~ /^alloc\./) { nv[$2]++; av[$2, nv[$2]] = $3 + 0 }
  v[$2] = $3 + 0
}
function median_of(k,   n, i, a) {
  n = nv[k]
  for (i = 1; i <= n; i++) a[i] = av[k, i]
  return quantile(a, n, 0.5)
}
# The p-quantile of a[1..n] (sorted here), interpolated between the two
# nearest ranks: with 5 values, quartiles are the 2nd and 4th.
function quantile(a, n, p,   i, j, t, h, lo) {
  for (i = 2; i <= n; i++) for (j = i; j > 1 && a[j - 1] > a[j]; j--) { t = a[j]; a[j] = a[j - 1]; a[j - 1] = t }
  h = 1 + (n - 1) * p; lo = int(h)
  return lo >= n ? a[n] : a[lo] + (h - lo) * (a[lo + 1] - a[lo])
}
# Per-round ratios ka / kb of two allocator figures (the programs of a round
# ran back to back, so round i of one pairs with round i of the other):
# sets rq[1..3] to the lower quartile, median and upper quartile; returns
# the number of rounds (0: the rounds do not pair up).
function round_ratios(ka, kb,   n, i, r) {
  n = nv[ka]
  if (n < 1 || nv[kb] != n) return 0
  for (i = 1; i <= n; i++) { if (av[kb, i] == 0) return 0; r[i] = av[ka, i] / av[kb, i] }
  rq[1] = quantile(r, n, 0.25); rq[2] = quantile(r, n, 0.5); rq[3] = quantile(r, n, 0.75)
  return n
}
function kib(x) { return x >= 10240 ? sprintf("%.0f MiB", x / 1024) : sprintf("%.1f MiB", x / 1024) }
# An allocator row: like cmp() ("le" limit, or limit 0: information), with
# mimalloc's figure and the ratio to it in two more columns.  fmt: "ns" or "kib".
# The ratio is the median of the per-round ratios, shown with their
# quartiles ("q1-q3"), so that one noisy round does not decide pass/short;
# measured and reference are each the median of their rounds.
function arow(name, ka, kb, km, limit, fmt,   a, b, r, tl, res, m, mr, q) {
  tl = limit ? sprintf("<=%.1fx", limit) : "-"
  if (!has(ka) || !has(kb) || v[kb] == 0) { na(name, tl); return }
  a = v[ka]; b = v[kb]; r = a / b; q = "-"
  if (round_ratios(ka, kb) > 1) { r = rq[2]; q = sprintf("%.2f-%.2f", rq[1], rq[3]) }
  res = limit ? verdict(r <= limit) : "-"
  m = has(km) ? (fmt == "kib" ? kib(v[km]) : ns(v[km])) : "n/a"
  mr = has(km) && v[km] > 0 ? rat(a / v[km]) : "n/a"
  if (has(km) && round_ratios(ka, km) > 1) mr = rat(rq[2])
  printf "%-40s %12s %12s %9s %11s %9s  %-5s %12s %9s\n", name, fmt == "kib" ? kib(a) : ns(a), fmt == "kib" ? kib(b) : ns(b), rat(r), q, tl, res, m, mr
}
END {
  arounds = 0
  for (k in nv) { v[k] = median_of(k); if (nv[k] > arounds) arounds = nv[k] }
  row("what (ratio = measured / reference)", "measured", "reference", "ratio", "target", "result")

  section("1. call cost, ns per call: isolated (hand thunk, fused __sdrad_call_with, or plugin) / plain")
  split("noarg scalars4 buf64 buf4096 buf65536 buf1048576", ck, " ")
  split("no arguments|4 scalars|in+out 64 B|in+out 4 KiB|in+out 64 KiB|in+out 1 MiB", cn, "|")
  for (i = 1; i <= 6; i++) cmp("isolated / plain, " cn[i], "call.iso." ck[i], "call.plain." ck[i], "", 0, "-")
  if (has("call.iso.noarg") && has("call.plain.noarg"))
    row("  overhead per no-arg call", ns(v["call.iso.noarg"] - v["call.plain.noarg"]), "", "", "-", "-")
  cmp("  no args, block form / plain", "call.isoblk.noarg", "call.plain.noarg", "", 0, "-")
  cmp("new thread + 1st isolated call / + plain", "thread.iso", "thread.plain", "", 0, "-")
  for (i = 1; i <= 6; i++)
    if (has("call.plugin." ck[i])) cmp("plugin-isolated / plain, " cn[i], "call.plugin." ck[i], "call.plain." ck[i], "", 0, "-")

  section("   syscall confinement (bench_syscall.cpp; getppid)")
  cmp("  syscall from a confined domain / root", "syscall.domain", "syscall.root_after", "", 0, "-")
  cmp("  syscall from an unconfined domain / root", "syscall.domain_any", "syscall.root_after", "", 0, "-")
  cmp("  root syscall, thread used domains / fresh", "syscall.root_after", "syscall.root_fresh", "", 0, "-")
  cmp("  no-arg call, confined / unconfined domain", "call.noarg_confined", "call.noarg_unconfined", "", 0, "-")
  cmp("  kernel alone: dispatch on (selector) / off", "kernel.sud_selector", "kernel.sud_off", "", 0, "-")
  cmp("  kernel alone: dispatch on (allowed IP) / off", "kernel.sud_region", "kernel.sud_off", "", 0, "-")
  cmp("  sendmsg+recvmsg (unix), confined domain / root", "msg.domain", "msg.root", "", 0, "-")
  cmp("  per-call: syscall from a confined domain / root", "syscall.domain.per_call", "syscall.root_after.per_call", "", 0, "-")
  cmp("  per-call: root syscall, thread used domains / fresh", "syscall.root_after.per_call", "syscall.root_fresh.per_call", "", 0, "-")
  cmp("  per-call: no-arg call, confined / unconfined", "call.noarg_confined.per_call", "call.noarg_unconfined.per_call", "", 0, "-")

  section("   copy bandwidth vs memcpy of the same size (ratio = copy / memcpy bandwidth)")
  split("64 4096 65536 1048576", cs, " ")
  split("64 B|4 KiB|64 KiB|1 MiB", csn, "|")
  for (i = 1; i <= 4; i++) {
    n = cs[i]
    big = (n + 0 >= 65536)
    for (j = 1; j <= 2; j++) {
      dir = j == 1 ? "in" : "out"
      label = "copy_" dir (j == 1 ? " (alloc+copy+free) " : " ") csn[i]
      k = "copy." dir "." n; m = "copy.memcpy." n
      if (!has(k) || !has(m)) { na(label, big ? ">=0.70x" : "-"); continue }
      r = v[m] / v[k]
      row(label, gbs(n, v[k]), gbs(n, v[m]), rat(r), big ? ">=0.70x" : "-", big ? verdict(r >= 0.7) : "-")
    }
  }

  section("2. recovery: fault inside a domain -> error value in the caller (incl. discard)")
  rk = has("recovery.fault_to_error") ? "recovery.fault_to_error" : "recovery.faulting_call"
  cmp("recovery / signal floor (same binary)", rk, "recovery.floor", "le", 1.5, "<=1.5x")
  cmp("whole faulting call / signal floor", "recovery.faulting_call", "recovery.floor", "", 0, "-")
  cmp("  cold caches: recovery / floor", "recovery.cold", "recovery.floor_cold", "", 0, "-")
  cmp("respawn worker (fork) / recovery", "proc.crash_respawn.fork", rk, "ge", 50, ">=50x")
  cmp("respawn worker (fork+exec) / recovery", "proc.crash_respawn.exec", rk, "ge", 50, ">=50x")
  cmp("  worker crash detected (EOF) / recovery", "proc.crash_detect.fork", rk, "", 0, "-")
  cmp("first call after discard / warm call", "recovery.next_call", "recovery.warm_call", "", 0, "-")
  split("1MiB 64MiB 1GiB", hs, " ")
  for (i = 1; i <= 3; i++) {
    hk = has("recovery.heap." hs[i]) ? "recovery.heap." hs[i] : "recovery.heap_call." hs[i]
    # Two floors: the no-heap one (the target's), and the same-heap one: a
    # bare handler after writing as many fresh bytes, no runtime.
    cmp("recovery, " hs[i] " heap / no-heap floor", hk, "recovery.floor", "le", 5, "<=5x")
    cmp("  same / same-heap floor (no runtime)", hk, "recovery.floor_heap." hs[i], "", 0, "-")
    cmp("  same-heap floor / no-heap floor", "recovery.floor_heap." hs[i], "recovery.floor", "", 0, "-")
    cmp("  floor, " hs[i] " resident read / no-heap", "recovery.floor_walk." hs[i], "recovery.floor", "", 0, "-")
    cmp("  next call right after it / warm call", "recovery.next_call_heap." hs[i], "recovery.warm_call", "", 0, "-")
  }

  section("   per call: process isolation (pre-forked worker, pipe + shm, one CPU) / isolated")
  for (i = 1; i <= 6; i++) cmp("process / isolated, " cn[i], "proc.call." ck[i], "call.iso." ck[i], "ge", 20, ">=20x")
  cmp("  same, caller+worker not pinned, no args", "proc.call_floating.noarg", "call.iso.noarg", "", 0, "-")

  section("3. allocators (thread CPU time; " arounds " alternating rounds); ratio = median of the per-round x / glibc, q1-q3 its quartiles; last two columns: mimalloc, x / mimalloc (median per round)")
  for (t = 1; t <= 4; t *= 2) {
    ts = t " thread" (t > 1 ? "s" : "")
    arow("root heap / glibc, churn, " ts, "alloc.root." t "t", "alloc.glibc." t "t", "alloc.mimalloc." t "t", 1.1, "ns")
  }
  for (t = 1; t <= 4; t *= 2) {
    ts = t " thread" (t > 1 ? "s" : "")
    arow("domain heap / glibc, churn, " ts, "alloc.domain." t "t", "alloc.glibc." t "t", "alloc.mimalloc." t "t", t == 1 ? 1.1 : 0, "ns")
  }
  for (t = 1; t <= 4; t *= 2) {
    ts = t " thread" (t > 1 ? "s" : "")
    arow("root / glibc, 1M-entry map, " ts, "alloc.map.root." t "t", "alloc.map.glibc." t "t", "alloc.map.mimalloc." t "t", 1.1, "ns")
    arow("  peak memory (max RSS)", "alloc.maprss.root." t "t", "alloc.maprss.glibc." t "t", "alloc.maprss.mimalloc." t "t", 1.1, "kib")
  }
  for (t = 2; t <= 4; t *= 2) {
    arow("root / glibc, producer/consumer, " t / 2 " pair" (t > 2 ? "s" : ""), "alloc.pc.root." t "t", "alloc.pc.glibc." t "t", "alloc.pc.mimalloc." t "t", 1.1, "ns")
    arow("  peak memory (max RSS)", "alloc.pcrss.root." t "t", "alloc.pcrss.glibc." t "t", "alloc.pcrss.mimalloc." t "t", 1.1, "kib")
    arow("  peak above RSS at start of main", "alloc.pcabove.root." t "t", "alloc.pcabove.glibc." t "t", "alloc.pcabove.mimalloc." t "t", 0, "kib")
  }
  arow("  program alone (max RSS)", "alloc.nonerss.root.1t", "alloc.nonerss.glibc.1t", "alloc.nonerss.mimalloc.1t", 0, "kib")
  arow("  RSS at start of main (2 pairs run)", "alloc.pcstart.root.4t", "alloc.pcstart.glibc.4t", "alloc.pcstart.mimalloc.4t", 0, "kib")

  section("4. servers over loopback.  bench_server (epoll, keep-alive HTTP); ratio = median of per-round x / plain build")
  # Primary: the server's own CPU time per request (getrusage), which other
  # load on the machine disturbs far less than wall-clock throughput.
  split("iso|rt|pl|iso_mal|iso_pc|iso_nc", sk, "|")
  split("isolated parser, capacity (CPU/request)|  runtime linked, parser not isolated|  isolated by the plugin (carried buffers)|  isolated, 1% malicious requests|  isolated, SDRAD_CONFINEMENT=per-call|  isolated, SDRAD_CONFINEMENT=0", sn, "|")
  for (i = 1; i <= 6; i++) {
    if (!has("server." sk[i] ".cpu") || !has("server.plain.cpu")) { na(sn[i], i == 1 ? ">=0.97x" : "-"); continue }
    r = has("server.pair." sk[i] ".cpu") ? v["server.pair." sk[i] ".cpu"] : v["server.plain.cpu"] / v["server." sk[i] ".cpu"]
    row(sn[i], sprintf("%.2f us/req", v["server." sk[i] ".cpu"] / 1e3), sprintf("%.2f us/req", v["server.plain.cpu"] / 1e3), rat(r), i == 1 ? ">=0.97x" : "-", i == 1 ? verdict(r >= 0.97) : "-")
  }
  # The isolation's own share: extra time in the parser call per request,
  # against the plain server's CPU time per request.
  if (has("server.iso.parse") && has("server.plain.parse") && has("server.plain.cpu")) {
    d = v["server.iso.parse"] - v["server.plain.parse"]
    r = 1 - d / v["server.plain.cpu"]
    row("isolated parser, from parse-call time", sprintf("+%.0f ns/req", d), sprintf("%.2f us/req", v["server.plain.cpu"] / 1e3), rat(r), ">=0.97x", verdict(r >= 0.97))
    row("  parse call: isolated / plain", ns(v["server.iso.parse"]), ns(v["server.plain.parse"]), rat(v["server.iso.parse"] / v["server.plain.parse"]), "-", "-")
    if (has("server.pl.parse"))
      row("  parse call: plugin-isolated / plain", ns(v["server.pl.parse"]), ns(v["server.plain.parse"]), rat(v["server.pl.parse"] / v["server.plain.parse"]), "-", "-")
    if (has("server.iso_mal.parse")) {
      # mean parse time with 1 % faults = 0.99 * ok + 0.01 * faulting
      f = 100 * v["server.iso_mal.parse"] - 99 * v["server.iso.parse"]
      if (has("recovery.fault_to_error"))
        row("  faulting parse call / recovery (sect. 2)", ns(f), ns(v["recovery.fault_to_error"]), rat(f / v["recovery.fault_to_error"]), "-", "-")
      else
        row("  faulting parse call (1% malicious)", ns(f), "", "", "-", "-")
    }
  } else na("isolated parser, from parse-call time", ">=0.97x")
  split("isolated parser, throughput (wall clock)|  isolated, 1% malicious, throughput", tn, "|")
  split("iso|iso_mal", tk, "|")
  for (i = 1; i <= 2; i++) {
    if (!has("server." tk[i] ".rps") || !has("server.plain.rps")) { na(tn[i], "-"); continue }
    r = has("server.pair." tk[i] ".rps") ? v["server.pair." tk[i] ".rps"] : v["server." tk[i] ".rps"] / v["server.plain.rps"]
    row(tn[i], sprintf("%.0f/s", v["server." tk[i] ".rps"]), sprintf("%.0f/s", v["server.plain.rps"]), rat(r), "-", "-")
  }

  section("   examples/server (thread per connection, its own client); ratio = median of per-round x / sdrad-server-plain")
  # ratio: median of the per-round paired ratios when present, else the
  # ratio of the medians
  if (has("example.plain.rps") && has("example.iso.rps")) {
    r = has("example.pair.iso.rps") ? v["example.pair.iso.rps"] : v["example.iso.rps"] / v["example.plain.rps"]
    row("isolated parser, throughput", sprintf("%.0f/s", v["example.iso.rps"]), sprintf("%.0f/s", v["example.plain.rps"]), rat(r), ">=0.97x", verdict(r >= 0.97))
  } else na("isolated parser, throughput", ">=0.97x")
  if (has("example.plain.cpu") && has("example.iso.cpu")) {
    r = has("example.pair.iso.cpu") ? v["example.pair.iso.cpu"] : v["example.plain.cpu"] / v["example.iso.cpu"]
    row("  capacity (server CPU/request)", sprintf("%.2f us/req", v["example.iso.cpu"] / 1e3), sprintf("%.2f us/req", v["example.plain.cpu"] / 1e3), rat(r), ">=0.97x", verdict(r >= 0.97))
  }
  if (has("example.plain.rps") && has("example.iso_mal.rps")) {
    r = has("example.pair.iso_mal.rps") ? v["example.pair.iso_mal.rps"] : v["example.iso_mal.rps"] / v["example.plain.rps"]
    row("isolated, 1% malicious, throughput", sprintf("%.0f/s", v["example.iso_mal.rps"]), sprintf("%.0f/s", v["example.plain.rps"]), rat(r), "-", "-")
  }
  if (has("example.plain.cpu") && has("example.iso_mal.cpu")) {
    r = has("example.pair.iso_mal.cpu") ? v["example.pair.iso_mal.cpu"] : v["example.plain.cpu"] / v["example.iso_mal.cpu"]
    row("  1% malicious, capacity (CPU/request)", sprintf("%.2f us/req", v["example.iso_mal.cpu"] / 1e3), sprintf("%.2f us/req", v["example.plain.cpu"] / 1e3), rat(r), "-", "-")
  }

  section("5. instructions per no-arg call (callgrind), WRPKRU excluded (none execute here)")
  if (has("cg.iso.noarg") && has("cg.plain.noarg")) {
    d = v["cg.iso.noarg"] - v["cg.plain.noarg"]
    row("isolated - plain, instructions", sprintf("%.1f", d), sprintf("%.1f", v["cg.plain.noarg"]), "", "<=150", verdict(d <= 150))
    row("  isolated call, instructions", sprintf("%.1f", v["cg.iso.noarg"]), "", "", "-", "-")
  } else na("isolated - plain, instructions", "<=150")
  if (has("wrpkru.sdrad_enter_and_run")) {
    # sdrad_enter_and_run: into the domain + back out; sdrad_jump: one more
    # unless it first compares with RDPKRU (then skipped on the return path)
    w = v["wrpkru.sdrad_enter_and_run"] + (has("wrpkru_guarded.sdrad_jump") ? 0 : v["wrpkru.sdrad_jump"])
    row("WRPKRU per no-arg call from root (disasm)", sprintf("%d", w), "", "", "2", verdict(w <= 2))
  }
  split("__sdrad_call_with __sdrad_block_alloc __sdrad_copy_in __sdrad_call __sdrad_copy_check __sdrad_copy_out __sdrad_block_free entry_noarg", cp, " ")
  for (i = 1; i <= 8; i++)
    if (has("cgpart." cp[i]))
      row("  of which " cp[i], sprintf("%.1f", v["cgpart." cp[i]]), "", "", "-", "-")
  if (has("cg.isoblk.noarg") && has("cg.plain.noarg"))
    row("  block form - plain, instructions", sprintf("%.1f", v["cg.isoblk.noarg"] - v["cg.plain.noarg"]), "", "", "-", "-")
  if (has("cg.plugin.noarg") && has("cg.plain.noarg")) {
    d = v["cg.plugin.noarg"] - v["cg.plain.noarg"]
    row("plugin-isolated - plain, instructions", sprintf("%.1f", d), sprintf("%.1f", v["cg.plain.noarg"]), "", "<=150", verdict(d <= 150))
  }
  # buffers: arena copies (hand thunks) against carried in the block (plugin)
  split("buf64 str mc", bk, " ")
  split("64-byte in/out|32-byte string|tokenizer (mc)", bn, "|")
  for (i = 1; i <= 3; i++)
    if (has("cg." bk[i] ".call") && has("cg.plugin" bk[i] ".call"))
      row("  " bn[i] ", Ir: copies / carried",
          sprintf("%.0f / %.0f", v["cg." bk[i] ".call"], v["cg.plugin" bk[i] ".call"]), "", "", "-", "-")
  if (has("cg.mc.call") && has("cg.mcplain.call") && has("cg.pluginmc.call"))
    row("  tokenizer - plain, Ir: copies / carried",
        sprintf("%.0f / %.0f", v["cg.mc.call"] - v["cg.mcplain.call"], v["cg.pluginmc.call"] - v["cg.mcplain.call"]), "", "", "-", "-")
  if (has("cg.fault"))
    row("user-space Ir per fault (rewind+discard)", sprintf("%.0f", v["cg.fault"]), "", "", "-", "-")
  if (has("cg.fault") && has("cg.fault_memfill"))
    row("  of which memset (stack + heap wipe)", sprintf("%.0f", v["cg.fault_memfill"]), "", "", "-", "-")
}
