#!/usr/bin/env bash
# bench/walk.sh -- Foundation figure: how fast does `vigil scan --walk-only`
# (walk + open + read every file, no engine) go, against ripgrep / fd walking the
# same tree in the same run?  Target: vigil within 1.5x of ripgrep's walk.
#
# Run:   bench/walk.sh            (from anywhere; needs apt-get for rg/fd/hyperfine)
# Env:   WALK_TREE (default bench/.work/walk-tree), VIGIL_BIN (default target/release/vigil, built if missing), RG_BIN, FD_BIN,
#        RUNS (default 5), WALK_FILES (default 100000), WALK_AVG (bytes/file, ~10.5 KB)
# Data:  bench/.work/walk-tree (generated once: 100k text files, ~1 GB; delete to regenerate).
# Page cache is not dropped: all timings are warm-cache (one warm-up run each).
set -euo pipefail

BENCH="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(dirname "$BENCH")"
WORK="$BENCH/.work"
TREE="${WALK_TREE:-$WORK/walk-tree}"
STAMP="$TREE.done"
RUNS="${RUNS:-5}"
WALK_FILES="${WALK_FILES:-100000}"
WALK_AVG="${WALK_AVG:-10485}"
VIGIL_BIN="${VIGIL_BIN:-$ROOT/target/release/vigil}"
RG_BIN="${RG_BIN:-rg}"
FD_BIN="${FD_BIN:-fdfind}"
mkdir -p "$WORK"

# --- tools -------------------------------------------------------------------
need_apt=()
command -v "$RG_BIN" >/dev/null || need_apt+=(ripgrep)
command -v "$FD_BIN" >/dev/null || need_apt+=(fd-find)
command -v hyperfine >/dev/null || need_apt+=(hyperfine)
if ((${#need_apt[@]})); then
  echo "installing: ${need_apt[*]}" >&2
  apt-get install -y "${need_apt[@]}" >/dev/null || { apt-get update >/dev/null && apt-get install -y "${need_apt[@]}" >/dev/null; }
fi
if [[ ! -x "$VIGIL_BIN" ]]; then
  echo "building vigil ($VIGIL_BIN missing)" >&2
  (cd "$ROOT" && cargo build --release -p vigil)
fi

# --- tree --------------------------------------------------------------------
if [[ ! -f "$STAMP" || ! -d "$TREE" ]]; then
  echo "generating $TREE ($WALK_FILES files) ..." >&2
  rm -rf "$TREE" "$STAMP"
  python3 "$BENCH/gen_walk_tree.py" "$TREE" "$WALK_FILES" "$WALK_AVG" > "$STAMP.tmp"
  mv "$STAMP.tmp" "$STAMP"
fi
read -r NFILES NBYTES < "$STAMP"

# --- timing ------------------------------------------------------------------
# Every command must list/read the same files: the tree has no hidden files and no
# ignore files, so default filters do not change what is walked.
# Rounds: each hyperfine call times every command once, so the RUNS samples of all tools are
# interleaved in time and a burst of load from other work hits them alike.
mkdir -p "$WORK/empty-dir"  # vigil on an empty dir = its fixed start-up cost
LOAD_BEFORE="$(cut -d' ' -f1-3 /proc/loadavg)"
: > "$WORK/walk-hyperfine.log"
for round in $(seq "$RUNS"); do
  warm=(); ((round == 1)) && warm=(--warmup 1)
  hyperfine -N "${warm[@]}" --runs 1 -i --style basic --export-json "$WORK/walk-round-$round.json" \
    -n vigil-walk-only "$VIGIL_BIN scan $TREE --walk-only -q --format json -o /dev/null" \
    -n rg-files "$RG_BIN --files $TREE" \
    -n rg-read "$RG_BIN -uuu --no-ignore -c zqxjNEVERMATCHESqxz $TREE" \
    -n fd-files "$FD_BIN . $TREE -t f" \
    -n vigil-empty-dir "$VIGIL_BIN scan $WORK/empty-dir --walk-only -q --format json -o /dev/null" \
    >/dev/null 2>>"$WORK/walk-hyperfine.log" || { cat "$WORK/walk-hyperfine.log" >&2; exit 1; }
done
LOAD_AFTER="$(cut -d' ' -f1-3 /proc/loadavg)"

# Sanity: every tool sees the same number of files.
n_rg=$("$RG_BIN" --files "$TREE" | wc -l)
n_fd=$("$FD_BIN" . "$TREE" -t f | wc -l)

python3 - "$WORK/walk-round" "$RUNS" "$NFILES" "$NBYTES" "$n_rg" "$n_fd" "$LOAD_BEFORE" "$LOAD_AFTER" "$VIGIL_BIN" <<'PY'
import json, sys, subprocess
import statistics
prefix, runs, nfiles, nbytes, n_rg, n_fd, lb, la, vigil = sys.argv[1:]
nfiles, nbytes = int(nfiles), int(nbytes)
res = {}
for i in range(1, int(runs) + 1):
    for r in json.load(open(f"{prefix}-{i}.json"))["results"]:
        res.setdefault(r["command"], {"times": []})["times"] += r["times"]
for r in res.values():
    r["median"] = statistics.median(r["times"])
med = {k: r["median"] for k, r in res.items()}
ver = lambda c: subprocess.run(c, capture_output=True, text=True).stdout.splitlines()[0]
print(f"walk benchmark: {nfiles} files, {nbytes/1e6:.0f} MB (warm cache), {len(res['rg-files']['times'])} interleaved runs each, median")
print(f"tools: {ver([vigil, '--version'])} | {ver(['rg', '--version'])} | {ver(['fdfind', '--version'])}")
print(f"files seen: rg --files={n_rg} fd={n_fd} generated={nfiles};  loadavg before={lb} after={la}")
print()
print(f"{'tool':<18}{'median s':>10}{'min s':>9}{'max s':>9}{'files/s':>12}{'MB/s':>9}  what")
what = {"vigil-walk-only": "walk+open+read, no engine", "rg-files": "walk only",
        "rg-read": "walk+open+read (search)", "fd-files": "walk only",
        "vigil-empty-dir": "start-up only (empty dir)"}
for k in ["vigil-walk-only", "rg-read", "rg-files", "fd-files", "vigil-empty-dir"]:
    r = res[k]
    rates = (f"{nfiles/r['median']:>12.0f}{nbytes/1e6/r['median']:>9.0f}" if k != "vigil-empty-dir"
             else f"{'-':>12}{'-':>9}")
    print(f"{k:<18}{r['median']:>10.3f}{min(r['times']):>9.3f}{max(r['times']):>9.3f}{rates}  {what[k]}")
print()
v = med["vigil-walk-only"]
for peer in ["rg-read", "rg-files", "fd-files"]:
    ratio = v / med[peer]
    ok = "MET" if ratio <= 1.5 else "NOT met"
    print(f"vigil / {peer:<9} = {ratio:5.2f}x   target <= 1.5x: {ok}")
s = med["vigil-empty-dir"]
print(f"(vigil start-up is {s:.2f} s of its {v:.2f} s; without it: vigil / rg-read = {(v - s) / med['rg-read']:.2f}x, "
      f"vigil / rg-files = {(v - s) / med['rg-files']:.2f}x -- for diagnosis only, the target counts the full run)")
PY
