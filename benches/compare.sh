#!/usr/bin/env bash
# Side-by-side wall time of `gate` and the scanners a user would otherwise run, on the same files.
# Usage: benches/compare.sh   (builds gate in release; uses picklescan/modelscan if installed:
#        pip install picklescan modelscan). Writes its corpus under ${BENCH_DIR:-/tmp/gate-bench}.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --locked --quiet
gate=target/release/gate
dir=${BENCH_DIR:-/tmp/gate-bench}
rm -rf "$dir" && mkdir -p "$dir/many" "$dir/big"

# 20,000 small text files in 50 folders plus one safetensors model.
python3 - "$dir/many" <<'PY'
import os, sys
root = sys.argv[1]
for d in range(50):
    os.makedirs(f"{root}/d{d}", exist_ok=True)
    for i in range(400):
        with open(f"{root}/d{d}/f{i}.txt", "w") as f:
            f.write(f"hello {i}\n")
PY
cp tests/fixtures/formats/safetensors/model.safetensors "$dir/many/d0/"

# A 2 GiB safetensors file (sparse): gate reads its header only.
python3 - "$dir/big/big.safetensors" <<'PY'
import json, struct, sys
n = 512 * 1024 * 1024
hdr = json.dumps({"w": {"dtype": "F32", "shape": [n], "data_offsets": [0, 4 * n]}}).encode()
hdr += b" " * ((8 - len(hdr) % 8) % 8)
with open(sys.argv[1], "wb") as f:
    f.write(struct.pack("<Q", len(hdr))); f.write(hdr); f.truncate(8 + len(hdr) + 4 * n)
PY

time_it() { # label, command...
  local label=$1; shift
  local start end
  start=$(date +%s.%N)
  "$@" >/dev/null 2>&1 || true
  end=$(date +%s.%N)
  printf '%-44s %8.3f s\n' "$label" "$(echo "$end - $start" | bc)"
}

echo "corpus: $dir (2-core machine figures vary; run twice, read the second)"
for pass in 1 2; do
  echo "-- pass $pass"
  time_it "gate check many/ (20,001 files)" "$gate" check "$dir/many"
  time_it "gate scan fixtures/formats (45 files)" "$gate" scan tests/fixtures/formats
  time_it "gate scan big.safetensors (2 GiB)" "$gate" scan "$dir/big/big.safetensors"
  if command -v picklescan >/dev/null; then
    time_it "picklescan -p many/" picklescan -p "$dir/many"
    time_it "picklescan -p fixtures/formats" picklescan -p tests/fixtures/formats
  fi
  if command -v modelscan >/dev/null; then
    time_it "modelscan -p many/" modelscan -p "$dir/many"
    time_it "modelscan -p fixtures/formats" modelscan -p tests/fixtures/formats
    time_it "modelscan -p big.safetensors" modelscan -p "$dir/big/big.safetensors"
  fi
done
