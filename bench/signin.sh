#!/usr/bin/env bash
# bench/signin.sh -- Hardening figures (issue 17): password guessing and sign-in load.
#   (1) 640 wrong passwords for the admin account, one after another, as fast as answers come: how
#       many were checked (401) and how many refused unchecked (429); before the throttle all 640 were
#       checked at about 100/s.
#   (2) /healthz latency (p50/p99 of sequential probes) idle, then during ROUNDS rounds of 64 concurrent
#       correct sign-ins (each an argon2id verification); RSS before and at peak. Before, argon2 ran on
#       the async threads: /healthz slowed a thousandfold and RSS rose 300 MB.
# A real `vigil serve --no-worker` (SQLite) on loopback, release build.
# Run:  bench/signin.sh      Env: VIGIL_BIN (target/release/vigil), ROUNDS (5), PORT (18292)
set -euo pipefail
BENCH="$(cd "$(dirname "$0")" && pwd)"; ROOT="$(dirname "$BENCH")"; WORK="$BENCH/.work/signin"
VIGIL_BIN="${VIGIL_BIN:-$ROOT/target/release/vigil}"; ROUNDS="${ROUNDS:-5}"; PORT="${PORT:-18292}"
[[ -x "$VIGIL_BIN" ]] || (cd "$ROOT" && cargo build --release -p vigil)
rm -rf "$WORK" && mkdir -p "$WORK"
VIGIL_ADMIN_USERNAME=bench VIGIL_ADMIN_PASSWORD=bench-password-123 \
  "$VIGIL_BIN" serve --no-worker --listen "127.0.0.1:$PORT" --data-dir "$WORK/data" >"$WORK/serve.log" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true; wait $SERVER 2>/dev/null || true' EXIT
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null && break; sleep 0.1; done
echo "== sign-in load  $(date -u +%FT%TZ)  $(nproc) CPUs, $(awk '/MemTotal/ { printf "%.0f GiB RAM", $2 / 1048576 }' /proc/meminfo)"
python3 - "$PORT" "$SERVER" "$ROUNDS" <<'PY'
import json, sys, threading, time, urllib.error, urllib.request
port, pid, rounds = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
base = f"http://127.0.0.1:{port}"

def rss():
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0

def sign_in(user, password):
    req = urllib.request.Request(base + "/api/v1/session", method="POST",
        data=json.dumps({"username": user, "password": password}).encode(),
        headers={"content-type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=120) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code

def probe(samples, stop):
    while not stop.is_set():
        t = time.perf_counter()
        urllib.request.urlopen(base + "/healthz", timeout=60).read()
        samples.append((time.perf_counter() - t) * 1000)
        time.sleep(0.005)

def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * p / 100))] if values else float("nan")

# (2) first: the throttle would otherwise refuse the loopback address.
idle, stop = [], threading.Event()
t = threading.Thread(target=probe, args=(idle, stop)); t.start(); time.sleep(2); stop.set(); t.join()
before, peak = rss(), rss()
busy, stop = [], threading.Event()
t = threading.Thread(target=probe, args=(busy, stop)); t.start()
started = time.perf_counter(); statuses = {}
for _ in range(rounds):
    results = []
    workers = [threading.Thread(target=lambda: results.append(sign_in("bench", "bench-password-123"))) for _ in range(64)]
    for w in workers: w.start()
    while any(w.is_alive() for w in workers):
        peak = max(peak, rss()); time.sleep(0.02)
    for s in results: statuses[s] = statuses.get(s, 0) + 1
elapsed = time.perf_counter() - started
stop.set(); t.join()
print(f"healthz idle: p50 {pct(idle,50):.2f} ms, p99 {pct(idle,99):.2f} ms ({len(idle)} probes)")
print(f"healthz during {rounds}x64 concurrent sign-ins ({elapsed:.1f} s, answers {statuses}): "
      f"p50 {pct(busy,50):.2f} ms, p99 {pct(busy,99):.2f} ms ({len(busy)} probes); "
      f"p99 ratio busy/idle {pct(busy,99)/pct(idle,99):.1f}x; RSS {before:.0f} MB before, {peak:.0f} MB peak")
# (1)
counts, started = {}, time.perf_counter()
for _ in range(640):
    s = sign_in("bench", "not-the-password")
    counts[s] = counts.get(s, 0) + 1
elapsed = time.perf_counter() - started
print(f"640 wrong passwords in {elapsed:.1f} s: {counts.get(401,0)} checked (401), {counts.get(429,0)} refused unchecked (429)")
PY
