#!/usr/bin/env bash
# bench/hostile_gitlab.sh -- Hardening figures (issue 17): what a hostile GitLab costs Vigil's client.
# Runs crates/vigil-gitlab/examples/hostile_gitlab.rs (release): the client against gitlab-sim in one
# process, the simulator generating its hostile bodies as it sends them; per case the error Vigil
# names, the seconds it took and the process's peak RSS so far (VmHWM, MB). Before the limits each
# 1 GiB answer grew the server by about 1 GB. Target: every case refused by name, peak RSS < 100 MB.
# Run:  bench/hostile_gitlab.sh
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
cargo build -q --release -p vigil-gitlab --example hostile_gitlab
echo "== hostile GitLab  $(date -u +%FT%TZ)  $(nproc) CPUs, $(awk '/MemTotal/ { printf "%.0f GiB RAM", $2 / 1048576 }' /proc/meminfo)"
"$ROOT/target/release/examples/hostile_gitlab" | column -t -s $'\t'
