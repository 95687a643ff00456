#!/usr/bin/env bash
# Dependency-source reading speed: `gate check` on a synthetic monorepo of requirements files
# (pip-compile style: `==` pins, continued `--hash` lines, `-r` includes) and uv lockfiles, beside
# pip's own requirements parser (`pip._internal.req.req_file.parse_requirements`, parse only, no
# resolution, no network) on the same requirements files. No tool checks sources per package, so
# pip's parser is the nearest thing to compare with.
# Usage: benches/deps.sh   (needs python3 with pip; uses hyperfine if installed).
# Writes its corpus under ${BENCH_DIR:-/tmp/gate-bench-deps}.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --locked --quiet
gate=$PWD/target/release/gate
dir=${BENCH_DIR:-/tmp/gate-bench-deps}
rm -rf "$dir" && mkdir -p "$dir"

python3 - "$dir" <<'PY'
import os, sys
root = sys.argv[1]
h = "sha256:" + "ab" * 32
with open(f"{root}/.gate.yml", "w") as f:
    f.write("version: 1\ndependencies:\n  indexes:\n    acme: https://pypi.acme.internal/simple\n"
            "  packages:\n    - names: ['acme-*']\n      allow: [acme]\n    - names: ['*']\n      allow: [pypi, acme]\n"
            "  require-hashes: true\n  require-pinned: true\n")
for s in range(200):
    d = f"{root}/svc{s}"
    os.makedirs(d, exist_ok=True)
    with open(f"{d}/base-requirements.txt", "w") as f:
        f.write("--index-url https://pypi.acme.internal/simple\n")
        for i in range(150):
            f.write(f"# via svc{s}\npackage-{i}=={i}.0.0 \\\n    --hash={h} \\\n    --hash={h}\n")
    with open(f"{d}/requirements.txt", "w") as f:
        f.write("-r base-requirements.txt\n")
        for i in range(50):
            f.write(f"acme-lib-{i}=={i}.1 --hash={h}\n")
    with open(f"{d}/uv.lock", "w") as f:
        f.write("version = 1\n")
        for i in range(200):
            f.write(f'\n[[package]]\nname = "pkg-{i}"\nversion = "1.{i}"\n'
                    f'source = {{ registry = "https://pypi.org/simple" }}\n'
                    f'wheels = [{{ url = "https://files.pythonhosted.org/p/pkg_{i}-1.{i}-py3-none-any.whl", hash = "{h}" }}]\n')
PY

cat > "$dir/pip_parse.py" <<'PY'
import glob, sys
from pip._internal.network.session import PipSession
from pip._internal.req.req_file import parse_requirements
session = PipSession()
n = 0
for path in sorted(glob.glob(sys.argv[1] + "/svc*/requirements.txt")):
    for _ in parse_requirements(path, session=session):
        n += 1
print(n)
PY

echo "corpus: 200 services x (200 hashed requirements in 2 files + a 200-package uv.lock)"
echo "gate findings: $("$gate" check "$dir" --format json | python3 -c 'import json,sys; print(json.load(sys.stdin)["summary"])')"
echo "pip parse_requirements: $(python3 "$dir/pip_parse.py" "$dir") requirements"
if command -v hyperfine >/dev/null; then
  hyperfine --warmup 2 --runs 10 \
    -n "gate check (requirements + uv.lock, judged)" "$gate check $dir" \
    -n "pip parse_requirements (requirements only, parse only)" "python3 $dir/pip_parse.py $dir"
else
  time "$gate" check "$dir" >/dev/null
  time python3 "$dir/pip_parse.py" "$dir" >/dev/null
fi
