#!/usr/bin/env bash
# What GitHub reporting costs on top of the check: the same repository of 5,000 findings (real
# safetensors content under `.gguf` names) rendered as JSON, as GitHub annotations + job summary +
# outputs, and as SARIF. Usage: benches/github-report.sh   (needs hyperfine; corpus under
# ${BENCH_DIR:-/tmp/gate-bench-github}).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --locked --quiet
gate=$PWD/target/release/gate
dir=${BENCH_DIR:-/tmp/gate-bench-github}
rm -rf "$dir" && mkdir -p "$dir/repo/models"
for i in $(seq -w 0 4999); do
  cp tests/fixtures/formats/safetensors/model.safetensors "$dir/repo/models/m$i.gguf"
done
cd "$dir/repo"
export GITHUB_STEP_SUMMARY="$dir/summary.md" GITHUB_OUTPUT="$dir/output"
hyperfine --warmup 2 --ignore-failure --export-markdown "$dir/results.md" \
  -n json "$gate check --format json" \
  -n github "rm -f $dir/summary.md $dir/output; $gate check --format github" \
  -n 'json + --sarif' "$gate check --format json --sarif $dir/gate.sarif"
ls -l "$dir/summary.md" "$dir/gate.sarif"
