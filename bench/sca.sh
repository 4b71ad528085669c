#!/usr/bin/env bash
# bench/sca.sh -- dependency-scanning figures, Vigil against cargo-audit side by side in one run:
#   1. correctness: cargo-audit 0.22 (`--db rustsec --no-fetch --no-yanked --json`) and
#      `vigil scan --only vulnerability,operational_risk --format json` on the same Cargo.lock
#      files: the six of /work/shared/data/advisories/samples and FRESH lockfiles resolved now
#      from crates.io with old crates pinned (bench/sca_compare.py lists every difference);
#      wall time and peak RSS of each tool per lockfile, and the ratio;
#   2. import: `vigil vulndb import` of the shared RustSec + PyPA + GHSA snapshots, and of
#      ADVISORIES (100,000) generated OSV advisories (bench/gen_osv.py): time and peak RSS;
#   3. matching: a PACKAGES (5,000) package package-lock.json against that store, store opened
#      once (the example crates/vigil-sca/examples/match_bench.rs: median of 20 rounds).
# Run:  bench/sca.sh   Env: VIGIL_BIN, CARGO_AUDIT (default: installed with
#       `cargo install cargo-audit --locked` into bench/.work/cargo-audit), ADVISORIES, PACKAGES.
set -euo pipefail

BENCH="$(cd "$(dirname "$0")" && pwd)"; ROOT="$(dirname "$BENCH")"; WORK="$BENCH/.work"
SHARED="${SHARED:-/work/shared/data/advisories}"
VIGIL_BIN="${VIGIL_BIN:-$ROOT/target/release/vigil}"
ADVISORIES="${ADVISORIES:-100000}"; PACKAGES="${PACKAGES:-5000}"
OUT="$WORK/sca-out"; rm -rf "$OUT"; mkdir -p "$OUT"
if [[ -z "${CARGO_AUDIT:-}" ]]; then
  CARGO_AUDIT="$WORK/cargo-audit/bin/cargo-audit"
  [[ -x "$CARGO_AUDIT" ]] || cargo install cargo-audit --locked --root "$WORK/cargo-audit"
fi
[[ -x /usr/bin/time ]] || apt-get install -y time >/dev/null
(cd "$ROOT" && cargo build -q --release -p vigil && cargo build -q --release -p vigil-sca --example match_bench)
MATCH_BENCH="$ROOT/target/release/examples/match_bench"

timed() {  # timed NAME CMD...: runs CMD (stdout to OUT/NAME.out), prints "seconds peak_kb"
  local name="$1"; shift
  /usr/bin/time -v -o "$OUT/$name.time" "$@" >"$OUT/$name.out" 2>"$OUT/$name.err" || true
  awk -F': ' '/Elapsed \(wall clock\)/ { n = split($2, p, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + p[i]; t = s }
              /Maximum resident set size/ { m = $2 } END { printf "%.3f %d\n", t, m }' "$OUT/$name.time"
}

echo "== 1. cargo-audit $("$CARGO_AUDIT" audit --version 2>/dev/null | awk '{print $2}') and vigil on the same Cargo.lock files"
DATA="$OUT/rustsec-data"
"$VIGIL_BIN" vulndb import "$SHARED/rustsec" --data-dir "$DATA" 2>"$OUT/import-rustsec.err"
FRESH="$WORK/fresh"; mkdir -p "$FRESH"
fresh() {  # fresh NAME DEP...: a binary crate pinning DEP (`name = "=x.y.z"`), resolved now
  local dir="$FRESH/$1"; shift
  [[ -f "$dir/Cargo.lock" ]] && return 0
  mkdir -p "$dir/src"; echo 'fn main() {}' > "$dir/src/main.rs"
  { printf '[workspace]\n\n[package]\nname = "fresh"\nversion = "0.1.0"\nedition = "2021"\npublish = false\n\n[dependencies]\n'
    printf '%s\n' "$@"; } > "$dir/Cargo.toml"
  (cd "$dir" && cargo generate-lockfile -q) || echo "   (could not resolve $dir; skipped)"
}
fresh net 'tokio = "=1.18.0"' 'hyper = { version = "=0.14.18", features = ["full"] }' 'h2 = "=0.3.15"' 'openssl = "=0.10.45"' 'regex = "=1.5.4"'
fresh crypto 'rsa = "=0.9.2"' 'idna = "=0.5.0"' 'crossbeam-channel = "=0.5.8"' 'tar = "=0.4.35"' 'ring = "=0.17.5"' 'time = "=0.2.23"'
fresh tls 'rustls = "=0.20.0"' 'webpki = "=0.22.0"' 'mio = "=0.8.10"' 'shlex = "=1.1.0"' 'serde_yaml = "=0.8.26"' 'chrono = "=0.4.19"'
LOCKS=()
for d in "$SHARED"/samples/*/ "$FRESH"/*/; do [[ -f "$d/Cargo.lock" ]] && LOCKS+=("${d%/}"); done
printf '%-28s %9s %9s %7s %10s %10s\n' lockfile audit_s vigil_s ratio audit_MB vigil_MB
for d in "${LOCKS[@]}"; do
  name=$(basename "$d"); scan="$OUT/scan-$name"; mkdir -p "$scan"; cp "$d/Cargo.lock" "$scan/"
  read -r a_s a_kb < <(timed "audit-$name" "$CARGO_AUDIT" audit --db "$SHARED/rustsec" --no-fetch --no-yanked --json --file "$scan/Cargo.lock")
  read -r v_s v_kb < <(timed "vigil-$name" "$VIGIL_BIN" scan "$scan" --data-dir "$DATA" --only vulnerability,operational_risk --format json --quiet)
  awk -v n="$name" -v a="$a_s" -v v="$v_s" -v am="$a_kb" -v vm="$v_kb" \
    'BEGIN { printf "%-28s %9.3f %9.3f %6.1fx %10.1f %10.1f\n", n, a, v, (v > 0 ? a / v : 0), am / 1024, vm / 1024 }'
done
python3 "$BENCH/sca_compare.py" "$OUT" "${LOCKS[@]}"

echo "== 2. import"
read -r s kb < <(timed import-shared "$VIGIL_BIN" vulndb import "$SHARED/rustsec" "$SHARED/pypa" "$SHARED/ghsa-sample" --data-dir "$OUT/shared-data")
echo "shared snapshots: $(grep -o 'Imported [0-9]* advisories' "$OUT/import-shared.err") in $s s, peak RSS $((kb / 1024)) MB"
GEN="$WORK/gen-$ADVISORIES-$PACKAGES"
[[ -d "$GEN/osv" ]] || python3 "$BENCH/gen_osv.py" "$GEN" "$ADVISORIES" "$PACKAGES"
read -r s kb < <(timed import-generated "$VIGIL_BIN" vulndb import "$GEN/osv" --data-dir "$OUT/gen-data")
echo "generated: $(grep -o 'Imported [0-9]* advisories' "$OUT/import-generated.err") in $s s, peak RSS $((kb / 1024)) MB"

echo "== 3. matching $PACKAGES packages against the generated store"
read -r s kb < <(timed match "$MATCH_BENCH" "$OUT/gen-data" "$GEN/package-lock.json" 20)
cat "$OUT/match.out"; echo "(whole run incl. opening the store: $s s, peak RSS $((kb / 1024)) MB)"
read -r s kb < <(timed scan-generated "$VIGIL_BIN" scan "$GEN" --data-dir "$OUT/gen-data" --only vulnerability --format json --quiet)
echo "vigil scan of that lockfile, store opening included: $s s, peak RSS $((kb / 1024)) MB"
