#!/usr/bin/env bash
# bench/iac.sh -- IaC figures: vigil against Checkov, side by side in one run, on the
# labelled corpus /work/shared/corpus/iac (terragoat, kubernetes-goat):
#   1. wall time per folder, Checkov (best of CHECKOV_RUNS) against vigil (best of RUNS), and
#      the ratio; peak RSS of each (/usr/bin/time -v);
#   2. agreement per Checkov id both implement, from this run's Checkov output
#      (bench/iac_compare.py: same failed resources, no failure where Checkov passed);
#   3. vigil's time and peak RSS on a generated Terraform plan of PLAN_MB (100) megabytes
#      (bench/gen_tf_plan.py), and Checkov's when CHECKOV_PLAN=1 (slow).
# Run:  bench/iac.sh   Env: VIGIL_BIN, CHECKOV (default bench/.work/checkov-venv, installed
#       from PyPI as checkov==3.2.533 if missing), RUNS (5), CHECKOV_RUNS (3), PLAN_MB (100).
# Checkov runs as the corpus's expected/ results were made: inside each folder,
# `checkov -d . -o json --compact --skip-download --framework terraform,cloudformation,
# kubernetes,dockerfile,gitlab_ci`, no API key. Warm page cache throughout.
set -euo pipefail

BENCH="$(cd "$(dirname "$0")" && pwd)"; ROOT="$(dirname "$BENCH")"; WORK="$BENCH/.work"
CORPUS="${CORPUS:-/work/shared/corpus/iac}"
VIGIL_BIN="${VIGIL_BIN:-$ROOT/target/release/vigil}"
RUNS="${RUNS:-5}"; CHECKOV_RUNS="${CHECKOV_RUNS:-3}"; PLAN_MB="${PLAN_MB:-100}"
OUT="$WORK/iac-out"; mkdir -p "$OUT"
if [[ -z "${CHECKOV:-}" ]]; then
  CHECKOV="$WORK/checkov-venv/bin/checkov"
  [[ -x "$CHECKOV" ]] || { python3 -m venv "$WORK/checkov-venv" && "$WORK/checkov-venv/bin/pip" install -q checkov==3.2.533; }
fi
[[ -x /usr/bin/time ]] || apt-get install -y time >/dev/null
[[ -x "$VIGIL_BIN" ]] || (cd "$ROOT" && cargo build --release -p vigil)

# timed NAME CMD...: runs CMD with /usr/bin/time, prints "seconds peak_kb"
timed() {
  local log="$OUT/$1.time"; shift
  /usr/bin/time -v -o "$log" "$@" >/dev/null 2>&1 || true
  awk -F': ' '/Elapsed \(wall clock\)/ { n = split($2, p, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + p[i]; t = s }
              /Maximum resident set size/ { m = $2 } END { printf "%.3f %d\n", t, m }' "$log"
}
best() {  # best RUNS NAME CMD...: the fastest run's "seconds peak_kb"
  local runs="$1" name="$2"; shift 2; local line best_line="" best_s=""
  for _ in $(seq "$runs"); do
    line=$(timed "$name" "$@"); local s=${line% *}
    if [[ -z "$best_s" ]] || awk "BEGIN { exit !($s < $best_s) }"; then best_s=$s; best_line=$line; fi
  done
  echo "$best_line"
}

echo "IaC benchmark, $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) CPUs, $("$CHECKOV" --version 2>/dev/null | tail -1 | sed 's/^/checkov /'), $("$VIGIL_BIN" --version)"
printf '%-12s %12s %12s %8s %14s %14s\n' folder checkov_s vigil_s ratio checkov_rss_MB vigil_rss_MB
pairs=()
total_c=0; total_v=0
for folder in terragoat k8s; do
  c=$(cd "$CORPUS/$folder" && best "$CHECKOV_RUNS" "checkov-$folder" \
        sh -c "'$CHECKOV' -d . -o json --compact --skip-download --framework terraform,cloudformation,kubernetes,dockerfile,gitlab_ci > '$OUT/checkov-$folder.json'")
  v=$(cd "$CORPUS/$folder" && best "$RUNS" "vigil-$folder" \
        sh -c "'$VIGIL_BIN' scan . --only iac --format json --fail-on never -q > '$OUT/vigil-$folder.json'")
  cs=${c% *}; vs=${v% *}
  printf '%-12s %12s %12s %8.1f %14.1f %14.1f\n' "$folder" "$cs" "$vs" "$(awk "BEGIN { print $cs / ($vs > 0 ? $vs : 0.001) }")" \
    "$(awk "BEGIN { print ${c#* } / 1024 }")" "$(awk "BEGIN { print ${v#* } / 1024 }")"
  total_c=$(awk "BEGIN { print $total_c + $cs }"); total_v=$(awk "BEGIN { print $total_v + $vs }")
  pairs+=("$OUT/checkov-$folder.json" "$OUT/vigil-$folder.json")
done
printf '%-12s %12.3f %12.3f %8.1f\n' both "$total_c" "$total_v" "$(awk "BEGIN { print $total_c / ($total_v > 0 ? $total_v : 0.001) }")"
echo
echo "Agreement with this run's Checkov output:"
python3 "$BENCH/iac_compare.py" "${pairs[@]}" --markdown "$OUT/agreement.md"
echo "(per-id table: $OUT/agreement.md)"
echo
plan="$WORK/plan-${PLAN_MB}mb.json"
[[ -f "$plan" ]] || python3 "$BENCH/gen_tf_plan.py" "$plan" "$PLAN_MB" >/dev/null
plan_dir="$WORK/plan-tree"; mkdir -p "$plan_dir"; ln -sf "$plan" "$plan_dir/plan.json" 2>/dev/null || true
rm -f "$plan_dir/plan.json"; cp "$plan" "$plan_dir/plan.json"
p=$(best 1 vigil-plan sh -c "'$VIGIL_BIN' scan '$plan_dir' --only iac --format json --fail-on never -q --max-file-size 1GB > '$OUT/vigil-plan.json'")
findings=$(python3 -c "import json; print(len(json.load(open('$OUT/vigil-plan.json'))['findings']))")
printf 'plan %s MB: vigil %ss, peak RSS %.1f MB, %s findings\n' "$(du -m "$plan" | cut -f1)" "${p% *}" "$(awk "BEGIN { print ${p#* } / 1024 }")" "$findings"
if [[ "${CHECKOV_PLAN:-0}" == 1 ]]; then
  c=$(best 1 checkov-plan sh -c "'$CHECKOV' -f '$plan' --framework terraform_plan -o json --compact --skip-download > '$OUT/checkov-plan.json'")
  printf 'plan: checkov %ss, peak RSS %.1f MB\n' "${c% *}" "$(awk "BEGIN { print ${c#* } / 1024 }")"
fi
