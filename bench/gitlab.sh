#!/usr/bin/env bash
# bench/gitlab.sh -- GitLab integration figures, a real `vigil serve` (SQLite, fresh data directory per
# run) against gitlab-sim in the driver's process, over loopback:
#   (1) merge request webhook -> `vigil` commit status on a repository of 1,000 source files of a few KB:
#       ROUNDS merge requests of 1-5 changed files (one adds an AWS key pair), each timed from
#       Simulator::open_merge_request (the Merge Request Hook fires) until the simulator holds a status
#       named `vigil` on the head (polled every 10 ms; it must be `failed`); p50 / p95 / max, plus one
#       merge request of BIG_MR files. Target: p50 under 5 s.
#   (2) onboarding of PROJECTS repositories (3 files each): time from PUT /api/v1/instances/ID/selection
#       {"mode":"all"} to one hook on every project in the simulator, every onboarding scan listed by
#       GET /api/v1/scans, and the instance `connected`; RUNS runs, median; then (information only)
#       until every onboarding scan finished (first run only). Target: under 60 s.
# The instance is connected with an access token (no OAuth). The driver is the example
# crates/gitlab-sim/examples/bench_gitlab.rs (its //! doc says exactly what is timed). Any failure (no
# status within 60 s, a failed scan: its errors are printed) exits non-zero.
# Run:  bench/gitlab.sh
# Env:  PROJECTS (1000), RUNS (3), ROUNDS (20), REPO_FILES (1000), BIG_MR (200), WORKERS (2, embedded
#       workers of vigil serve), ONLY (onboarding | mr; default both), VIGIL_LOG (info), EXTRA (more flags
#       for the driver, e.g. --no-wait-scans or --keep), QUIET_WAIT (0: wait up to this many seconds for
#       the 1-minute load average to drop below 1.0 before starting; the load is printed either way).
# Output: bench/.work/gitlab-out/ (results.tsv, mr-rounds.tsv, onboarding-runs.tsv, serve-*.log).
set -euo pipefail

BENCH="$(cd "$(dirname "$0")" && pwd)"; ROOT="$(dirname "$BENCH")"; OUT="$BENCH/.work/gitlab-out"
PROJECTS="${PROJECTS:-1000}"; RUNS="${RUNS:-3}"; ROUNDS="${ROUNDS:-20}"; REPO_FILES="${REPO_FILES:-1000}"
BIG_MR="${BIG_MR:-200}"; WORKERS="${WORKERS:-2}"; QUIET_WAIT="${QUIET_WAIT:-0}"; LOG="${VIGIL_LOG:-info}"
VIGIL_BIN="$ROOT/target/release/vigil"; DRIVER="$ROOT/target/release/examples/bench_gitlab"

cd "$ROOT"
cargo build --release -p vigil
cargo build --release -p gitlab-sim --example bench_gitlab
mkdir -p "$OUT"

loadavg() { cut -d' ' -f1-3 /proc/loadavg; }
waited=0
while ((waited < QUIET_WAIT)) && awk '{ exit !($1 >= 1.0) }' /proc/loadavg; do sleep 30; waited=$((waited + 30)); done
((waited == 0)) || echo "(waited ${waited} s for the machine to get quiet)"

echo "== GitLab integration benchmark  $(date -u +%FT%TZ)  $(nproc) CPUs,$(lscpu | sed -n 's/^Model name: *//p' | head -1 | sed 's/^/ /')," \
     "$(awk '/MemTotal/ { printf "%.0f GiB RAM", $2 / 1048576 }' /proc/meminfo)"
echo "$("$VIGIL_BIN" --version), commit $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- crates || echo ' + uncommitted changes under crates/')"
echo "PROJECTS=$PROJECTS RUNS=$RUNS ROUNDS=$ROUNDS REPO_FILES=$REPO_FILES BIG_MR=$BIG_MR WORKERS=$WORKERS VIGIL_LOG=$LOG"
echo "load average before: $(loadavg)"

args=(--vigil "$VIGIL_BIN" --out "$OUT" --projects "$PROJECTS" --runs "$RUNS" --rounds "$ROUNDS"
      --repo-files "$REPO_FILES" --big-mr "$BIG_MR" --workers "$WORKERS" --log "$LOG")
[[ -z "${ONLY:-}" ]] || args+=(--only "$ONLY")
# shellcheck disable=SC2206  # EXTRA is a list of flags
[[ -z "${EXTRA:-}" ]] || args+=($EXTRA)
status=0
"$DRIVER" "${args[@]}" || status=$?
echo "load average after: $(loadavg)"
if ((status != 0)); then echo "bench/gitlab.sh: the driver failed (exit $status); logs in $OUT" >&2; exit "$status"; fi
echo
echo "results: $OUT/results.tsv (ratio = measured / target; at most 1.00x meets the target)"
