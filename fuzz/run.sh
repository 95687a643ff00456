#!/usr/bin/env bash
# Builds the libFuzzer targets on stable Rust and fuzzes them.
#   fuzz/run.sh build                 build every target
#   fuzz/run.sh TARGET SECONDS [ARGS] fuzz one target (new inputs go to target/fuzz/work/TARGET;
#                                     the committed seeds in fuzz/corpus/TARGET are read, not written)
#   fuzz/run.sh all SECONDS           each target in turn (the CI smoke run)
# No cargo-fuzz, no nightly: libfuzzer-sys links libFuzzer, and rustc's stable `-Cpasses=sancov-module`
# adds the coverage instrumentation cargo-fuzz would.
set -euo pipefail
cd "$(dirname "$0")"
here=$(pwd)
out="$here/../target/fuzz"
triple=$(rustc -vV | sed -n 's/^host: //p')
bin="$out/$triple/release"
targets=$(sed -n 's/^name = "\(.*\)"$/\1/p' Cargo.toml | grep -v '^gate-fuzz$')

build() {
  RUSTFLAGS="-Cpasses=sancov-module -Cllvm-args=-sanitizer-coverage-level=4 \
-Cllvm-args=-sanitizer-coverage-inline-8bit-counters -Cllvm-args=-sanitizer-coverage-pc-table \
-Cllvm-args=-sanitizer-coverage-trace-compares --cfg fuzzing -Cdebug-assertions -Coverflow-checks" \
    cargo build --locked --release --target "$triple" --target-dir "$out"
}

run() {
  local target=$1 seconds=$2
  shift 2
  local work="${FUZZ_WORK:-$out/work}/$target" artifacts="${FUZZ_ARTIFACTS:-$out/artifacts}/$target"
  mkdir -p "$work" "$artifacts"
  "$bin/$target" "$work" "$here/corpus/$target" \
    -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 \
    -artifact_prefix="$artifacts/" "$@"
}

case "${1:-}" in
  build) build ;;
  all)
    build
    # Fresh folders: every smoke run starts from the committed seeds, and only its own crashes count.
    scratch=$(mktemp -d)
    trap 'rm -rf "$scratch"' EXIT
    export FUZZ_WORK="$scratch/work" FUZZ_ARTIFACTS="$scratch/artifacts"
    for target in $targets; do
      echo "== fuzz $target (${2:?seconds}s)"
      run "$target" "$2" 2>&1 | grep -E '^(stat::|==|INFO: (seed|A corpus)|.*(ERROR|panicked|deadly|crash|timeout|oom))' || true
      # grep hides the exit status of the run; check for an artifact instead.
      if compgen -G "$FUZZ_ARTIFACTS/$target/*" > /dev/null; then
        mkdir -p "$out/artifacts/$target"
        cp "$FUZZ_ARTIFACTS/$target"/* "$out/artifacts/$target/"
        echo "fuzz $target: crash, inputs copied to $out/artifacts/$target" >&2
        exit 1
      fi
    done ;;
  "") echo "usage: fuzz/run.sh build | all SECONDS | TARGET SECONDS [libFuzzer args]" >&2; exit 2 ;;
  *) run "$@" ;;
esac
