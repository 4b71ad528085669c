#!/usr/bin/env bash
# bench/transporter.sh -- Transporter figures, in one run on loopback, against the same origin
# (crates/vigil-transporter/examples/bench_origin.rs: small JSON at /api/v4/version, N streamed bytes at
# /api/v4/projects/1/repository/archive.tar.gz?bytes=N, TCP_NODELAY like GitLab's front):
#   direct   curl/wrk -> origin
#   tunnel   curl/wrk -> `vigil serve`'s Transporter forward endpoint -> WebSocket + yamux -> `vigil
#            transporter` agent (allowlist) -> origin. The hub is a real `vigil serve` on SQLite (fresh data
#            directory); the agent enrols with a one-time token from POST /api/v1/transporters. ws:// on
#            loopback (TLS is the front's job in production; snyk-broker below runs plain HTTP too).
#   broker   curl/wrk -> snyk-broker server -> websocket -> snyk-broker client -> origin (npm
#            snyk-broker@5.22.14, no account; bench/snyk_broker.sh says how it is set up).
#   relay    (download only) curl -> socat -> socat -> origin: two plain TCP relays with 256 KiB
#            buffers, no framing, no HTTP: what any tunnel of two processes pays at the least on
#            these two cores, as a ceiling for the tunnel's ratio.
#   splice   (download only) the same with two bench/splice_relay.py relays, which move the bytes with
#            splice(2) and never copy them into user space: the zero-copy floor of a relay process.
# Figures: (1) 1 GiB download, median of RUNS, MB/s and tunnel/direct ratio (target >= 0.80);
# (2) small GETs, wrk -t1 -c1 for DURATION s: p50/p99 and what the tunnel adds (target p50 < 1 ms added);
# (3) 500 concurrent connections, wrk -t2 -c500 for DURATION s: requests/s, non-2xx, p99;
# (4) memory: peak RSS (VmHWM) of the hub (the whole `vigil serve`) and the agent after (1)-(3) (target
# each under 64 MB); (5) reconnect: `vigil serve` killed with SIGKILL and started again; time from its
# "listening" log line to the first successful request through the tunnel (and snyk-broker's client
# reconnect after its server restarts, from snyk_broker_restart_server); (6) Vigil's own consumer: the fetch
# of a full scan (`Client::download_archive`: the archive streamed to disk, then unpacked defensively;
# crates/vigil-gitlab/examples/fetch_archive.rs) of a generated repository archive (bench/make_archive.py,
# ARCHIVE_MIB of source-like text, ~3.6:1 gzip), direct and through the tunnel, unpacked into /dev/shm so
# that the disk's writeback does not decide the figure; median of RUNS seconds and the tunnel/direct ratio.
# Run:  bench/transporter.sh      Env: RUNS (3), DURATION (10), BYTES (1073741824), SKIP_BROKER (0), ONLY
#       (download: figure (1) and the memory after it only),
#       QUIET_WAIT (0: seconds to wait for the 1-minute load average to drop below 1.0),
#       AGENT_THREADS (1: the agent's --threads), ARCHIVE_MIB (1024: unpacked size of the archive in (6);
#       made once into bench/.work/), SKIP_FETCH (0: 1 skips (6)).
# Output: bench/.work/transporter-out/ (logs); the figures on stdout.
set -euo pipefail

BENCH="$(cd "$(dirname "$0")" && pwd)"; ROOT="$(dirname "$BENCH")"; OUT="$BENCH/.work/transporter-out"
RUNS="${RUNS:-3}"; DURATION="${DURATION:-10}"; BYTES="${BYTES:-1073741824}"; SKIP_BROKER="${SKIP_BROKER:-0}"
QUIET_WAIT="${QUIET_WAIT:-0}"; AGENT_THREADS="${AGENT_THREADS:-1}"
VIGIL="$ROOT/target/release/vigil"; ORIGIN_BIN="$ROOT/target/release/examples/bench_origin"
FETCH_BIN="$ROOT/target/release/examples/fetch_archive"; ARCHIVE_MIB="${ARCHIVE_MIB:-1024}"
[[ "${ONLY:-}" == download ]] && SKIP_FETCH=1
SKIP_FETCH="${SKIP_FETCH:-0}"; ARCHIVE="$BENCH/.work/archive-${ARCHIVE_MIB}m.tar.gz"
KEY="bench-forward-key"; PASSWORD="bench-password-1234"

cd "$ROOT"
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk; }
command -v socat >/dev/null || { apt-get update -qq && apt-get install -y -qq socat; }
cargo build --release -p vigil
cargo build --release -p vigil-transporter --example bench_origin
[[ "$SKIP_FETCH" == 1 ]] || cargo build --release -p vigil-gitlab --example fetch_archive
if [[ "$SKIP_FETCH" != 1 && ! -s "$ARCHIVE" ]]; then
  mkdir -p "$BENCH/.work"; python3 "$BENCH/make_archive.py" "$ARCHIVE.part" "$ARCHIVE_MIB" && mv "$ARCHIVE.part" "$ARCHIVE"
fi
rm -rf "$OUT"; mkdir -p "$OUT"
pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; [[ "$SKIP_BROKER" == 1 ]] || snyk_broker_stop 2>/dev/null || true; }
trap cleanup EXIT

waited=0
while ((waited < QUIET_WAIT)) && awk '{ exit !($1 >= 1.0) }' /proc/loadavg; do sleep 30; waited=$((waited + 30)); done
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_log() { for _ in $(seq 1 300); do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.05; done; echo "timed out waiting for '$2' in $1" >&2; return 1; }
hwm_mb() { awk '/VmHWM/ { printf "%.1f", $2 / 1024 }' "/proc/$1/status"; }
rss_mb() { awk '/VmRSS/ { printf "%.1f", $2 / 1024 }' "/proc/$1/status"; }
median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }

echo "== Transporter benchmark  $(date -u +%FT%TZ)  $(nproc) CPUs,$(lscpu | sed -n 's/^Model name: *//p' | head -1 | sed 's/^/ /')," \
     "$(awk '/MemTotal/ { printf "%.0f GiB RAM", $2 / 1048576 }' /proc/meminfo)"
echo "$("$VIGIL" --version), commit $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- crates || echo ' + uncommitted changes under crates/')"
echo "RUNS=$RUNS DURATION=$DURATION BYTES=$BYTES AGENT_THREADS=$AGENT_THREADS; load average before: $(cut -d' ' -f1-3 /proc/loadavg)"

# Origin.
"$ORIGIN_BIN" 127.0.0.1:0 "$([[ "$SKIP_FETCH" == 1 ]] || echo "$ARCHIVE")" > "$OUT/origin.addr" 2> "$OUT/origin.log" & pids+=($!)
wait_log "$OUT/origin.addr" 127.0.0.1
ORIGIN="http://$(head -1 "$OUT/origin.addr")"

# Hub: vigil serve on a fresh SQLite data directory, admin from the environment.
HUB_PORT="$(free_port)"; FORWARD_PORT="$(free_port)"; DATA="$OUT/data"; mkdir -p "$DATA"
start_hub() {
  VIGIL_ADMIN_USERNAME=bench VIGIL_ADMIN_PASSWORD="$PASSWORD" VIGIL_LOG=warn,vigil=info,vigil_server=info \
    "$VIGIL" serve --data-dir "$DATA" --listen "127.0.0.1:$HUB_PORT" --workers 1 \
    --transporter-forward "127.0.0.1:$FORWARD_PORT" --transporter-forward-key "$KEY" >> "$OUT/serve.log" 2>&1 &
  HUB_PID=$!; pids+=($HUB_PID)
}
start_hub
wait_log "$OUT/serve.log" "vigil is listening"
api() { python3 "$BENCH/transporter_api.py" "http://127.0.0.1:$HUB_PORT" bench "$PASSWORD" "$@"; }
ENROLMENT="$(api create-transporter bench-agent)"
TID="$(cut -d' ' -f1 <<< "$ENROLMENT")"; TOKEN="$(cut -d' ' -f2 <<< "$ENROLMENT")"
VIGIL_LOG=warn,vigil_transporter=info "$VIGIL" transporter --hub "ws://127.0.0.1:$HUB_PORT/transporter" \
  --threads "$AGENT_THREADS" --credentials "$OUT/agent.credential" --enrolment-token "$TOKEN" --gitlab "$ORIGIN" > "$OUT/agent.log" 2>&1 &
AGENT_PID=$!; pids+=($AGENT_PID)
wait_log "$OUT/agent.log" "connected to the hub"
TUNNEL="http://127.0.0.1:$FORWARD_PORT/t/$TID"
HDR=(-H "x-vigil-forward-key: $KEY")
curl -fsS "${HDR[@]}" "$TUNNEL/api/v4/version" > /dev/null
HUB_BASE_RSS="$(rss_mb "$HUB_PID")"; AGENT_BASE_RSS="$(rss_mb "$AGENT_PID")"

if [[ "$SKIP_BROKER" != 1 ]]; then
  # shellcheck source=bench/snyk_broker.sh
  source "$BENCH/snyk_broker.sh"
  snyk_broker_install "$BENCH/.work/snyk-broker" > /dev/null
  snyk_broker_start "$BENCH/.work/snyk-broker" "$ORIGIN" "$(free_port)" "$(free_port)" > /dev/null
fi

# (1) 1 GiB download.
download() { curl -fsS -o /dev/null -w '%{speed_download}\n' "$@"; }
RELAY_A="$(free_port)"; RELAY_B="$(free_port)"
socat -b 262144 "TCP-LISTEN:$RELAY_B,bind=127.0.0.1,fork,reuseaddr" "TCP:${ORIGIN#http://}" & pids+=($!)
socat -b 262144 "TCP-LISTEN:$RELAY_A,bind=127.0.0.1,fork,reuseaddr" "TCP:127.0.0.1:$RELAY_B" & pids+=($!)
SPLICE_A="$(free_port)"; SPLICE_B="$(free_port)"
python3 "$BENCH/splice_relay.py" "$SPLICE_B" "${ORIGIN#http://}" & pids+=($!)
python3 "$BENCH/splice_relay.py" "$SPLICE_A" "127.0.0.1:$SPLICE_B" & pids+=($!)
sleep 0.3
declare -A speed
for run in $(seq 1 "$RUNS"); do
  download "$ORIGIN/api/v4/projects/1/repository/archive.tar.gz?bytes=$BYTES" >> "$OUT/direct.speed"
  download "${HDR[@]}" "$TUNNEL/api/v4/projects/1/repository/archive.tar.gz?bytes=$BYTES" >> "$OUT/tunnel.speed"
  [[ "$SKIP_BROKER" == 1 ]] || download "$SNYK_BROKER_URL/api/v4/projects/1/repository/archive.tar.gz?bytes=$BYTES" >> "$OUT/broker.speed"
  download "http://127.0.0.1:$RELAY_A/api/v4/projects/1/repository/archive.tar.gz?bytes=$BYTES" >> "$OUT/relay.speed"
  download "http://127.0.0.1:$SPLICE_A/api/v4/projects/1/repository/archive.tar.gz?bytes=$BYTES" >> "$OUT/splice.speed"
done
for path in direct tunnel broker relay splice; do
  [[ -s "$OUT/$path.speed" ]] && speed[$path]="$(median < "$OUT/$path.speed")"
done
echo
echo "(1) download of $BYTES bytes, median of $RUNS (MB/s):"
for path in direct tunnel broker relay splice; do
  [[ -n "${speed[$path]:-}" ]] || continue
  awk -v p="$path" -v s="${speed[$path]}" -v d="${speed[direct]}" \
    'BEGIN { printf "    %-7s %8.0f MB/s   %5.2fx direct\n", p, s / 1e6, s / d }'
done
HUB_DL_HWM="$(hwm_mb "$HUB_PID")"; AGENT_DL_HWM="$(hwm_mb "$AGENT_PID")"
if [[ "${ONLY:-}" == download ]]; then
  echo "    peak RSS after the downloads: hub $HUB_DL_HWM MB, agent $AGENT_DL_HWM MB (ONLY=download: stopping here)"
  exit 0
fi

# (2) small GETs, one connection.
latency() { # label, wrk args... -> "p50_ms p99_ms"
  local label="$1"; shift
  wrk --latency "$@" > "$OUT/wrk-$label.txt" 2>&1
  awk '
    function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0; if (v ~ /s$/) return v * 1000; return v }
    $1 == "50.000%" || $1 == "50%" { p50 = ms($2) } $1 == "99.000%" || $1 == "99%" { p99 = ms($2) }
    /Requests\/sec/ { rps = $2 } /Non-2xx/ { bad = $NF }
    END { printf "%.3f %.3f %.0f %d\n", p50, p99, rps, bad }' "$OUT/wrk-$label.txt"
}
echo
echo "(2) GET /api/v4/version, wrk -t1 -c1 ${DURATION}s:   p50 ms   p99 ms   added p50   added p99"
read -r d50 d99 _ _ <<< "$(latency direct -t1 -c1 -d"${DURATION}s" "$ORIGIN/api/v4/version")"
printf "    %-7s %8.3f %8.3f\n" direct "$d50" "$d99"
read -r t50 t99 _ _ <<< "$(latency tunnel -t1 -c1 -d"${DURATION}s" -H "x-vigil-forward-key: $KEY" "$TUNNEL/api/v4/version")"
awk -v a="$t50" -v b="$t99" -v c="$d50" -v d="$d99" 'BEGIN { printf "    tunnel  %8.3f %8.3f %10.3f %10.3f\n", a, b, a - c, b - d }'
if [[ "$SKIP_BROKER" != 1 ]]; then
  read -r b50 b99 _ _ <<< "$(latency broker -t1 -c1 -d"${DURATION}s" "$SNYK_BROKER_URL/api/v4/version")"
  awk -v a="$b50" -v b="$b99" -v c="$d50" -v d="$d99" 'BEGIN { printf "    broker  %8.3f %8.3f %10.3f %10.3f\n", a, b, a - c, b - d }'
fi

# (3) 500 concurrent connections.
echo
echo "(3) GET /api/v4/version, wrk -t2 -c500 ${DURATION}s:   req/s   p50 ms   p99 ms   non-2xx"
for path in direct tunnel broker; do
  case "$path" in
    direct) args=("$ORIGIN/api/v4/version") ;;
    tunnel) args=(-H "x-vigil-forward-key: $KEY" "$TUNNEL/api/v4/version") ;;
    broker) [[ "$SKIP_BROKER" == 1 ]] && continue; args=("$SNYK_BROKER_URL/api/v4/version") ;;
  esac
  read -r c50 c99 rps bad <<< "$(latency "c500-$path" -t2 -c500 -d"${DURATION}s" --timeout 10s "${args[@]}")"
  printf "    %-7s %8.0f %8.3f %8.3f %9d\n" "$path" "$rps" "$c50" "$c99" "$bad"
done

# (4) memory.
echo
echo "(4) memory (MB): hub = the whole vigil serve, agent = vigil transporter; target: each under 64 MB"
printf "    hub    start RSS %6s  peak after the %s-byte downloads %6s  peak after all load %6s\n" \
  "$HUB_BASE_RSS" "$BYTES" "$HUB_DL_HWM" "$(hwm_mb "$HUB_PID")"
printf "    agent  start RSS %6s  peak after the %s-byte downloads %6s  peak after all load %6s\n" \
  "$AGENT_BASE_RSS" "$BYTES" "$AGENT_DL_HWM" "$(hwm_mb "$AGENT_PID")"

# (5) reconnect after the hub restarts.
echo
kill -9 "$HUB_PID"; wait "$HUB_PID" 2>/dev/null || true
: > "$OUT/serve.log"
start_hub
wait_log "$OUT/serve.log" "vigil is listening"
listening=$(date +%s.%N)
until curl -fsS -o /dev/null "${HDR[@]}" "$TUNNEL/api/v4/version" 2>/dev/null; do sleep 0.01; done
back=$(date +%s.%N)
awk -v a="$listening" -v b="$back" 'BEGIN { printf "(5) hub killed (SIGKILL) and restarted: first request through the tunnel %.2f s after it listened\n", b - a }'
if [[ "$SKIP_BROKER" != 1 ]]; then
  echo "    snyk-broker, server restarted at once:"
  # Not in a pipeline: the restart updates the server's PID in this shell, for the cleanup.
  snyk_broker_restart_server 0 > "$OUT/broker-restart.txt"
  sed 's/^/      /' "$OUT/broker-restart.txt"
fi
echo
if [[ "$SKIP_FETCH" != 1 ]]; then
  # (6) Vigil's fetch of a full scan. The instance's base URL does not resolve: through the tunnel
  # every request goes to the forward endpoint, as for an instance behind a Transporter.
  scratch=/dev/shm; [[ -d "$scratch" && -w "$scratch" ]] || scratch="${TMPDIR:-/tmp}"
  for run in $(seq 1 "$RUNS"); do
    TMPDIR="$scratch" "$FETCH_BIN" "$ORIGIN" >> "$OUT/fetch-direct.txt"
    TMPDIR="$scratch" "$FETCH_BIN" http://gitlab.closed.invalid "$TUNNEL" "$KEY" >> "$OUT/fetch-tunnel.txt"
  done
  direct_s="$(cut -d' ' -f1 "$OUT/fetch-direct.txt" | median)"; tunnel_s="$(cut -d' ' -f1 "$OUT/fetch-tunnel.txt" | median)"
  read -r _ files unpacked < "$OUT/fetch-direct.txt"
  echo
  echo "(6) a full scan's fetch (download to disk + unpack into $scratch) of $(stat -c %s "$ARCHIVE") archive bytes, $files files, $unpacked bytes unpacked; median of $RUNS:"
  awk -v d="$direct_s" -v t="$tunnel_s" 'BEGIN { printf "    direct  %6.2f s\n    tunnel  %6.2f s   %.2fx direct (speed)\n", d, t, d / t }'
fi
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
