#!/usr/bin/env bash
# bench/webhooks.sh -- GitLab integration figure: webhook intake throughput
# and latency on loopback, `vigil serve` on its embedded defaults (SQLite).
# Target: 5,000 deliveries/s with p99 under 20 ms.
#
# Every request is a new delivery (unique Idempotency-Key, GitLab's published
# push payload from ../shared/fixtures/gitlab/webhooks/push.json): the intake
# checks the token, stores the event and queues its job in one transaction
# before answering. Workers are off (--no-worker) so only the intake is timed.
#
# Run:   bench/webhooks.sh      (needs wrk: apt-get install wrk)
# Env:   VIGIL_BIN (default target/release/vigil, built if missing),
#        DURATION (default 15s), CONNECTIONS (default 32), THREADS (default 2)
set -euo pipefail

BENCH="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(dirname "$BENCH")"
WORK="$BENCH/.work/webhooks"
VIGIL_BIN="${VIGIL_BIN:-$ROOT/target/release/vigil}"
DURATION="${DURATION:-15s}"
CONNECTIONS="${CONNECTIONS:-32}"
THREADS="${THREADS:-2}"
BODY="$ROOT/../shared/fixtures/gitlab/webhooks/push.json"
PORT="${PORT:-18290}"

command -v wrk >/dev/null || apt-get install -y wrk >/dev/null
[[ -x "$VIGIL_BIN" ]] || (cd "$ROOT" && cargo build --release -p vigil)
rm -rf "$WORK" && mkdir -p "$WORK"

VIGIL_ADMIN_USERNAME=bench VIGIL_ADMIN_PASSWORD=bench-password-123 \
  "$VIGIL_BIN" serve --no-worker --listen "127.0.0.1:$PORT" --data-dir "$WORK/data" \
  >"$WORK/serve.log" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true; wait $SERVER 2>/dev/null || true' EXIT
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null && break; sleep 0.1; done

API="http://127.0.0.1:$PORT/api/v1"
CSRF=$(curl -sf -c "$WORK/cookies" -H 'content-type: application/json' \
  -d '{"username":"bench","password":"bench-password-123"}' "$API/session" | python3 -c 'import json,sys; print(json.load(sys.stdin)["csrf_token"])')
call() { curl -sf -b "$WORK/cookies" -H "x-csrf-token: $CSRF" -H 'content-type: application/json' "$@"; }
INSTANCE=$(call -d '{"name":"bench","base_url":"https://gitlab.example.com"}' "$API/instances" | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
SECRET=$(call -X POST "$API/instances/$INSTANCE/webhook-secret" | python3 -c 'import json,sys; print(json.load(sys.stdin)["webhook_secret"])')

echo "intake: $(nproc) cores, wrk -t$THREADS -c$CONNECTIONS -d$DURATION, body $(wc -c <"$BODY") bytes" >&2
WEBHOOK_BODY="$BODY" WEBHOOK_SECRET="$SECRET" \
  wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency -s "$BENCH/webhooks.lua" \
  "http://127.0.0.1:$PORT/hooks/gitlab/$INSTANCE" | tee "$WORK/wrk.txt"

STORED=$(python3 -c "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute('select count(*) from webhook_events').fetchone()[0])" "$WORK/data/vigil.db")
JOBS=$(python3 -c "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute(\"select count(*) from jobs where kind='webhook'\").fetchone()[0])" "$WORK/data/vigil.db")
python3 - "$WORK/wrk.txt" "$STORED" "$JOBS" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
rate = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
def ms(label):
    m = re.search(r"\s%s%%\s+([\d.]+)(us|ms|s)\b" % label, text)
    value, unit = float(m.group(1)), m.group(2)
    return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value
p50, p99 = ms("50"), ms("99")
errors = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
print(f"\nstored {sys.argv[2]} events, queued {sys.argv[3]} jobs, non-2xx {errors.group(1) if errors else 0}")
print(f"throughput {rate:,.0f}/s (target 5,000: {rate/5000:.2f}x)   p50 {p50:.2f} ms   p99 {p99:.2f} ms (target 20 ms: {20/p99:.2f}x headroom)")
PY
