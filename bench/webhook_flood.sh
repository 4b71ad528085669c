#!/usr/bin/env bash
# bench/webhook_flood.sh -- Hardening figure (issue 17): server memory under a flood of
# unauthenticated webhook posts. A real `vigil serve` (SQLite, --no-worker) on loopback; FLOOD
# concurrent connections each declare a 24 MB body (a third to an instance that does not exist, a
# third with a wrong X-Gitlab-Token, a third with none) and push it as fast as the server takes it,
# ROUNDS times over; meanwhile AUTHENTICATED real deliveries (GitLab's push.json) are posted one
# after another. The server's RSS is sampled from /proc every 50 ms.
# Target: peak RSS under 100 MB and every authenticated delivery stored.
# Run:  bench/webhook_flood.sh           (VIGIL_BIN_OLD=path also floods an older build, side by side)
# Env:  VIGIL_BIN (target/release/vigil, built if missing), VIGIL_BIN_OLD (unset), FLOOD (100),
#       ROUNDS (3), AUTHENTICATED (50), PORT (18291)
set -euo pipefail

BENCH="$(cd "$(dirname "$0")" && pwd)"; ROOT="$(dirname "$BENCH")"; WORK="$BENCH/.work/webhook-flood"
VIGIL_BIN="${VIGIL_BIN:-$ROOT/target/release/vigil}"
FLOOD="${FLOOD:-100}"; ROUNDS="${ROUNDS:-3}"; AUTHENTICATED="${AUTHENTICATED:-50}"; PORT="${PORT:-18291}"
BODY="$ROOT/../shared/fixtures/gitlab/webhooks/push.json"
[[ -x "$VIGIL_BIN" ]] || (cd "$ROOT" && cargo build --release -p vigil)

echo "== webhook flood  $(date -u +%FT%TZ)  $(nproc) CPUs, $(awk '/MemTotal/ { printf "%.0f GiB RAM", $2 / 1048576 }' /proc/meminfo)"
run() { # $1 label, $2 binary
  rm -rf "$WORK" && mkdir -p "$WORK"
  VIGIL_ADMIN_USERNAME=bench VIGIL_ADMIN_PASSWORD=bench-password-123 \
    "$2" serve --no-worker --listen "127.0.0.1:$PORT" --data-dir "$WORK/data" >"$WORK/serve.log" 2>&1 &
  local server=$!
  for _ in $(seq 100); do curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null && break; sleep 0.1; done
  local api="http://127.0.0.1:$PORT/api/v1" csrf instance secret
  csrf=$(curl -sf -c "$WORK/cookies" -H 'content-type: application/json' \
    -d '{"username":"bench","password":"bench-password-123"}' "$api/session" | python3 -c 'import json,sys; print(json.load(sys.stdin)["csrf_token"])')
  call() { curl -sf -b "$WORK/cookies" -H "x-csrf-token: $csrf" -H 'content-type: application/json' "$@"; }
  instance=$(call -d '{"name":"bench","base_url":"https://gitlab.example.com"}' "$api/instances" | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
  secret=$(call -X POST "$api/instances/$instance/webhook-secret" | python3 -c 'import json,sys; print(json.load(sys.stdin)["webhook_secret"])')
  python3 "$BENCH/webhook_flood.py" --label "$1" --pid "$server" --port "$PORT" --instance "$instance" \
    --secret "$secret" --body "$BODY" --flood "$FLOOD" --rounds "$ROUNDS" --authenticated "$AUTHENTICATED" \
    --db "$WORK/data/vigil.db" || true
  kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true
}
[[ -n "${VIGIL_BIN_OLD:-}" ]] && run old "$VIGIL_BIN_OLD"
run new "$VIGIL_BIN"
