#!/usr/bin/env bash
# The pickle engine beside picklescan on the same files: PyTorch zip checkpoints of 256 MiB, 1 GiB
# and 2 GiB (stored tensor members; gate must read only data.pkl, so time and memory stay flat)
# and a folder of 2,000 small real pickles (torch, numpy, joblib, builtins).
# Usage: benches/pickle.sh   (builds gate in release; needs python3 with torch, and picklescan:
#        pip install torch picklescan). Corpus under ${BENCH_DIR:-/tmp/gate-pickle-bench}.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --locked --quiet
gate=$PWD/target/release/gate
dir=${BENCH_DIR:-/tmp/gate-pickle-bench}
mkdir -p "$dir/small"

# Checkpoints: a real torch.save data.pkl naming 8 storages, whose members hold size/8 bytes each.
python3 - "$dir" <<'PY'
import io, os, sys, zipfile, torch
root = sys.argv[1]
buffer = io.BytesIO()
torch.save({f"layer{i}.weight": torch.zeros(4) for i in range(8)}, buffer)
source = zipfile.ZipFile(io.BytesIO(buffer.getvalue()))
for label, size in [("256m", 256 << 20), ("1g", 1 << 30), ("2g", 2 << 30)]:
    path = f"{root}/checkpoint-{label}.pt"
    if os.path.exists(path) and os.path.getsize(path) > size:
        continue
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED, allowZip64=True) as out:
        for name in source.namelist():
            if "/data/" in name:
                chunk = b"\0" * (1 << 24)
                with out.open(zipfile.ZipInfo(name), "w", force_zip64=True) as member:
                    for _ in range(size // 8 // len(chunk)):
                        member.write(chunk)
            else:
                out.writestr(name, source.read(name))
PY

# 2,000 small pickles copied from the benign fixtures.
if [ "$(ls "$dir/small" | wc -l)" -ne 2000 ]; then
  rm -rf "$dir/small" && mkdir -p "$dir/small"
  mapfile -t seeds < <(find tests/fixtures/pickles/benign/{torch,numpy,joblib,builtins} -type f | sort)
  for i in $(seq 0 1999); do
    seed=${seeds[$((i % ${#seeds[@]}))]}
    cp "$seed" "$dir/small/$i-$(basename "$seed")"
  done
fi

peak() { # prints peak RSS (MiB) of one run
  /usr/bin/time -v "$@" 2>&1 >/dev/null | awk '/Maximum resident/ {printf "%.1f MiB", $6/1024}'
}

echo "corpus: $dir"
for target in checkpoint-256m.pt checkpoint-1g.pt checkpoint-2g.pt small; do
  echo "== $target  (gate peak RSS $(peak "$gate" scan "$dir/$target"))"
  hyperfine --warmup 2 --runs 10 -N --ignore-failure --style basic \
    "$gate scan $dir/$target" "picklescan -p $dir/$target" 2>/dev/null |
    grep -E "Time|±|faster|scan|picklescan" || true
done
