#!/usr/bin/env bash
# Hashing speed: gate beside `openssl dgst -sha256` (SHA extensions) and coreutils `sha256sum`,
# on the same files, warm page cache, in one run. SPEC targets: one 2 GiB file within 1.1x of
# openssl's wall time; two 2 GiB files in at most 0.6x of `openssl dgst -sha256 a b` (gate hashes
# files in parallel across cores; openssl one after the other).
# Usage: benches/hash.sh   (needs hyperfine: apt-get install -y hyperfine; python3 for the
#        summary). Files go to ${BENCH_DIR:-/tmp/gate-hash-bench} (4 GiB; kept for re-runs).
#        RUNS (default 5) sets hyperfine's runs for gate and openssl; sha256sum gets 2.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --locked --quiet
gate=$PWD/target/release/gate
dir=${BENCH_DIR:-/tmp/gate-hash-bench}
runs=${RUNS:-5}
size=$((2 * 1024 * 1024 * 1024))
mkdir -p "$dir"
for name in a.bin b.bin; do
  if [ "$(stat -c %s "$dir/$name" 2>/dev/null || echo 0)" != "$size" ]; then
    echo "writing $dir/$name (2 GiB of random bytes)"
    head -c "$size" /dev/urandom >"$dir/$name"
  fi
done
# gate check on the same two files, pinned by `gate hash` output.
{
  printf 'version: 1\ndatasets:\n  files:\n'
  (cd "$dir" && "$gate" hash a.bin b.bin)
} >"$dir/.gate.yml"
cat "$dir/a.bin" "$dir/b.bin" >/dev/null # warm the page cache

echo "machine: $(nproc) cores; $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo "SHA extensions: $(grep -qw sha_ni /proc/cpuinfo && echo yes || echo no); $(openssl version)"
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
cd "$dir"
hyperfine --style basic --warmup 1 --runs "$runs" --export-json "$dir/fast.json" \
  -n "gate hash a" "$gate hash a.bin" \
  -n "openssl a" "openssl dgst -sha256 a.bin" \
  -n "gate hash a b" "$gate hash a.bin b.bin" \
  -n "openssl a b" "openssl dgst -sha256 a.bin b.bin" \
  -n "gate check (a b pinned)" "$gate check ."
hyperfine --style basic --runs 2 --export-json "$dir/slow.json" \
  -n "sha256sum a" "sha256sum a.bin" \
  -n "sha256sum a b" "sha256sum a.bin b.bin"
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"

python3 - "$dir/fast.json" "$dir/slow.json" <<'PY'
import json, sys
results = {}
for path in sys.argv[1:]:
    for r in json.load(open(path))["results"]:
        results[r["command"]] = r
def stat(name, key): return results[name][key]
print()
print(f"{'command':26} {'median s':>9} {'min s':>7} {'GB/s (median)':>14}")
for name, r in results.items():
    gib = 4 if name.endswith(" b") or "a b" in name else 2
    print(f"{name:26} {r['median']:9.3f} {r['min']:7.3f} {gib * 1.073741824 / r['median']:14.2f}")
print()
for key in ("median", "min"):
    one = stat("gate hash a", key) / stat("openssl a", key)
    two = stat("gate hash a b", key) / stat("openssl a b", key)
    check = stat("gate check (a b pinned)", key) / stat("openssl a b", key)
    print(f"[{key}] one file:  gate / openssl = {one:.2f} (target <= 1.10) {'PASS' if one <= 1.10 else 'FAIL'}")
    print(f"[{key}] two files: gate / openssl = {two:.2f} (target <= 0.60) {'PASS' if two <= 0.60 else 'FAIL'}")
    print(f"[{key}] two files: gate check / openssl = {check:.2f}")
print(f"sha256sum one file: {stat('sha256sum a', 'median') / stat('openssl a', 'median'):.2f}x openssl's time")
PY
