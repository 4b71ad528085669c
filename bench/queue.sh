#!/usr/bin/env bash
# bench/queue.sh -- Queue figures (issue 5): how many no-op jobs per second the durable queue drains.
#   (a) PostgreSQL: fresh database vigil_bench_queue, `vigil db migrate`, N noop jobs inserted by one
#       INSERT ... SELECT generate_series, PROCS `vigil worker` processes x W workers each; timed from
#       their start until no job is queued or running (counted from the partial indexes every 250 ms); SIGTERM;
#       claim p50/p99 from their "worker stopped" log lines, plus a psql probe that runs the worker's
#       two claim statements (copied from crates/vigil-store/src/queue.rs) every PROBE_MS inside
#       BEGIN..ROLLBACK and times them client-side.  Target: 2,000 jobs/s.
#   (b) SQLite: the same jobs (inserted with python3's sqlite3 into the migrated file before the server
#       starts, since the server is then the writer) drained by one `vigil serve` with W embedded workers.
# Every configuration runs RUNS times; the report gives medians and the best configuration.
# Run:  bench/queue.sh
# Env:  VIGIL_BIN (target/release/vigil), PG_URL (postgres://postgres@127.0.0.1:5432), N (100000), RUNS (3),
#       PROCS (4), PG_WORKERS ("4": per-process worker counts to try), CLAIM_BATCH (8: jobs per claim), SQLITE_WORKERS ("2 4"),
#       SQLITE_N (N), RUN_TIMEOUT (1800 s per run), SQLITE_TIMEOUT (RUN_TIMEOUT), PROBE_MS (1000; 0 = no
#       probe), SKIP_PG / SKIP_SQLITE (1 = skip), KEEP_DB (1 = keep the last database / SQLite file),
#       QUIET_WAIT (600: before each run, wait up to this many seconds while a compiler (rustc, cc1*,
#       ld, lld) of other work runs on the machine; the wait is logged).
# A run that hits its timeout is reported as such, with jobs done / time so far: claim cost grows with
# the number of queued jobs, so that rate is below the rate of a full drain. The report also gives the
# rate over the first and the last 10% of the jobs (from the 100 ms progress samples).
# Output: bench/.work/queue-out/ (results.tsv, progress, one log per process and run).
set -euo pipefail

BENCH="$(cd "$(dirname "$0")" && pwd)"; ROOT="$(dirname "$BENCH")"; WORK="$BENCH/.work"
VIGIL_BIN="${VIGIL_BIN:-$ROOT/target/release/vigil}"
PG_URL="${PG_URL:-postgres://postgres@127.0.0.1:5432}"; DB=vigil_bench_queue; DB_URL="$PG_URL/$DB"
N="${N:-100000}"; RUNS="${RUNS:-3}"; PROCS="${PROCS:-4}"; PG_WORKERS="${PG_WORKERS:-4}"
CLAIM_BATCH="${CLAIM_BATCH:-8}"
SQLITE_WORKERS="${SQLITE_WORKERS:-2 4}"; RUN_TIMEOUT="${RUN_TIMEOUT:-1800}"; PROBE_MS="${PROBE_MS:-1000}"
SQLITE_N="${SQLITE_N:-$N}"; SQLITE_TIMEOUT="${SQLITE_TIMEOUT:-$RUN_TIMEOUT}"
OUT="$WORK/queue-out"; UTIL="$BENCH/queue_util.py"; RESULTS="$OUT/results.tsv"
SQLITE_DIR="$WORK/queue-sqlite"; PG_DATA_DIR="$WORK/queue-pg-data"
TARGET=2000
mkdir -p "$OUT"
export VIGIL_LOG='warn,vigil=info'   # keep the summary lines, not one line per job

[[ -x "$VIGIL_BIN" ]] || (cd "$ROOT" && cargo build --release -p vigil)
command -v psql >/dev/null || { echo "psql is needed" >&2; exit 2; }

# --- cleanup: only the processes this script started, and its own database ----------------------
PIDS=()
cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do timeout 40 tail --pid="$pid" -f /dev/null 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true; done
  if [[ "${KEEP_DB:-0}" != 1 ]]; then
    psql -XAtq "$PG_URL/postgres" -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null 2>&1 || true
    rm -rf "$SQLITE_DIR"
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# stop PID..: SIGTERM, wait up to 45 s (the pool's grace is 30 s), then SIGKILL
stop() {
  local pid
  for pid in "$@"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "$@"; do
    timeout 45 tail --pid="$pid" -f /dev/null 2>/dev/null || { echo "  pid $pid did not stop; killing" >&2; kill -KILL "$pid" 2>/dev/null || true; }
    wait "$pid" 2>/dev/null || true
  done
  PIDS=()
}
now() { echo "$EPOCHREALTIME"; }
elapsed_since() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.3f", b - a }'; }
loadavg() { cut -d' ' -f1-3 /proc/loadavg; }
# quiet: wait (at most QUIET_WAIT s) until no compiler runs on this shared machine
quiet() {
  local waited=0
  while ps -eo comm= | grep -qxE 'rustc|cc1|cc1plus|ld|rust-lld|ld\.lld' && ((waited < ${QUIET_WAIT:-600})); do
    sleep 5; waited=$((waited + 5))
  done
  ((waited == 0)) || echo "  (waited ${waited} s for other builds to finish; load $(loadavg))" >&2
}

# The worker's claim (Queue::claim in crates/vigil-store/src/queue.rs), with `now` = the probe
# transaction's start and a lease of 60 s.
NOW_SQL="(extract(epoch from now()) * 1000)::bigint"
CLAIM_SQL="UPDATE jobs SET state = 'dead', locked_by = NULL, locked_until = NULL, updated_at = $NOW_SQL, \
last_error = 'lease expired on the last attempt (worker lost)' \
WHERE state = 'running' AND locked_until < $NOW_SQL AND attempts >= max_attempts;
UPDATE jobs SET state = 'running', locked_by = 'bench-probe', locked_until = $NOW_SQL + 60000, attempts = attempts + 1, updated_at = $NOW_SQL \
WHERE id = (SELECT id FROM jobs WHERE (state = 'queued' AND run_after <= $NOW_SQL) OR (state = 'running' AND locked_until < $NOW_SQL) \
ORDER BY priority DESC, run_after, id LIMIT 1 FOR UPDATE SKIP LOCKED) \
RETURNING id, kind, attempts, locked_until, run_after, payload::text AS payload_text;"
write_probe() {  # write_probe FILE: psql script, one timed claim every PROBE_MS for RUN_TIMEOUT s
  local iterations=$(( RUN_TIMEOUT * 1000 / PROBE_MS + 1 )) sleep_s
  sleep_s=$(awk -v ms="$PROBE_MS" 'BEGIN { printf "%.3f", ms / 1000 }')
  { echo '\timing on'; echo '\o /dev/null'
    for _ in $(seq "$iterations"); do echo "BEGIN;"; echo "$CLAIM_SQL"; echo "ROLLBACK;"; echo "SELECT pg_sleep($sleep_s);"; done
  } > "$1"
}

# record BACKEND PROCS WORKERS RUN N SECONDS DONE PROGRESS PROBE_FILE STATUS [WORKER_LOG..]: one line of results.tsv
record() {
  local backend=$1 procs=$2 workers=$3 run=$4 n=$5 secs=$6 done=$7 progress=$8 probe=$9 status=${10}; shift 10
  local rate claims p50 p99 probes pp50 pp99 first last
  rate=$(awk -v d="$done" -v s="$secs" 'BEGIN { printf "%.1f", d / s }')
  read -r first last < <(python3 "$UTIL" phases "$progress" "$n")
  if (($#)); then read -r claims p50 p99 < <(python3 "$UTIL" worker-log "$@"); else claims=- p50=- p99=-; fi
  if [[ -n $probe && -s $probe ]]; then read -r probes pp50 pp99 < <(python3 "$UTIL" probe "$probe"); else probes=0 pp50=- pp99=-; fi
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$backend" "$procs" "$workers" "$run" \
    "$secs" "$done" "$n" "$rate" "$claims" "$p50" "$p99" "$probes" "$pp50" "$pp99" "$status" "$(loadavg)" "$first" "$last" >> "$RESULTS"
  printf '  %-8s procs=%s workers=%s run %s: %s/%s jobs in %s s = %s jobs/s (first 10%%: %s/s, last 10%%: %s/s); claim ms log p50/p99 %s/%s (%s claims), probe p50/p99 %s/%s (%s); %s; load %s\n' \
    "$backend" "$procs" "$workers" "$run" "$done" "$n" "$secs" "$rate" "$first" "$last" "$p50" "$p99" "$claims" "$pp50" "$pp99" "$probes" "$status" "$(loadavg)" >&2
}

echo "== Queue benchmark  $(date -u +%FT%TZ)  $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)," \
     "$(awk '/MemTotal/ { printf "%.0f GiB RAM", $2 / 1048576 }' /proc/meminfo)"
echo "versions: $("$VIGIL_BIN" --version) | $(psql -XAtq "$PG_URL/postgres" -c 'SHOW server_version' | sed 's/^/PostgreSQL /')" \
     "| SQLite $(python3 -c 'import sqlite3; print(sqlite3.sqlite_version)') (python3; vigil bundles its own)"
echo "RUNS=$RUNS; PostgreSQL: N=$N jobs, $PROCS processes x {$PG_WORKERS} workers, timeout ${RUN_TIMEOUT} s;" \
     "SQLite: N=$SQLITE_N jobs, 1 serve x {$SQLITE_WORKERS} workers, timeout ${SQLITE_TIMEOUT} s; loadavg at start: $(loadavg)"
printf '# backend\tprocs\tworkers\trun\tseconds\tdone\tn\tjobs_s\tclaims\tp50\tp99\tprobes\tprobe_p50\tprobe_p99\tstatus\tloadavg\tfirst10\tlast10\n' > "$RESULTS"

# --- (a) PostgreSQL ---------------------------------------------------------------------------------
pg_run() {  # pg_run WORKERS RUN
  local workers=$1 run=$2 t0 secs done=0 left status=ok i logs=() probe_file="" probe_pid="" progress="$OUT/pg-w$1-r$2.progress"
  quiet
  psql -XAtq "$PG_URL/postgres" -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" -c "CREATE DATABASE $DB" >/dev/null
  rm -rf "$PG_DATA_DIR"
  "$VIGIL_BIN" db migrate --database-url "$DB_URL" --data-dir "$PG_DATA_DIR" 2>>"$OUT/migrate.log"
  psql -XAtq "$DB_URL" -v ON_ERROR_STOP=1 >/dev/null <<SQL
INSERT INTO jobs (kind, payload, priority, state, attempts, max_attempts, run_after, created_at, updated_at)
SELECT 'noop', '{}'::jsonb, 0, 'queued', 0, 5, t, t, t
FROM generate_series(1, $N), LATERAL (SELECT (extract(epoch from now()) * 1000)::bigint AS t) AS clock;
VACUUM ANALYZE jobs;
CHECKPOINT;
SQL
  [[ $(psql -XAtq "$DB_URL" -c "SELECT count(*) FROM jobs WHERE state = 'queued'") == "$N" ]] || { echo "insert failed" >&2; exit 1; }
  t0=$(now)
  for i in $(seq "$PROCS"); do
    local log="$OUT/pg-w$workers-r$run-p$i.log"; logs+=("$log")
    "$VIGIL_BIN" worker --database-url "$DB_URL" --data-dir "$PG_DATA_DIR" --workers "$workers" --lease 60 --poll-ms 100 --claim-batch "$CLAIM_BATCH" \
      --log-format json 2>"$log" &
    PIDS+=($!)
  done
  if ((PROBE_MS > 0)); then
    probe_file="$OUT/pg-w$workers-r$run.probe"; write_probe "$OUT/probe.sql"
    timeout "$((RUN_TIMEOUT + 60))" psql -XAq "$DB_URL" -f "$OUT/probe.sql" > "$probe_file" 2>&1 &
    probe_pid=$!
  fi
  : > "$progress"
  while :; do
    # Counted from the two small partial indexes (queued, running), not by scanning every job:
    # a scan of the growing table 10 times a second was a load of its own that grew with the run.
    left=$(psql -XAtq "$DB_URL" -c "SELECT (SELECT count(*) FROM jobs WHERE state = 'queued') + (SELECT count(*) FROM jobs WHERE state = 'running')" 2>/dev/null || echo "")
    [[ -n $left ]] && done=$((N - left))
    echo "$(elapsed_since "$t0") $done" >> "$progress"
    ((done >= N)) && break
    if awk -v e="$(elapsed_since "$t0")" -v t="$RUN_TIMEOUT" 'BEGIN { exit !(e > t) }'; then status=timeout; break; fi
    for i in "${PIDS[@]}"; do kill -0 "$i" 2>/dev/null || { status="worker-exited"; break 2; }; done
    sleep 0.25
  done
  secs=$(elapsed_since "$t0")
  [[ -n $probe_pid ]] && { kill -TERM "$probe_pid" 2>/dev/null || true; wait "$probe_pid" 2>/dev/null || true; }
  stop "${PIDS[@]}"
  local other; other=$(psql -XAtq "$DB_URL" -c "SELECT count(*) FROM jobs WHERE state NOT IN ('succeeded', 'queued') OR (state = 'queued' AND attempts > 0)")
  [[ $status == ok && $other != 0 ]] && status="odd-states:$other"
  record postgres "$PROCS" "$workers" "$run" "$N" "$secs" "$done" "$progress" "$probe_file" "$status" "${logs[@]}"
}

if [[ "${SKIP_PG:-0}" != 1 ]]; then
  echo; echo "== (a) PostgreSQL: $PROCS x vigil worker, N=$N" >&2
  # Round-robin over the worker counts so load from other work hits all alike.
  for run in $(seq "$RUNS"); do
    for w in $PG_WORKERS; do pg_run "$w" "$run"; done
  done
fi

# --- (b) SQLite --------------------------------------------------------------------------------------
sqlite_run() {  # sqlite_run WORKERS RUN
  local workers=$1 run=$2 t0 secs done status=ok rc=0 port log="$OUT/sqlite-w$1-r$2.log" progress="$OUT/sqlite-w$1-r$2.progress"
  quiet
  rm -rf "$SQLITE_DIR"; mkdir -p "$SQLITE_DIR"
  "$VIGIL_BIN" db migrate --data-dir "$SQLITE_DIR" 2>>"$OUT/migrate.log"
  [[ $(python3 "$UTIL" sqlite-insert "$SQLITE_DIR/vigil.db" "$SQLITE_N") == "$SQLITE_N" ]] || { echo "sqlite insert failed" >&2; exit 1; }
  port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  t0=$(now)
  "$VIGIL_BIN" serve --data-dir "$SQLITE_DIR" --listen "127.0.0.1:$port" --workers "$workers" --log-format json 2>"$log" &
  PIDS+=($!)
  SERVE_PID=${PIDS[0]} PROGRESS="$progress" python3 "$UTIL" sqlite-poll "$SQLITE_DIR/vigil.db" "$SQLITE_N" "$t0" "$SQLITE_TIMEOUT" \
    > "$OUT/poll.out" || rc=$?
  read -r secs done < "$OUT/poll.out"
  case $rc in 0) ;; 3) status=timeout ;; 4) status=serve-exited ;; *) status="poll-error:$rc" ;; esac
  stop "${PIDS[@]}"
  record sqlite 1 "$workers" "$run" "$SQLITE_N" "$secs" "$done" "$progress" "" "$status"
}

if [[ "${SKIP_SQLITE:-0}" != 1 ]]; then
  echo; echo "== (b) SQLite: 1 x vigil serve, N=$SQLITE_N" >&2
  for run in $(seq "$RUNS"); do
    for w in $SQLITE_WORKERS; do sqlite_run "$w" "$run"; done
  done
fi

echo; echo "== Results (loadavg at end: $(loadavg))"
python3 "$UTIL" report "$RESULTS" "$TARGET"
