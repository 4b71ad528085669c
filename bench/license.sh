#!/usr/bin/env bash
# bench/license.sh -- license detection figures: Vigil (crates/vigil-license, the example
# `licenses`), ScanCode Toolkit and askalono on the same real license files, in one run.
#   Input: the license files on this machine, collected at run time into a temp dir (never
#   into the repository): /usr/share/doc/*/copyright (Debian), LICENSE/COPYING/NOTICE files of
#   Python site-packages, of ~/.cargo/registry/src and of ui-tests/node_modules when present.
#   They are split by sha256 of the original path: tune (even) and accept (odd); rules were
#   tuned on the tune set's disagreements only; the accept set is reported separately.
#   Tools: scancode --license -n 1 (one process), `askalono --format json identify --batch
#   --optimize` (one thread), vigil-license's example (one thread).
#   Output: files, wall seconds of each tool, speed ratios, agreement with ScanCode's
#   file-level `detected_license_expression_spdx` (same ids and same operators after the
#   normalisation documented in docs/BENCHMARKS.md and license_compare.py), overall and
#   for Debian copyright files; the disagreements go to $OUT/disagreements.tsv, and
#   license_reasons.py counts the acceptance Debian ones by reason (--markdown: per file).
# Run:  bench/license.sh   Env: SCANCODE (default: a venv in bench/.work/scancode),
#       ASKALONO (default: cargo install askalono-cli into bench/.work/askalono), KEEP=1.
set -euo pipefail

BENCH="$(cd "$(dirname "$0")" && pwd)"; ROOT="$(dirname "$BENCH")"; WORK="$BENCH/.work"
mkdir -p "$WORK"
OUT="$(mktemp -d /tmp/vigil-license-bench.XXXXXX)"
[[ -n "${KEEP:-}" ]] || trap 'rm -rf "$OUT"' EXIT
DATA="$OUT/data"

if [[ -z "${SCANCODE:-}" ]]; then
  SCANCODE="$WORK/scancode/bin/scancode"
  if [[ ! -x "$SCANCODE" ]]; then
    python3 -m venv "$WORK/scancode"
    "$WORK/scancode/bin/pip" install -q scancode-toolkit 'pluggy<1.6' || echo "   scancode-toolkit did not install; see pip's message above"
  fi
fi
if [[ -z "${ASKALONO:-}" ]]; then
  ASKALONO="$WORK/askalono/bin/askalono"
  [[ -x "$ASKALONO" ]] || cargo install -q -j 1 askalono-cli --root "$WORK/askalono"
fi
(cd "$ROOT" && CARGO_BUILD_JOBS=1 cargo build -q -j 1 --release -p vigil-license --example licenses)
VIGIL="$ROOT/target/release/examples/licenses"

echo "== collecting license files into $DATA"
python3 "$BENCH/license_compare.py" collect "$DATA"
FILES=$(find "$DATA" -type f | wc -l)

seconds() { local start=$1 end; end=$(date +%s.%N); echo "$end - $start" | bc; }

echo "== vigil-license"
t0=$(date +%s.%N); "$VIGIL" "$DATA" >"$OUT/vigil.jsonl" 2>"$OUT/vigil.err"; VIGIL_S=$(seconds "$t0")
cat "$OUT/vigil.err"
echo "== askalono ($("$ASKALONO" --version))"
t0=$(date +%s.%N)
find "$DATA" -type f | sort | "$ASKALONO" --format json identify --batch --optimize >"$OUT/askalono.jsonl" 2>"$OUT/askalono.err" || true
ASK_S=$(seconds "$t0")
SC_S=0
if [[ -x "$SCANCODE" ]]; then
  echo "== scancode ($("$SCANCODE" --version 2>/dev/null | head -1)), one process"
  t0=$(date +%s.%N)
  (cd "$OUT" && "$SCANCODE" --license --json-pp "$OUT/scancode.json" -n 1 --quiet data) || true
  SC_S=$(seconds "$t0")
fi

echo
printf '%-10s %7s %10s %14s\n' tool files wall_s vs_vigil
printf '%-10s %7d %10.2f %14s\n' vigil "$FILES" "$VIGIL_S" 1.0x
printf '%-10s %7d %10.2f %13.1fx\n' askalono "$FILES" "$ASK_S" "$(echo "$ASK_S / $VIGIL_S" | bc -l)"
[[ -f "$OUT/scancode.json" ]] && printf '%-10s %7d %10.2f %13.1fx\n' scancode "$FILES" "$SC_S" "$(echo "$SC_S / $VIGIL_S" | bc -l)"
echo
if [[ -f "$OUT/scancode.json" ]]; then
  echo "== agreement with ScanCode's detected_license_expression_spdx"
  python3 "$BENCH/license_compare.py" compare "$DATA" "$OUT/scancode.json" "$OUT/vigil.jsonl" "$OUT/askalono.jsonl"
  cp "$OUT/disagreements.tsv" "$WORK/license-disagreements.tsv"
  echo "  (copied to bench/.work/license-disagreements.tsv)"
  echo
  echo "== why: the acceptance set's Debian disagreements by reason (bench/license_reasons.py)"
  python3 "$BENCH/license_reasons.py" "$OUT/disagreements.tsv" accept/debian
else
  echo "== ScanCode is not installed; no agreement figures"
fi
